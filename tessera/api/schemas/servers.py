"""Request schemas of ``/servers``."""

from __future__ import annotations

from typing import Any

_UUID_OR_NAME = {"type": "string", "minLength": 1, "maxLength": 255}

CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "server": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 255},
                "flavorRef": {"type": ["string", "integer"], "minLength": 1},
                "imageRef": {"type": "string", "maxLength": 255},
                "min_count": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1},
                "max_count": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1},
                "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
                "metadata": {
                    "type": "object",
                    "maxProperties": 128,
                    "additionalProperties": {"type": "string", "maxLength": 255},
                },
                "key_name": _UUID_OR_NAME,
                "description": {"type": ["string", "null"], "maxLength": 255},
                "networks": {
                    "oneOf": [{"type": "string", "enum": ["none", "auto"]}, {"type": "array"}]
                },
                "block_device_mapping_v2": {"type": "array"},
                "security_groups": {"type": "array"},
                "user_data": {"type": "string"},
                "config_drive": {"type": ["boolean", "string"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "return_reservation_id": {"type": ["boolean", "string"]},
                "OS-DCF:diskConfig": {"type": "string"},
            },
            "required": ["name", "flavorRef"],
            "additionalProperties": False,
        },
        "os:scheduler_hints": {"type": "object"},
        "OS-SCH-HNT:scheduler_hints": {"type": "object"},
    },
    "required": ["server"],
    "additionalProperties": False,
}
