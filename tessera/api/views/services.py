"""Service representations of ``/os-services`` by microversion."""

from __future__ import annotations

import datetime
from typing import Any

from tessera.api.microversions import Version
from tessera.api.views.times import timestamp
from tessera.objects.compute_node_records import ServiceRecord
from tessera.objects.service import COMPUTE_BINARY


def state(record: ServiceRecord, down_time: float, now: datetime.datetime) -> str:
    """``up`` or ``down`` from heartbeats and the forced-down flag."""
    return "up" if record.service.is_up(down_time, now) else "down"


def status(record: ServiceRecord) -> str:
    """``enabled`` or ``disabled``."""
    return "disabled" if record.service.disabled else "enabled"


def service(
    record: ServiceRecord, zone: str, version: Version, down_time: float, now: datetime.datetime
) -> dict[str, Any]:
    """One service of a cell that answered."""
    svc = record.service
    body: dict[str, Any] = {
        "id": svc.uuid if version.at_least("2.53") else svc.id,
        "binary": svc.binary,
        "host": svc.host,
        "zone": zone,
        "status": status(record),
        "state": state(record, down_time, now),
        "updated_at": timestamp(record.last_heard),
        "disabled_reason": svc.disabled_reason,
    }
    if version.at_least("2.11"):
        body["forced_down"] = svc.forced_down
    return body


def unknown(host: str) -> dict[str, Any]:
    """A compute host of a cell that did not answer (2.69 and later)."""
    return {"binary": COMPUTE_BINARY, "host": host, "status": "UNKNOWN"}


def legacy_action(
    host: str,
    binary: str,
    *,
    disabled: bool | None = None,
    reason: str | None = None,
    forced_down: bool | None = None,
) -> dict[str, Any]:
    """The answer of the pre-2.53 actions: what was asked, echoed back."""
    body: dict[str, Any] = {"host": host, "binary": binary}
    if disabled is not None:
        body["status"] = "disabled" if disabled else "enabled"
    if reason is not None:
        body["disabled_reason"] = reason
    if forced_down is not None:
        body["forced_down"] = forced_down
    return body
