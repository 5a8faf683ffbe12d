"""Queries for what a server's API body shows beside its instance row.

Each takes many servers at once, so a detail listing reads a page's parts in a
handful of queries: one per cell for host states and for volumes, one API
database query each for request specs and group membership, and one image
service lookup (two queries) for every image on the page.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa

from tessera.context import RequestContext, admin_context
from tessera.image.records import Image, ListQuery
from tessera.objects import instance as instances
from tessera.objects import request_spec as request_specs
from tessera.objects import server_group
from tessera.objects import service as services

UP = "UP"
DOWN = "DOWN"
MAINTENANCE = "MAINTENANCE"
UNKNOWN = "UNKNOWN"
NO_HOST = ""
HOST_STATUSES = (UP, DOWN, MAINTENANCE, UNKNOWN, NO_HOST)
"""Values of ``host_status`` (2.16): the server's compute service as the API sees it."""


@dataclass(frozen=True)
class VolumeAttachment:
    """A volume attached to a server (``os-extended-volumes:volumes_attached``)."""

    id: str
    """The volume's id."""
    delete_on_termination: bool
    """Whether deleting the server deletes the volume (shown from 2.3)."""


@dataclass(frozen=True)
class SpecParts:
    """What the views read from a server's request spec."""

    availability_zone: str | None = None
    """The zone the boot asked for (``pinned_availability_zone``); None if none."""
    scheduler_hints: dict[str, Any] = field(default_factory=dict)
    """The boot's scheduler hints."""


class ImageLookup(Protocol):
    """The part of the image service the views need (:class:`tessera.image.ImageService`)."""

    def list(self, ctx: RequestContext, query: ListQuery) -> list[Image]:
        """One page of images matching ``query``."""
        ...


def host_status(service: services.Service | None, down_time: float) -> str:
    """``host_status`` of a server whose host runs ``service`` (None: no compute there)."""
    if service is None:
        return NO_HOST
    if service.forced_down:
        return DOWN
    if service.disabled:
        return MAINTENANCE
    return UP if service.is_up(down_time) else UNKNOWN


def host_statuses(conn: sa.Connection, hosts: Collection[str], down_time: float) -> dict[str, str]:
    """``host_status`` of each of a cell's ``hosts``, in one query."""
    if not hosts:
        return {}
    table = services.TABLE
    stmt = sa.select(table).where(
        table.c.host.in_(sorted(hosts)),
        table.c.binary == services.COMPUTE_BINARY,
        table.c.deleted == 0,
    )
    found = {row.host: _service(row._mapping) for row in conn.execute(stmt)}
    return {host: host_status(found.get(host), down_time) for host in hosts}


def _service(row: sa.RowMapping) -> services.Service:
    return services.Service(**{f.name: row[f.name] for f in dataclasses.fields(services.Service)})


def volumes(conn: sa.Connection, uuids: Collection[str]) -> dict[str, tuple[VolumeAttachment, ...]]:
    """Attached volumes of each of a cell's servers, in attachment order, in one query."""
    if not uuids:
        return {}
    bdms = instances.BDMS
    stmt = (
        sa.select(bdms.c.instance_uuid, bdms.c.volume_id, bdms.c.delete_on_termination)
        .where(
            bdms.c.instance_uuid.in_(sorted(uuids)),
            bdms.c.deleted == 0,
            bdms.c.volume_id.is_not(None),
        )
        .order_by(bdms.c.id)
    )
    found: dict[str, list[VolumeAttachment]] = {}
    for row in conn.execute(stmt):
        attached = VolumeAttachment(row.volume_id, bool(row.delete_on_termination))
        found.setdefault(row.instance_uuid, []).append(attached)
    return {uuid: tuple(found.get(uuid, ())) for uuid in uuids}


def spec_parts(conn: sa.Connection, uuids: Collection[str]) -> dict[str, SpecParts]:
    """Zone and hints of each server's request spec (API database), in one query."""
    if not uuids:
        return {}
    table = request_specs.TABLE
    stmt = sa.select(table.c.instance_uuid, table.c.spec).where(
        table.c.instance_uuid.in_(sorted(uuids))
    )
    return {row.instance_uuid: parts_of(json.loads(row.spec)) for row in conn.execute(stmt)}


def parts_of(spec: Mapping[str, Any]) -> SpecParts:
    """The zone and hints of one request spec document."""
    zone = spec.get("availability_zone")
    hints = spec.get("scheduler_hints")
    return SpecParts(zone or None, dict(hints) if isinstance(hints, Mapping) else {})


def server_groups(conn: sa.Connection, uuids: Collection[str]) -> dict[str, tuple[str, ...]]:
    """Uuids of the groups each server is a member of (API database), in one query."""
    if not uuids:
        return {}
    groups, members = server_group.GROUPS, server_group.MEMBERS
    stmt = (
        sa.select(members.c.instance_uuid, groups.c.uuid)
        .join(groups, groups.c.id == members.c.group_id)
        .where(members.c.instance_uuid.in_(sorted(uuids)))
        .order_by(members.c.id)
    )
    found: dict[str, list[str]] = {}
    for row in conn.execute(stmt):
        found.setdefault(row.instance_uuid, []).append(row.uuid)
    return {uuid: tuple(found.get(uuid, ())) for uuid in uuids}


def image_id(image_ref: str | None) -> str | None:
    """The image id of an instance's ``image_ref`` (an id or an image URL)."""
    if not image_ref:
        return None
    return image_ref.rstrip("/").rsplit("/", 1)[-1]


def image_properties(
    images: ImageLookup | None, image_ids: Iterable[str | None]
) -> dict[str, dict[str, str]]:
    """Properties of each image; ``{}`` for one that is gone (or without an image service)."""
    wanted = tuple(sorted({i for i in image_ids if i}))
    if images is None or not wanted:
        return {}
    # A server's image stays its image whatever its owner did since: look it up
    # as the control plane, hidden images included.
    ctx = admin_context()
    found: dict[str, dict[str, str]] = {i: {} for i in wanted}
    for hidden in (False, True):
        query = ListQuery(
            matches={"id": wanted}, visibility="all", hidden=hidden, limit=len(wanted)
        )
        for image in images.list(ctx, query):
            found[image.id] = dict(image.properties)
    return found


class ImageProperties:
    """Image properties for server views, remembered for ``ttl`` seconds.

    Why: at 2.98 every server body shows its image's properties, and asking the
    image service costs a few queries per request. A server's image rarely
    changes its properties, and the reference shows a copy taken at boot, so
    answers up to ``ttl`` seconds old are as good. Owned by one ServerDetails.
    """

    def __init__(self, images: ImageLookup | None, ttl: float = 30.0, size: int = 4096) -> None:
        self._images = images
        self._ttl = ttl
        self._size = size
        self._known: dict[str, tuple[float, dict[str, str]]] = {}

    def of(self, image_ids: Iterable[str | None]) -> dict[str, dict[str, str]]:
        """Properties of each image (``{}`` for one that is gone)."""
        now = time.monotonic()
        wanted = {i for i in image_ids if i}
        fresh = {i: self._known[i] for i in wanted if i in self._known}
        found = {i: props for i, (at, props) in fresh.items() if now - at < self._ttl}
        missing = wanted - set(found)
        if missing:
            read = image_properties(self._images, missing)
            if len(self._known) + len(read) > self._size:
                self._known.clear()
            self._known.update((i, (now, props)) for i, props in read.items())
            found.update(read)
        return found
