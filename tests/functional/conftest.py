"""The whole control plane in one process: an embedded cloud per test."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tessera.context import RequestContext
from tessera.deploy.cloud import EmbeddedCloud
from tessera.deploy.embedded import EmbeddedLayout, prepare
from tessera.objects import quota

DEMO = RequestContext(user_id="demo", project_id="demo", roles=("member",))
ADMIN = DEMO.elevated()

StartCloud = Callable[..., EmbeddedCloud]


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy (or fail after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


@pytest.fixture
def start_cloud(tmp_path: Path) -> Iterator[StartCloud]:
    """Start an embedded cloud (2 cells x 2 computes unless told otherwise)."""
    started: list[EmbeddedCloud] = []

    def start(discover: bool = True, **layout: Any) -> EmbeddedCloud:
        options = {
            "cells": 2,
            "computes_per_cell": 2,
            "api_port": 0,
            "fake_driver": {"vcpus": "8", "memory_mb": "16384", "disk_gb": "200"},
            **layout,
        }
        cloud = EmbeddedCloud(EmbeddedLayout(tmp_path / "cloud", **options))
        prepare(cloud.layout)
        started.append(cloud)
        cloud.start()
        if discover:
            cloud.discover_hosts()
        return cloud

    yield start
    for cloud in started:
        cloud.stop()


def lift_quota(cloud: EmbeddedCloud, project_id: str = "demo") -> None:
    """No instance, core or RAM limit for ``project_id`` (for tests booting many servers)."""
    assert cloud.server_api is not None
    with cloud.server_api.api_engine.begin() as conn:
        quota.update(conn, project_id, {"instances": -1, "cores": -1, "ram": -1})
