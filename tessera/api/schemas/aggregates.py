"""Request schemas of ``/os-aggregates``."""

from __future__ import annotations

from typing import Any

# No leading or trailing blanks: names are compared and shown exactly.
_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^\S(.*\S)?$"}
# A colon would be read as ``zone:host`` where servers name a zone.
_ZONE = {"type": ["string", "null"], "minLength": 1, "maxLength": 255, "pattern": "^[^:]*$"}
_HOST = {"type": "string", "minLength": 1, "maxLength": 255}


def _wrapped(key: str, inner: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: inner},
        "required": [key],
        "additionalProperties": False,
    }


CREATE: dict[str, Any] = _wrapped(
    "aggregate",
    {
        "type": "object",
        "properties": {"name": _NAME, "availability_zone": _ZONE},
        "required": ["name"],
        "additionalProperties": False,
    },
)
"""``POST /os-aggregates``."""

UPDATE: dict[str, Any] = _wrapped(
    "aggregate",
    {
        "type": "object",
        "properties": {"name": _NAME, "availability_zone": _ZONE},
        "minProperties": 1,
        "additionalProperties": False,
    },
)
"""``PUT /os-aggregates/{id}``."""

_HOST_ACTION = {
    "type": "object",
    "properties": {"host": _HOST},
    "required": ["host"],
    "additionalProperties": False,
}

_METADATA = {
    "type": "object",
    "properties": {
        "metadata": {
            "type": "object",
            "propertyNames": {"minLength": 1, "maxLength": 255},
            "additionalProperties": {"type": ["string", "null"], "maxLength": 255},
        }
    },
    "required": ["metadata"],
    "additionalProperties": False,
}

ACTION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "add_host": _HOST_ACTION,
        "remove_host": _HOST_ACTION,
        "set_metadata": _METADATA,
    },
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
}
"""``POST /os-aggregates/{id}/action``: exactly one of the three actions."""
