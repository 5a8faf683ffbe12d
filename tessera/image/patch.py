"""``PATCH /v2/images/{id}`` in the ``openstack-images-v2.1-json-patch`` dialect.

Paths name one top-level attribute (``/name``, ``/tags``, ``/os_distro``). ``add`` sets
an attribute whether or not it exists (openstacksdk sends ``add`` for every attribute it
changes); ``replace`` and ``remove`` of a custom property need it to exist (409), and
core attributes cannot be removed (403), as in Glance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tessera.image import policy
from tessera.image.errors import ImageBadRequest, ImageConflict, ImageForbidden
from tessera.image.records import Image, Status, Viewer, Visibility
from tessera.image.schemas import (
    ATTRIBUTES,
    PATCH,
    PROPERTY_VALUE,
    check_property_name,
    validate,
)

MEDIA_TYPE = "application/openstack-images-v2.1-json-patch"
# Attribute names clients use that differ from the record's field names.
_FIELDS = {"os_hidden": "hidden"}
_FORMATS = ("disk_format", "container_format")


@dataclass(frozen=True)
class PatchOp:
    """One operation of a patch document."""

    op: str
    """``add``, ``replace`` or ``remove``."""
    attribute: str
    """The attribute the path points at, JSON Pointer escapes undone."""
    value: object = None
    """The new value (``add`` and ``replace`` only)."""


def parse(document: object) -> tuple[PatchOp, ...]:
    """The operations of a patch document; ImageBadRequest if it is malformed."""
    validate(document, PATCH)
    assert isinstance(document, list)
    return tuple(_parse_one(item) for item in document)


def apply(image: Image, ops: Sequence[PatchOp], viewer: Viewer) -> Image:
    """``image`` after every operation, in order; raises on the first refused one."""
    for op in ops:
        image = _apply_one(image, op, viewer)
    return image


def unique(values: Sequence[str]) -> tuple[str, ...]:
    """``values`` without repeats, first occurrence kept (Glance tags are a set)."""
    return tuple(dict.fromkeys(values))


def _parse_one(item: dict[str, object]) -> PatchOp:
    path = str(item["path"])[1:]
    if "/" in path:
        raise ImageBadRequest(f"Invalid path {item['path']}: only top-level attributes.")
    attribute = path.replace("~1", "/").replace("~0", "~")
    return PatchOp(str(item["op"]), attribute, item.get("value"))


def _apply_one(image: Image, op: PatchOp, viewer: Viewer) -> Image:
    if op.attribute == "id":
        raise ImageForbidden("Attribute 'id' is read-only.")
    if op.attribute in ATTRIBUTES:
        return _set_core(image, op, viewer)
    check_property_name(op.attribute)
    return _set_property(image, op)


def _set_core(image: Image, op: PatchOp, viewer: Viewer) -> Image:
    if op.op == "remove":
        raise ImageForbidden(f"Attribute '{op.attribute}' cannot be removed.")
    validate(op.value, ATTRIBUTES[op.attribute], op.attribute)
    field = _FIELDS.get(op.attribute, op.attribute)
    value = _core_value(op.attribute, op.value)
    if value != getattr(image, field):
        _check_core_change(image, op.attribute, value, viewer)
    changes: dict[str, Any] = {field: value}
    return dataclasses.replace(image, **changes)


def _core_value(attribute: str, value: object) -> object:
    if attribute == "visibility":
        return Visibility(str(value))
    if attribute == "tags":
        assert isinstance(value, list)
        return unique(value)
    return value


def _check_core_change(image: Image, attribute: str, value: object, viewer: Viewer) -> None:
    if attribute == "visibility":
        assert isinstance(value, Visibility)
        policy.check_visibility(viewer, value)
    elif attribute == "owner":
        assert value is None or isinstance(value, str)
        policy.check_owner(viewer, value)
    elif attribute in _FORMATS and image.status is not Status.QUEUED:
        # The formats describe uploaded bytes; they cannot change under existing data.
        raise ImageForbidden(f"Attribute {attribute} can only be replaced for a queued image.")


def _set_property(image: Image, op: PatchOp) -> Image:
    properties = dict(image.properties)
    if op.op != "add" and op.attribute not in properties:
        raise ImageConflict(f"Property {op.attribute} does not exist.")
    if op.op == "remove":
        del properties[op.attribute]
    else:
        validate(op.value, PROPERTY_VALUE, op.attribute)
        assert isinstance(op.value, str)
        properties[op.attribute] = op.value
    return dataclasses.replace(image, properties=properties)
