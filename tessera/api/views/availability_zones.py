"""Zone representations of ``/os-availability-zone``."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from tessera.api.views.times import timestamp
from tessera.objects.compute_node_records import ServiceRecord

Zoned = Sequence[tuple[str, ServiceRecord]]
"""Services with the zone each is in."""


def _split(zoned: Zoned) -> tuple[list[str], list[str]]:
    """Zones with an enabled service, and zones whose services are all disabled."""
    available = sorted({zone for zone, r in zoned if not r.service.disabled})
    unavailable = sorted({zone for zone, _ in zoned} - set(available))
    return available, unavailable


def _entry(zone: str, available: bool, hosts: dict[str, Any] | None) -> dict[str, Any]:
    return {"zoneName": zone, "zoneState": {"available": available}, "hosts": hosts}


def index(zoned: Zoned, internal: str) -> list[dict[str, Any]]:
    """Every zone but the internal one, with whether it can take servers."""
    available, unavailable = _split(zoned)
    return [_entry(z, True, None) for z in available if z != internal] + [
        _entry(z, False, None) for z in unavailable if z != internal
    ]


def detail(zoned: Zoned, down_time: float, now: datetime.datetime) -> list[dict[str, Any]]:
    """Every zone; available ones list their hosts' enabled services and states."""
    available, unavailable = _split(zoned)
    hosts: dict[str, dict[str, dict[str, Any]]] = {z: {} for z in available}
    for zone, record in zoned:
        svc = record.service
        if svc.disabled or not svc.host or not svc.binary:
            continue
        hosts[zone].setdefault(svc.host, {})[svc.binary] = {
            "available": svc.is_up(down_time, now),
            "active": True,
            "updated_at": timestamp(record.last_heard),
        }
    return [_entry(z, True, hosts[z]) for z in available] + [
        _entry(z, False, None) for z in unavailable
    ]
