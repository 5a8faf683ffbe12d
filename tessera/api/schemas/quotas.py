"""Request schemas of ``/os-quota-sets``."""

from __future__ import annotations

from typing import Any

from tessera.objects.quota import DEFAULTS

# -1 is "unlimited"; the cap keeps values within a signed 32-bit column.
_LIMIT = {"type": "integer", "minimum": -1, "maximum": 0x7FFFFFFF}

UPDATE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "quota_set": {
            "type": "object",
            "properties": {
                **{name: _LIMIT for name in DEFAULTS},
                "force": {"type": "boolean"},
            },
            "additionalProperties": False,
        }
    },
    "required": ["quota_set"],
    "additionalProperties": False,
}
"""``PUT /os-quota-sets/{project_id}``: the resources to change, and ``force``."""
