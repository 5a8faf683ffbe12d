"""A running embedded cloud per client test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tessera.deploy import clouds_yaml
from tessera.deploy.cloud import EmbeddedCloud
from tessera.deploy.embedded import EmbeddedLayout, prepare


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A running embedded cloud (1 cell x 2 computes); yields its clouds.yaml.

    One per test module (a process holds one embedded placement at a time, and other
    tests of the process start clouds of their own): a module's tests share it, so
    they name what they create uniquely and clean up after themselves.
    """
    data = tmp_path_factory.mktemp("cli-cloud")
    layout = EmbeddedLayout(data, cells=1, computes_per_cell=2, api_port=0)
    prepare(layout)
    running = EmbeddedCloud(layout)
    running.start()
    running.discover_hosts()
    assert running.api_server is not None
    yield clouds_yaml.write(data / "clouds.yaml", "127.0.0.1", running.api_server.port)
    running.stop()
