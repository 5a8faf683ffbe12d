"""How a server's action history looks in ``os-instance-actions``."""

from __future__ import annotations

import datetime
from typing import Any

from tessera.api.microversions import Version
from tessera.compute.actions import ActionRecord


def _time(value: Any) -> str | None:
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    return None


def action(record: ActionRecord, version: Version) -> dict[str, Any]:
    """One action, without its events."""
    values = record.values
    body: dict[str, Any] = {
        "action": values["action"],
        "instance_uuid": values["instance_uuid"],
        "request_id": values["request_id"],
        "user_id": values["user_id"],
        "project_id": values["project_id"],
        "start_time": _time(values["start_time"]),
        "message": values["message"],
    }
    if version.at_least("2.58"):
        body["updated_at"] = _time(values["updated_at"] or values["start_time"])
    return body


def event(
    values: dict[str, Any],
    version: Version,
    *,
    show_host: bool,
    show_details: bool,
    show_extra: bool | None = None,
) -> dict[str, Any]:
    """One event; its traceback only when ``show_details``, and (2.84) its details
    when ``show_extra`` (``show_details`` when not given)."""
    body: dict[str, Any] = {
        "event": values["event"],
        "start_time": _time(values["start_time"]),
        "finish_time": _time(values["finish_time"]),
        "result": values["result"],
    }
    if show_details:
        body["traceback"] = values["traceback"]
    if (show_details if show_extra is None else show_extra) and version.at_least("2.84"):
        body["details"] = values["details"]
    if show_host and version.at_least("2.62"):
        body["host"] = values["host"] or ""
    return body
