"""Bodies of ``POST /servers/{id}/action`` and of server metadata requests."""

from __future__ import annotations

from typing import Any

# The action is the body's single key; each action's value is checked on its own.
ACTION: dict[str, Any] = {"type": "object", "minProperties": 1, "maxProperties": 1}

NO_ARGS: dict[str, Any] = {"type": ["object", "null"], "additionalProperties": False}

REBOOT: dict[str, Any] = {
    "type": "object",
    "properties": {"type": {"type": "string", "enum": ["SOFT", "HARD", "soft", "hard"]}},
    "required": ["type"],
    "additionalProperties": False,
}

LOCK_273: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {"locked_reason": {"type": "string", "minLength": 1, "maxLength": 255}},
    "additionalProperties": False,
}

_ITEMS: dict[str, Any] = {
    "type": "object",
    "patternProperties": {"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255}},
    "additionalProperties": False,
}

# A display name: printable, without leading or trailing white space.
NAME: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": "^(?![\\s])[^\\x00-\\x1f\\x7f]*(?<![\\s])$",
}

CREATE_IMAGE: dict[str, Any] = {
    "type": "object",
    "properties": {"name": NAME, "metadata": _ITEMS},
    "required": ["name"],
    "additionalProperties": False,
}

# ``forceDelete`` takes any value (null in practice), as the reference's schema does.
ANY_ARGS: dict[str, Any] = {}

METADATA: dict[str, Any] = {
    "type": "object",
    "properties": {"metadata": _ITEMS},
    "required": ["metadata"],
    "additionalProperties": False,
}

META_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {"meta": {**_ITEMS, "minProperties": 1, "maxProperties": 1}},
    "required": ["meta"],
    "additionalProperties": False,
}
