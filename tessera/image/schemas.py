"""JSON Schemas of image attributes, request bodies and the ``/v2/schemas`` documents."""

from __future__ import annotations

from typing import Any

import jsonschema

from tessera.api import validation
from tessera.image.errors import ImageBadRequest, ImageForbidden
from tessera.image.records import CONTAINER_FORMATS, DISK_FORMATS, Visibility

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
MAX_TAGS = 128
MAX_INT = 2**31 - 1
MAX_PROPERTY_NAME = 255

# Attributes a client may set, on create or by PATCH (keys as clients send them).
ATTRIBUTES: dict[str, dict[str, Any]] = {
    "id": {"type": "string", "pattern": UUID_PATTERN},
    "name": {"type": ["null", "string"], "maxLength": 255},
    "visibility": {"type": "string", "enum": [v.value for v in Visibility]},
    "protected": {"type": "boolean"},
    "os_hidden": {"type": "boolean"},
    "min_disk": {"type": "integer", "minimum": 0, "maximum": MAX_INT},
    "min_ram": {"type": "integer", "minimum": 0, "maximum": MAX_INT},
    "disk_format": {"type": ["null", "string"], "enum": [None, *DISK_FORMATS]},
    "container_format": {"type": ["null", "string"], "enum": [None, *CONTAINER_FORMATS]},
    "tags": {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": 255},
        "maxItems": MAX_TAGS,
    },
    "owner": {"type": ["null", "string"], "maxLength": 255},
}

# Attributes the service computes; setting one is refused with 403 as in Glance.
READ_ONLY = (
    "status",
    "checksum",
    "size",
    "virtual_size",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "updated_at",
    "self",
    "file",
    "schema",
    "direct_url",
    "locations",
)
RESERVED_PREFIX = "os_glance"

PROPERTY_VALUE: dict[str, Any] = {"type": "string", "maxLength": 65535}

CREATE: dict[str, Any] = {
    "type": "object",
    "properties": ATTRIBUTES,
    "propertyNames": {"minLength": 1, "maxLength": MAX_PROPERTY_NAME},
    "additionalProperties": PROPERTY_VALUE,
}

PATCH: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "op": {"enum": ["add", "replace", "remove"]},
            "path": {"type": "string", "pattern": "^/.+"},
            "value": {},
        },
        "required": ["op", "path"],
        "additionalProperties": False,
        "if": {"properties": {"op": {"enum": ["add", "replace"]}}},
        "then": {"required": ["value"]},
    },
}

_COMPUTED: dict[str, dict[str, Any]] = {
    "status": {"type": "string", "readOnly": True},
    "checksum": {"type": ["null", "string"], "readOnly": True},
    "size": {"type": ["null", "integer"], "readOnly": True},
    "virtual_size": {"type": ["null", "integer"], "readOnly": True},
    "os_hash_algo": {"type": ["null", "string"], "readOnly": True},
    "os_hash_value": {"type": ["null", "string"], "readOnly": True},
    "created_at": {"type": "string", "readOnly": True},
    "updated_at": {"type": "string", "readOnly": True},
    "self": {"type": "string", "readOnly": True},
    "file": {"type": "string", "readOnly": True},
    "schema": {"type": "string", "readOnly": True},
}


def validate(instance: object, schema: dict[str, Any], where: str = "body") -> None:
    """Check ``instance`` against ``schema``; ImageBadRequest naming the bad field."""
    try:
        validation.validate(instance, schema)
    except jsonschema.ValidationError as exc:
        field = "/".join(str(p) for p in exc.absolute_path) or where
        raise ImageBadRequest(f"Invalid value for {field}: {exc.message}") from None


def image_document() -> dict[str, Any]:
    """``GET /v2/schemas/image``: the shape of one image."""
    return {
        "name": "image",
        "properties": {**ATTRIBUTES, **_COMPUTED},
        "additionalProperties": PROPERTY_VALUE,
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def images_document() -> dict[str, Any]:
    """``GET /v2/schemas/images``: the shape of a listing page."""
    return {
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image_document()},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def check_property_name(name: str) -> None:
    """Refuse computed attributes and Glance's reserved ``os_glance*`` namespace (403)."""
    if name in READ_ONLY:
        raise ImageForbidden(f"Attribute '{name}' is read-only.")
    if name.startswith(RESERVED_PREFIX):
        raise ImageForbidden(f"Attribute '{name}' is reserved.")
    if len(name) > MAX_PROPERTY_NAME:
        raise ImageBadRequest(f"Property name {name[:32]}... is longer than {MAX_PROPERTY_NAME}.")
