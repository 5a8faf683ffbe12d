"""Hypervisor representations of ``/os-hypervisors`` by microversion."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

from tessera.api.microversions import Version
from tessera.objects.compute_node_records import HostedServer, NodeRecord, ServiceRecord


def _service(node: NodeRecord) -> ServiceRecord:
    # Handlers only render nodes whose host has a compute service.
    assert node.service is not None
    return node.service


def summary(
    node: NodeRecord,
    servers: Sequence[HostedServer] | None,
    version: Version,
    down_time: float,
    now: datetime.datetime,
) -> dict[str, Any]:
    """``GET /os-hypervisors``: identity and state (plus servers when asked)."""
    svc = _service(node).service
    body: dict[str, Any] = {
        "id": node.uuid if version.at_least("2.53") else node.id,
        "hypervisor_hostname": node.hypervisor_hostname,
        "state": "up" if svc.is_up(down_time, now) else "down",
        "status": "disabled" if svc.disabled else "enabled",
    }
    # Before 2.75 a hypervisor without servers had no ``servers`` key at all.
    if servers is not None and (servers or version.at_least("2.75")):
        body["servers"] = [{"name": s.name, "uuid": s.uuid} for s in servers]
    return body


def _free_ram(node: NodeRecord) -> int:
    if node.free_ram_mb is not None:
        return node.free_ram_mb
    return node.memory_mb - node.memory_mb_used


def _free_disk(node: NodeRecord) -> int:
    if node.free_disk_gb is not None:
        return node.free_disk_gb
    return node.local_gb - node.local_gb_used


def _cpu_info(node: NodeRecord, version: Version) -> Any:
    if not version.at_least("2.28"):
        return node.cpu_info or ""
    try:
        parsed = json.loads(node.cpu_info or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _resources(node: NodeRecord, version: Version) -> dict[str, Any]:
    return {
        "vcpus": node.vcpus,
        "memory_mb": node.memory_mb,
        "local_gb": node.local_gb,
        "vcpus_used": node.vcpus_used,
        "memory_mb_used": node.memory_mb_used,
        "local_gb_used": node.local_gb_used,
        "free_ram_mb": _free_ram(node),
        "free_disk_gb": _free_disk(node),
        "current_workload": int(node.stats.get("io_workload", 0) or 0),
        "running_vms": node.running_vms or 0,
        # Guest disks are never thin-provisioned here, so the least disk
        # available to the scheduler is simply the free disk.
        "disk_available_least": _free_disk(node),
        "cpu_info": _cpu_info(node, version),
    }


def detail(
    node: NodeRecord,
    servers: Sequence[HostedServer] | None,
    version: Version,
    down_time: float,
    now: datetime.datetime,
) -> dict[str, Any]:
    """``/os-hypervisors/detail`` and ``/{id}``: the summary plus host and resources."""
    svc = _service(node).service
    body = summary(node, servers, version, down_time, now)
    body.update(
        {
            "host_ip": node.host_ip,
            "hypervisor_type": node.hypervisor_type,
            "hypervisor_version": node.hypervisor_version,
            "service": {
                "host": svc.host,
                "id": svc.uuid if version.at_least("2.53") else svc.id,
                "disabled_reason": svc.disabled_reason,
            },
        }
    )
    if version.at_least("2.88"):
        # Asking the compute for its uptime needs an RPC this API does not make yet.
        body["uptime"] = None
    else:
        body.update(_resources(node, version))
    return body


_SUMMED = (
    "vcpus",
    "memory_mb",
    "local_gb",
    "vcpus_used",
    "memory_mb_used",
    "local_gb_used",
    "free_ram_mb",
    "free_disk_gb",
    "current_workload",
    "running_vms",
    "disk_available_least",
)


def statistics(nodes: Sequence[NodeRecord], version: Version) -> dict[str, Any]:
    """``/os-hypervisors/statistics`` (before 2.88): totals over every node."""
    totals = dict.fromkeys(_SUMMED, 0)
    for node in nodes:
        resources = _resources(node, version)
        for key in _SUMMED:
            totals[key] += int(resources[key])
    return {"count": len(nodes), **totals}
