"""Request schemas of ``/servers/{server_id}/tags``."""

from __future__ import annotations

from typing import Any

from tessera.objects.tag import MAX_TAG_COUNT, TAG_SCHEMA

TAG: dict[str, Any] = TAG_SCHEMA
"""One tag (the path segment of ``PUT /servers/{id}/tags/{tag}``)."""

UPDATE_ALL: dict[str, Any] = {
    "type": "object",
    "properties": {
        "tags": {"type": "array", "items": TAG_SCHEMA, "maxItems": MAX_TAG_COUNT},
    },
    "required": ["tags"],
    "additionalProperties": False,
}
