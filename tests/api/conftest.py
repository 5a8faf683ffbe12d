"""Fixtures shared by the API suites."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.mapped_cloud import BuildClient, Cloud, OpenMapped, mapped_cloud
from tests.conftest import CloudDBs


@pytest.fixture
def open_mapped(cloud: CloudDBs, tmp_path: Path) -> Iterator[OpenMapped]:
    """Opens test clouds over ``cloud`` with cells 0-2 mapped; closes them after the test."""
    with contextlib.ExitStack() as opened:

        def open_one(kind: type[Cloud], build: BuildClient) -> Cloud:
            return opened.enter_context(mapped_cloud(kind, cloud, tmp_path, build))

        yield open_one
