"""Request schemas of ``/os-services``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.api.errors import bad_request
from tessera.objects.compute_node_records import ServiceChange

_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_REASON = {"type": "string", "minLength": 1, "maxLength": 255}

UPDATE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["enabled", "disabled"]},
        "disabled_reason": _REASON,
        "forced_down": {"type": "boolean"},
    },
    "additionalProperties": False,
}
"""``PUT /os-services/{uuid}`` (2.53 and later)."""

HOST_BINARY: dict[str, Any] = {
    "type": "object",
    "properties": {"host": _NAME, "binary": _NAME},
    "required": ["host", "binary"],
    "additionalProperties": False,
}
"""``PUT /os-services/enable`` and ``/disable`` (before 2.53)."""

DISABLE_LOG_REASON: dict[str, Any] = {
    "type": "object",
    "properties": {"host": _NAME, "binary": _NAME, "disabled_reason": _REASON},
    "required": ["host", "binary", "disabled_reason"],
    "additionalProperties": False,
}
"""``PUT /os-services/disable-log-reason`` (before 2.53)."""

FORCE_DOWN: dict[str, Any] = {
    "type": "object",
    "properties": {"host": _NAME, "binary": _NAME, "forced_down": {"type": "boolean"}},
    "required": ["host", "binary", "forced_down"],
    "additionalProperties": False,
}
"""``PUT /os-services/force-down`` (2.11 to 2.52)."""


def update_change(data: Mapping[str, Any]) -> ServiceChange:
    """The change an ``UPDATE`` body asks for (400 for combinations that mean nothing)."""
    status, reason = data.get("status"), data.get("disabled_reason")
    if status is None and "forced_down" not in data:
        raise bad_request("No updates were requested: give 'status' or 'forced_down'.")
    if reason is not None and status != "disabled":
        raise bad_request("'disabled_reason' is only valid with status 'disabled'.")
    disabled = None if status is None else status == "disabled"
    return ServiceChange(disabled, reason, data.get("forced_down"))


def legacy_change(action: str, data: Mapping[str, Any]) -> ServiceChange:
    """The change a pre-2.53 action body asks for."""
    if action == "force-down":
        return ServiceChange(forced_down=bool(data["forced_down"]))
    return ServiceChange(disabled=action != "enable", reason=data.get("disabled_reason"))
