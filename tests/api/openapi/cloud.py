"""A running all-in-one for tests that need the API exactly as it is assembled."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from falcon import inspect

from tessera.api.openapi import document
from tessera.deploy.cloud import EmbeddedCloud
from tessera.deploy.embedded import EmbeddedLayout, prepare


@contextlib.contextmanager
def all_in_one(data: Path) -> Iterator[EmbeddedCloud]:
    """An embedded cloud of one cell and one compute under ``data``, hosts discovered."""
    layout = EmbeddedLayout(data, cells=1, computes_per_cell=1, api_port=0)
    prepare(layout)
    running = EmbeddedCloud(layout)
    running.start()
    try:
        running.discover_hosts()
        yield running
    finally:
        running.stop()


def app_of(cloud: EmbeddedCloud) -> Any:
    """The WSGI (Falcon) app the cloud's API server serves."""
    assert cloud.api_server is not None
    return cloud.api_server.app


def operations(app: Any) -> set[tuple[str, str]]:
    """``(METHOD, OpenAPI path)`` of every operation ``app`` routes."""
    return {
        (method.method, document.openapi_path(route.path))
        for route in inspect.inspect_routes(app)
        for method in route.methods
        if not method.internal
    }
