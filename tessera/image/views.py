"""Images as Glance v2 shows them, and the listing page around them.

Links are relative to the image endpoint's root (``/v2/...``), as Glance writes them;
openstacksdk strips the ``/v2`` and resolves the rest against the endpoint it found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from tessera.image.records import HASH_ALGO, Image

IMAGES_PATH = "/v2/images"
IMAGE_SCHEMA = "/v2/schemas/image"
IMAGES_SCHEMA = "/v2/schemas/images"

QueryParams = Mapping[str, str | list[str]]


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the second."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def image(record: Image) -> dict[str, Any]:
    """The JSON of one image; custom properties sit beside the core attributes."""
    digest = record.digest
    core: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "status": record.status.value,
        "visibility": record.visibility.value,
        "owner": record.owner,
        "protected": record.protected,
        "os_hidden": record.hidden,
        "checksum": digest.checksum if digest else None,
        "os_hash_algo": HASH_ALGO if digest else None,
        "os_hash_value": digest.hash_value if digest else None,
        "size": digest.size if digest else None,
        "virtual_size": None,
        "min_disk": record.min_disk,
        "min_ram": record.min_ram,
        "disk_format": record.disk_format,
        "container_format": record.container_format,
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
        "tags": list(record.tags),
        "self": f"{IMAGES_PATH}/{record.id}",
        "file": f"{IMAGES_PATH}/{record.id}/file",
        "schema": IMAGE_SCHEMA,
    }
    # Core attributes win: a stored property can never mask one.
    return {**record.properties, **core}


def page(records: Sequence[Image], params: QueryParams, limit: int) -> dict[str, Any]:
    """A listing page with ``first`` and, when the page is full, ``next`` links."""
    others = {k: v for k, v in params.items() if k != "marker"}
    body: dict[str, Any] = {
        "images": [image(r) for r in records],
        "first": _link(others),
        "schema": IMAGES_SCHEMA,
    }
    # A full page may have a successor; an empty next page ends the client's loop.
    if records and len(records) >= limit:
        body["next"] = _link({**others, "marker": records[-1].id})
    return body


def _link(params: QueryParams) -> str:
    query = urlencode(params, doseq=True)
    return f"{IMAGES_PATH}?{query}" if query else IMAGES_PATH
