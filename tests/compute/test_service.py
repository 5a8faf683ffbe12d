"""The compute service as a whole, built from a cell-level configuration only."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from oslo_config import cfg

from tessera.compute.service import build_compute_service
from tessera.conf import load
from tessera.context import admin_context
from tessera.objects.selection import Selection
from tessera.placement.client import PlacementClient
from tessera.rpc.registry import TransportRegistry
from tests.compute.conftest import (
    CELL_UUID,
    PROJECT,
    TINY,
    USER,
    Cell,
    new_instance,
    request_spec,
)


def _cell_level_conf(
    cell: Cell, state_path: Path, write_conf: Callable[..., str]
) -> cfg.ConfigOpts:
    """A compute's configuration file: its cell's queue, no [api_database], no API transport."""
    defaults = {
        "host": "svc-host1",
        "transport_url": cell.url,
        "state_path": str(state_path),
        "report_interval": "1",
        "rpc_call_timeout": "10",
    }
    return load(config_files=[write_conf({"DEFAULT": defaults}, name="compute.conf")])


def test_service_registers_heartbeats_builds_and_stops(
    cell: Cell, tmp_path: Path, write_conf: Callable[..., str]
) -> None:
    conf = _cell_level_conf(cell, tmp_path / "state", write_conf)
    assert conf.api_database.connection is None
    transports = TransportRegistry(conf)
    placement = PlacementClient(cell.embedded.transport())
    svc = build_compute_service(conf, transports, placement)
    try:
        svc.start()
        [record] = cell.conductor.state.services.values()
        assert (record.host, record.binary, record.topic) == (
            "svc-host1",
            "tessera-compute",
            "compute",
        )
        started = time.monotonic()
        [node] = cell.conductor.state.nodes.values()
        # The start-up resource update created the node's provider in placement.
        assert placement.get_provider_usages(node["uuid"]) == {
            "VCPU": 0,
            "MEMORY_MB": 0,
            "DISK_GB": 0,
        }

        uuid = _build_on(cell, placement, node["uuid"])
        assert cell.wait_vm_state(uuid, "active")
        assert (tmp_path / "state" / "instances" / "svc-host1" / uuid / "disk").is_file()

        time.sleep(max(0.0, 2.5 - (time.monotonic() - started)))
        assert record.report_count >= 2
    finally:
        svc.stop()
        svc.wait()
        transports.cleanup()
    count = record.report_count
    time.sleep(1.2)
    assert record.report_count == count, "no heartbeat after stop"


def _build_on(cell: Cell, placement: PlacementClient, node_uuid: str) -> str:
    """Create, claim and cast one tiny server to the service's host; return its uuid."""
    instance = new_instance()
    uuid = str(instance.uuid)
    cell.conductor.t_add_instance(instance)
    assert placement.claim(uuid, {node_uuid: TINY.resources()}, PROJECT, USER)
    request = {"allocations": {node_uuid: {"resources": TINY.resources()}}}
    chosen = Selection(node_uuid, "svc-host1", "svc-host1", CELL_UUID, request)
    spec = request_spec(instance, TINY)
    cell.compute_api.build_and_run_instance(
        admin_context(), "svc-host1", instance, spec, chosen, []
    )
    return uuid


def test_a_compute_without_its_cell_transport_url_refuses_to_start(
    cell: Cell, tmp_path: Path, write_conf: Callable[..., str]
) -> None:
    conf = load(config_files=[write_conf({"DEFAULT": {"host": "h", "state_path": str(tmp_path)}})])
    placement = PlacementClient(cell.embedded.transport())
    with pytest.raises(ValueError, match="transport_url"):
        build_compute_service(conf, TransportRegistry(conf), placement)
