"""Pure rendering of the admin resources (no database)."""

from __future__ import annotations

import datetime

from oslo_config import cfg

from tessera.api.microversions import Version
from tessera.api.services import HostSettings
from tessera.api.views import availability_zones, hypervisors, services
from tessera.conf.opts import register_all
from tessera.objects.compute_node_records import NodeRecord, ServiceRecord
from tessera.objects.service import Service

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5)


def _record(
    binary: str = "tessera-compute", *, seen_ago: float = 5, forced_down: bool = False
) -> ServiceRecord:
    seen = NOW - datetime.timedelta(seconds=seen_ago)
    svc = Service(
        id=7,
        uuid="5c0d4f4e-3f8a-4a63-9f9b-2f0b9a0c1d2e",
        host="compute1",
        binary=binary,
        topic="compute",
        report_count=1,
        disabled=False,
        disabled_reason=None,
        forced_down=forced_down,
        last_seen_up=seen,
    )
    return ServiceRecord(svc, seen, seen)


def _node(**changes: object) -> NodeRecord:
    values: dict[str, object] = {
        "id": 3,
        "uuid": "1d9c3b7e-5f8e-4f55-8f2b-3c6b7a0d9e10",
        "host": "compute1",
        "hypervisor_hostname": "compute1.example",
        "hypervisor_type": "fake",
        "hypervisor_version": 1,
        "host_ip": None,
        "vcpus": 4,
        "vcpus_used": 1,
        "memory_mb": 1024,
        "memory_mb_used": 256,
        "local_gb": 10,
        "local_gb_used": 4,
        "free_ram_mb": None,
        "free_disk_gb": None,
        "running_vms": None,
        "cpu_info": "not json",
        "stats": {},
        "service": _record(),
    }
    values.update(changes)
    return NodeRecord(**values)  # type: ignore[arg-type]


def test_service_state_follows_heartbeats_and_forced_down() -> None:
    v = Version(2, 69)
    assert services.service(_record(), "nova", v, 60, NOW)["state"] == "up"
    assert services.service(_record(seen_ago=61), "nova", v, 60, NOW)["state"] == "down"
    forced = services.service(_record(forced_down=True), "nova", v, 60, NOW)
    assert (forced["state"], forced["forced_down"]) == ("down", True)
    assert forced["updated_at"] == "2026-01-02T03:04:00.000000"


def test_unknown_service_record() -> None:
    assert services.unknown("h") == {"binary": "tessera-compute", "host": "h", "status": "UNKNOWN"}


def test_hypervisor_resources_fill_gaps_from_totals() -> None:
    body = hypervisors.detail(_node(), None, Version(2, 87), 60, NOW)
    assert (body["free_ram_mb"], body["free_disk_gb"], body["running_vms"]) == (768, 6, 0)
    assert body["cpu_info"] == {} and body["current_workload"] == 0
    assert hypervisors.detail(_node(), None, Version(2, 27), 60, NOW)["cpu_info"] == "not json"


def test_statistics_sum_nodes() -> None:
    stats = hypervisors.statistics([_node(), _node(id=4)], Version(2, 87))
    assert (stats["count"], stats["vcpus"], stats["free_ram_mb"]) == (2, 8, 1536)


def test_zone_with_only_disabled_services_is_unavailable() -> None:
    up = _record()
    off = ServiceRecord(
        Service(**{**up.service.__dict__, "disabled": True, "host": "c2"}), None, None
    )
    listed = availability_zones.index([("a", up), ("b", off), ("internal", up)], "internal")
    assert [(z["zoneName"], z["zoneState"]["available"]) for z in listed] == [
        ("a", True),
        ("b", False),
    ]


def test_settings_from_conf() -> None:
    conf = cfg.ConfigOpts()
    register_all(conf)
    conf([], default_config_files=[])
    conf.set_override("service_down_time", 30)
    conf.set_override("default_availability_zone", "zone0")
    assert HostSettings.from_conf(conf) == HostSettings(30, 10.0, "zone0", 1000)
