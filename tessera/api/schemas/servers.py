"""Request schemas of ``/servers``: the create body by microversion."""

from __future__ import annotations

import copy
from typing import Any

from tessera.objects.tag import MAX_TAG_COUNT, TAG_SCHEMA

_UUID_OR_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_STRINGS = {"type": "array", "items": {"type": "string"}}

# Values the reference accepts for a boolean field (parsed by oslo's bool_from_string).
BOOLEAN: dict[str, Any] = {
    "type": ["boolean", "string"],
    "enum": [
        True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes",
        False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no",
    ],
}  # fmt: skip

_COUNT = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1}

# Scheduler hints: the known ones are shaped; unknown ones pass (the reference relaxed
# this on purpose). Uuids are checked by the handler, which gives a clearer message.
HINTS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "group": {"oneOf": [{"type": "string"}, _STRINGS]},
        "different_host": {"oneOf": [{"type": "string"}, _STRINGS]},
        "same_host": {"oneOf": [{"type": "string"}, _STRINGS]},
        "query": {"type": ["string", "object"]},
        "target_cell": {"type": "string", "minLength": 1, "maxLength": 255},
        "different_cell": {"oneOf": [{"type": "string"}, _STRINGS]},
        "build_near_host_ip": {"type": "string"},
        "cidr": {"type": "string", "pattern": "^/[0-9a-f.:]+$"},
    },
    "additionalProperties": True,
}

CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "server": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 255},
                "flavorRef": {"type": ["string", "integer"], "minLength": 1},
                "imageRef": {"type": "string", "maxLength": 255},
                "min_count": _COUNT,
                "max_count": _COUNT,
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
                "return_reservation_id": BOOLEAN,
                "OS-DCF:diskConfig": {"type": "string"},
            },
            "required": ["name", "flavorRef"],
            "additionalProperties": False,
        },
        "os:scheduler_hints": HINTS,
        "OS-SCH-HNT:scheduler_hints": HINTS,
    },
    "required": ["server"],
    "additionalProperties": False,
}

# 2.52: servers may be created with tags.
CREATE_V252: dict[str, Any] = copy.deepcopy(CREATE)
CREATE_V252["properties"]["server"]["properties"]["tags"] = {
    "type": "array",
    "items": TAG_SCHEMA,
    "maxItems": MAX_TAG_COUNT,
}


def create(at_252: bool) -> dict[str, Any]:
    """The create schema for the negotiated version (tags from 2.52)."""
    return CREATE_V252 if at_252 else CREATE
