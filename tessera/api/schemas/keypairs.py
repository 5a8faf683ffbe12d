"""Request schemas of ``/os-keypairs``."""

from __future__ import annotations

from typing import Any

# Names end up in file names and ``authorized_keys`` comments: no control characters.
_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[\w\-. @]+$"}
_PUBLIC_KEY = {"type": "string", "minLength": 1, "maxLength": 65535}


def _create(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "keypair": {
                "type": "object",
                "properties": {"name": _NAME, "public_key": _PUBLIC_KEY, **extra},
                "required": ["name"],
                "additionalProperties": False,
            }
        },
        "required": ["keypair"],
        "additionalProperties": False,
    }


CREATE: dict[str, Any] = _create({})
"""``POST /os-keypairs`` before 2.2."""

CREATE_V22: dict[str, Any] = _create({"type": {"type": "string", "enum": ["ssh"]}})
"""From 2.2 a key type may be given; only ``ssh`` is supported."""

CREATE_V210: dict[str, Any] = _create(
    {
        "type": {"type": "string", "enum": ["ssh"]},
        "user_id": {"type": "string", "minLength": 1, "maxLength": 255},
    }
)
"""From 2.10 an administrator may create a keypair for another user."""
