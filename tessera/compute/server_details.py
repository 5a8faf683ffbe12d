"""A server as the API shows it, and loading what its body reads beside the instance.

:class:`ServerDetails` loads the parts for one server (show, update) or for a
whole listing page at once (detail), see :mod:`tessera.compute.server_parts`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tessera.cells.targets import CellTargets
from tessera.compute import server_parts as parts
from tessera.compute import server_reads
from tessera.compute.server_parts import ImageLookup, SpecParts, VolumeAttachment
from tessera.compute.server_reads import ApiRecord
from tessera.context import Ok, scatter_gather
from tessera.db.errors import DatabaseUnreachable
from tessera.network.addresses import Addresses
from tessera.network.service import NetworkService
from tessera.objects import cell_mapping, instance_mapping
from tessera.objects import request_spec as request_specs
from tessera.objects.cell_mapping import CellMapping
from tessera.objects.errors import InstanceNotFound
from tessera.objects.instance import Instance
from tessera.objects.instance_fault import Fault

LOG = logging.getLogger(__name__)

DEFAULT_SECURITY_GROUP = "default"
"""The built-in network puts every port in its project's default group."""

CELL_ERRORS = (
    DatabaseUnreachable,
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
)
"""What a cell database that is down or cut off raises on connect or query."""


class CellUnreachable(Exception):
    """The cell holding a server did not answer; only the API database knows of it."""

    def __init__(self, instance_uuid: str, cell_uuid: str) -> None:
        super().__init__(
            f"Cell {cell_uuid} is not responding or returned an exception, "
            "hence instance info is not available."
        )
        self.instance_uuid = instance_uuid
        self.cell_uuid = cell_uuid


@dataclass(frozen=True)
class Wanted:
    """Optional parts of a server view a response needs; each costs a lookup."""

    host_status: bool = False
    """The compute service state of the server's host (2.16)."""
    request_spec: bool = False
    """Pinned availability zone and scheduler hints from the request spec (2.96, 2.100)."""
    server_groups: bool = False
    """The groups the server is a member of (2.71, not in listings)."""
    image_properties: bool = False
    """The image's properties from the image service (2.98)."""
    tags: bool = False
    """The server's tags (2.26; listings read them with the page anyway)."""


BASIC = Wanted()
"""No optional part: what every server body shows."""


@dataclass(frozen=True)
class ServerView:
    """A server as the API shows it: the instance and what its body reads beside it."""

    instance: Instance
    """The instance (from its cell, or from its build request while scheduling)."""
    fault: Fault | None = None
    """The latest fault, shown when the server is in ERROR."""
    addresses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Fixed addresses by network name, as the API shows them (none while building)."""
    tags: list[str] = field(default_factory=list)
    """The server's tags (2.26)."""
    security_groups: tuple[str, ...] = ()
    """Security groups of the server's ports; none when it has no port."""
    volumes: tuple[VolumeAttachment, ...] = ()
    """Attached volumes, in attachment order."""
    host_status: str | None = None
    """State of the host's compute service (``parts.HOST_STATUSES``); None: not loaded."""
    spec: SpecParts = field(default_factory=SpecParts)
    """Zone and hints of the request spec (loaded when ``Wanted.request_spec``)."""
    server_groups: tuple[str, ...] = ()
    """Uuids of the groups it is a member of (loaded when ``Wanted.server_groups``)."""
    image_properties: dict[str, str] = field(default_factory=dict)
    """Its image's properties (loaded when ``Wanted.image_properties``)."""
    trusted_image_certificates: tuple[str, ...] | None = None
    """Certificate ids its image must be signed with (2.63); None when none were asked."""
    partial: bool = False
    """Only what the API database knows: the server's cell did not answer (2.69)."""
    cell_uuid: str | None = None
    """The cell its record was read from; None for a build request, or when not known."""


@dataclass(frozen=True)
class _InCell:
    """What one cell tells of one of its servers on a listing page."""

    volumes: tuple[VolumeAttachment, ...]
    """Attached volumes."""
    host_status: str | None
    """State of its host's compute service, if wanted."""


_CellParts = dict[str, _InCell]
"""Per server uuid: what its cell tells."""


class ServerDetails:
    """Loads the parts of server views from the cells, the API database and the services."""

    def __init__(
        self,
        targets: CellTargets,
        network: NetworkService | None,
        images: ImageLookup | None,
        service_down_time: float,
        cell_timeout: float,
    ) -> None:
        self._targets = targets
        self._network = network
        self._side_reads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="server-reads")
        self._images = parts.ImageProperties(images)
        self._down_time = service_down_time
        self._cell_timeout = cell_timeout

    # ------------------------------------------------------------------ one server

    def in_cell(self, found: ApiRecord, wanted: Wanted) -> ServerView:
        """The server as its cell holds it, complete; CellUnreachable if the cell fails.

        ``found`` is what the API database told of it (with the parts ``wanted``
        asks of that database), so this reads the cell and the network only.
        """
        cell, uuid = found.mapping.cell, found.mapping.instance_uuid
        assert cell is not None
        # The ports live in the network's database: read them while the cell answers.
        ports = self._side_reads.submit(self._addresses, [uuid]) if self._network else None
        try:
            with self._targets.reader(cell).connect() as conn:
                told = server_reads.read_cell(conn, uuid, wanted, self._down_time)
        except CELL_ERRORS:
            raise CellUnreachable(uuid, cell.uuid) from None
        addresses = ports.result() if ports is not None else None
        view = ServerView(
            told.instance,
            told.fault,
            cell_uuid=cell.uuid,
            volumes=told.volumes,
            host_status=told.host_status,
            tags=told.tags,
            spec=found.spec,
            server_groups=found.groups,
        )
        read = dataclasses.replace(wanted, request_spec=False, server_groups=False)
        return self.complete([view], read, addresses)[0]

    def unbuilt(self, record: Instance, wanted: Wanted, tags: Sequence[str] = ()) -> ServerView:
        """A server still a build request (no host, so no host state yet)."""
        status = parts.NO_HOST if wanted.host_status else None
        view = ServerView(record, host_status=status, tags=list(tags))
        return self.complete([view], wanted)[0]

    def partial(self, uuid: str, wanted: Wanted) -> ServerView:
        """What the API database knows of a server whose cell is down (2.69 shows it).

        InstanceNotFound when its deletion was asked for or it has no request spec.
        """
        table = instance_mapping.TABLE
        stmt = sa.select(table.c.queued_for_delete, table.c.project_id, table.c.created_at)
        with self._targets.api_reader.connect() as conn:
            row = conn.execute(stmt.where(table.c.instance_uuid == uuid)).first()
            stored = request_specs.get(conn, uuid)
            groups = parts.server_groups(conn, [uuid]) if wanted.server_groups else {}
        if row is None or row.queued_for_delete or stored is None:
            raise InstanceNotFound(uuid)
        spec = stored.spec
        values = {
            "uuid": uuid,
            "project_id": row.project_id,
            "user_id": spec.get("user_id"),
            "created_at": row.created_at,
            "image_ref": spec.get("image_ref"),
            "availability_zone": spec.get("availability_zone"),
            "power_state": 0,
        }
        record = Instance(values, dict(spec.get("flavor") or {}), {})
        image = parts.image_id(record.image_ref)
        props = self._images.of([image]) if wanted.image_properties else {}
        return ServerView(
            record,
            server_groups=groups.get(uuid, ()),
            image_properties=props.get(image or "", {}),
            partial=True,
        )

    # ------------------------------------------------------------------ a page

    def page(self, views: Sequence[ServerView], wanted: Wanted) -> list[ServerView]:
        """A listing page's views, complete, with the page's parts read in batches.

        One query per cell of the page (volumes, host states; cells concurrently),
        one API-database query per wanted part, one address and one image lookup.
        A cell that fails meanwhile leaves its servers' parts at their defaults.
        Partial views (down cells) are returned as they are.
        """
        full = [v for v in views if not v.partial]
        by_cell = self._cells_of([v.instance.uuid for v in full if v.cell_uuid is None])
        for view in full:  # a listing tells where it read each server: no lookup for those
            if view.cell_uuid is not None:
                by_cell.setdefault(view.cell_uuid, []).append(view.instance.uuid)
        found = self._cell_parts(full, by_cell, wanted)
        default = _InCell((), parts.NO_HOST if wanted.host_status else None)
        read = [_told(v, found.get(v.instance.uuid, default)) for v in full]
        completed = iter(self.complete(read, wanted))
        return [v if v.partial else next(completed) for v in views]

    def _cells_of(self, uuids: Sequence[str]) -> dict[str, list[str]]:
        """Uuids of the servers by the uuid of the cell holding them (one query)."""
        if not uuids:
            return {}
        table, cells = instance_mapping.TABLE, cell_mapping.TABLE
        # The cell's uuid as a scalar subquery, not a join: MariaDB would drive a join
        # from cell_mappings and scan every mapping of each cell (10+ ms at 10k servers).
        cell_uuid = sa.select(cells.c.uuid).where(cells.c.id == table.c.cell_id).scalar_subquery()
        stmt = sa.select(table.c.instance_uuid, cell_uuid.label("cell_uuid")).where(
            table.c.instance_uuid.in_(sorted(uuids))
        )
        found: dict[str, list[str]] = {}
        with self._targets.api_reader.connect() as conn:
            for row in conn.execute(stmt):
                if row.cell_uuid is not None:
                    found.setdefault(row.cell_uuid, []).append(row.instance_uuid)
        return found

    def _cell_parts(
        self, views: Sequence[ServerView], by_cell: Mapping[str, list[str]], wanted: Wanted
    ) -> _CellParts:
        """Volumes and host status of each server: one query of each per cell."""
        hosts = {v.instance.uuid: v.instance.host for v in views}

        def read(cell: CellMapping) -> _CellParts:
            uuids = by_cell[cell.uuid]
            on = {hosts[u] for u in uuids if hosts[u]} if wanted.host_status else set()
            with self._targets.reader(cell).connect() as conn:
                attached = parts.volumes(conn, uuids)
                states = parts.host_statuses(conn, on, self._down_time)
            return {
                u: _InCell(
                    attached[u],
                    states.get(hosts[u] or "", parts.NO_HOST) if wanted.host_status else None,
                )
                for u in uuids
            }

        cells = [c for c in self._targets.cells() if c.uuid in by_cell]
        merged: _CellParts = {}
        for uuid, outcome in scatter_gather(cells, _uuid, read, self._cell_timeout).items():
            if isinstance(outcome, Ok):
                merged.update(outcome.value)
            else:
                LOG.warning("Volumes and host states of cell %s not read: %s", uuid, outcome)
        return merged

    # ------------------------------------------------------------------ shared

    def _addresses(self, uuids: Sequence[str]) -> dict[str, Addresses]:
        return self._network.addresses_many(uuids) if self._network and uuids else {}

    def complete(
        self,
        views: Sequence[ServerView],
        wanted: Wanted,
        addresses: Mapping[str, Addresses] | None = None,
    ) -> list[ServerView]:
        """``views`` with what the API database, the network and the image service add.

        ``addresses`` are the servers' addresses when the caller read them already.
        """
        uuids = [v.instance.uuid for v in views]
        specs: dict[str, SpecParts] = {}
        groups: dict[str, tuple[str, ...]] = {}
        if uuids and (wanted.request_spec or wanted.server_groups):
            with self._targets.api_reader.connect() as conn:
                specs = parts.spec_parts(conn, uuids) if wanted.request_spec else {}
                groups = parts.server_groups(conn, uuids) if wanted.server_groups else {}
        images = {}
        if wanted.image_properties:
            refs = [parts.image_id(v.instance.image_ref) for v in views]
            images = self._images.of(refs)
        found = self._addresses(uuids) if addresses is None else addresses
        return [
            dataclasses.replace(
                v,
                addresses=_shown_addresses(v.instance, found.get(v.instance.uuid)),
                security_groups=(DEFAULT_SECURITY_GROUP,) if found.get(v.instance.uuid) else (),
                spec=specs.get(v.instance.uuid, v.spec),
                server_groups=groups.get(v.instance.uuid, v.server_groups),
                image_properties=images.get(parts.image_id(v.instance.image_ref) or "", {}),
            )
            for v in views
        ]


def _told(view: ServerView, told: _InCell) -> ServerView:
    return dataclasses.replace(view, volumes=told.volumes, host_status=told.host_status)


def _shown_addresses(
    record: Instance, found: dict[str, list[dict[str, Any]]] | None
) -> dict[str, list[dict[str, Any]]]:
    # The API hides a server's addresses while it is building (they may still change).
    if not found or record.vm_state == "building":
        return {}
    return dict(found)


def _uuid(cell: CellMapping) -> str:
    return cell.uuid
