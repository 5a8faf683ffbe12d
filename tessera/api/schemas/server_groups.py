"""Request schemas of ``/os-server-groups``."""

from __future__ import annotations

from typing import Any

from tessera.objects.server_group import POLICY_NAMES

_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^\S(.*\S)?$"}


def _wrapped(inner: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"server_group": inner},
        "required": ["server_group"],
        "additionalProperties": False,
    }


CREATE: dict[str, Any] = _wrapped(
    {
        "type": "object",
        "properties": {
            "name": _NAME,
            # A list for historical reasons, but a group has exactly one policy.
            "policies": {
                "type": "array",
                "items": {"type": "string", "enum": list(POLICY_NAMES)},
                "minItems": 1,
                "maxItems": 1,
            },
        },
        "required": ["name", "policies"],
        "additionalProperties": False,
    }
)
"""``POST /os-server-groups`` before 2.64."""

CREATE_V264: dict[str, Any] = _wrapped(
    {
        "type": "object",
        "properties": {
            "name": _NAME,
            "policy": {"type": "string", "enum": list(POLICY_NAMES)},
            "rules": {
                "type": "object",
                "properties": {
                    "max_server_per_host": {"type": "integer", "minimum": 1},
                },
                "additionalProperties": False,
            },
        },
        "required": ["name", "policy"],
        "additionalProperties": False,
    }
)
"""From 2.64: one ``policy`` and its ``rules``."""
