"""One server's API body read in one query per database.

Why: ``GET /servers/{id}`` is the API's most frequent call, and round trips
are most of its cost. The API database gives the mapping with its cell, and
(when the body shows them) the request spec and the groups, in one query; the
cell gives the instance with its flavor, metadata, volumes, tags and (when
shown) its host's compute service in another (a UNION ALL of narrow rows).
Only a server in ERROR costs a third, for its fault. The mapping's cell comes
from the API's cached cell mappings, not from the query.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tessera.compute import server_parts as parts
from tessera.compute.server_parts import SpecParts, VolumeAttachment
from tessera.db.json_record import decode_record, record_of
from tessera.objects import instance as instances
from tessera.objects import instance_fault, instance_mapping, server_group, tag
from tessera.objects import request_spec as request_specs
from tessera.objects import service as services
from tessera.objects.cell_mapping import CellMapping
from tessera.objects.errors import InstanceMappingNotFound, InstanceNotFound
from tessera.objects.instance import Instance
from tessera.objects.instance_fault import Fault
from tessera.objects.instance_mapping import InstanceMapping

if TYPE_CHECKING:  # server_details reads through this module
    from tessera.compute.server_details import Wanted


@dataclass(frozen=True)
class ApiRecord:
    """What the API database holds of one server."""

    mapping: InstanceMapping
    """Its mapping, with the cell it is in (None while it is a build request)."""
    spec: SpecParts
    """Zone and hints of its request spec (defaults when not read or absent)."""
    groups: tuple[str, ...]
    """Uuids of its server groups (empty when not read)."""


@dataclass(frozen=True)
class CellRecord:
    """What a cell holds of one of its servers."""

    instance: Instance
    """The instance, with its flavor and metadata."""
    volumes: tuple[VolumeAttachment, ...]
    """Attached volumes, in attachment order."""
    tags: list[str]
    """Its tags, sorted (empty when not read)."""
    host_status: str | None
    """State of its host's compute service (None when not read)."""
    fault: Fault | None
    """Its latest fault, read only when it is in ERROR."""


# --------------------------------------------------------------------------- API database


CellOf = Callable[[int], CellMapping]
"""The cell mapping with a given primary key (cached by the caller's cell targets)."""


def read_api(conn: sa.Connection, uuid: str, wanted: Wanted, cell_of: CellOf) -> ApiRecord:
    """The server's mapping and wanted API-database parts; InstanceMappingNotFound.

    The mapping's cell comes from ``cell_of`` (cell mappings change rarely and
    every API process keeps them), so the query reads no cell columns.
    """
    rows = conn.execute(_api_statement(wanted), {"uuid": uuid}).all()
    if not rows:
        raise InstanceMappingNotFound(uuid)
    first = rows[0]
    cell = cell_of(first.cell_id) if first.cell_id is not None else None
    mapping = InstanceMapping(
        first.id, uuid, first.project_id, first.user_id, first.queued_for_delete, cell
    )
    spec = first.spec if wanted.request_spec else None
    groups = tuple(r.group_uuid for r in rows if r.group_uuid) if wanted.server_groups else ()
    return ApiRecord(mapping, parts.parts_of(json.loads(spec)) if spec else SpecParts(), groups)


@functools.lru_cache(maxsize=64)
def _api_statement(wanted: Wanted) -> sa.Select[Any]:
    # Built once per shape (a handful of Wanted values): building is a third of the
    # read's Python time, and the same object keeps SQLAlchemy's compiled cache warm.
    table = instance_mapping.TABLE
    uuid: sa.BindParameter[str] = sa.bindparam("uuid")
    stmt = sa.select(
        table.c.id, table.c.cell_id, table.c.project_id, table.c.user_id, table.c.queued_for_delete
    ).where(table.c.instance_uuid == uuid)
    if wanted.request_spec:
        specs = request_specs.TABLE
        on_spec = specs.c.instance_uuid == table.c.instance_uuid
        stmt = stmt.add_columns(specs.c.spec).outerjoin(specs, on_spec)
    if wanted.server_groups:
        groups, members = server_group.GROUPS, server_group.MEMBERS
        in_group = members.join(groups, groups.c.id == members.c.group_id)
        on_member = members.c.instance_uuid == table.c.instance_uuid
        stmt = stmt.add_columns(groups.c.uuid.label("group_uuid")).outerjoin(in_group, on_member)
        stmt = stmt.order_by(members.c.id)
    return stmt


# --------------------------------------------------------------------------- cell database


def read_cell(conn: sa.Connection, uuid: str, wanted: Wanted, down_time: float) -> CellRecord:
    """The live server ``uuid`` as its cell holds it; InstanceNotFound if it has none."""
    rows = conn.execute(_cell_statement(wanted), {"uuid": uuid}).all()
    found: dict[str, list[Any]] = {}
    for row in rows:
        found.setdefault(row.kind, []).append(row)
    if _INSTANCE not in found:
        raise InstanceNotFound(uuid)
    instance_row = found[_INSTANCE][0]
    values = decode_record(instance_row.a, _INSTANCE_COLUMNS)
    metadata = {r.a: r.b for r in found.get(_METADATA, ())}
    record = Instance(values, json.loads(instance_row.b or "{}"), metadata)
    attached = sorted(found.get(_VOLUME, ()), key=lambda r: int(r.seq))
    volumes = tuple(VolumeAttachment(r.a, r.b in _TRUE) for r in attached)
    tags = sorted(r.a for r in found.get(_TAG, ()))
    status = None
    if wanted.host_status:
        service = found[_SERVICE][0].a if _SERVICE in found else None
        status = _host_status(values, service, down_time)
    fault = instance_fault.latest(conn, uuid) if record.vm_state == "error" else None
    return CellRecord(record, volumes, tags, status, fault)


_INSTANCE_COLUMNS = tuple(instances.TABLE.c[c] for c in (*instances.COLUMNS, "deleted"))
_SERVICE_COLUMNS = tuple(services.TABLE.c[f.name] for f in dataclasses.fields(services.Service))
_INSTANCE, _METADATA, _VOLUME, _TAG, _SERVICE = "i", "m", "v", "t", "s"
_TRUE = ("1", "true")
"""A boolean cast to text: MariaDB and SQLite give 1/0, PostgreSQL true/false."""


@functools.lru_cache(maxsize=64)
def _cell_statement(wanted: Wanted) -> sa.CompoundSelect[Any]:
    """One UNION ALL of narrow rows ``(kind, seq, a, b)``: the instance, then its children.

    Why not joins or aggregates: joins multiply rows, and correlated JSON
    aggregates cost the server more than plain index lookups; four columns also
    keep the driver's per-column cost low whatever the instance row holds.
    """
    uuid: sa.BindParameter[str] = sa.bindparam("uuid")
    parts = [_instance_part(uuid), _metadata_part(uuid), _volumes_part(uuid)]
    if wanted.tags:
        parts.append(_tags_part(uuid))
    if wanted.host_status:
        parts.append(_service_part(uuid))
    return sa.union_all(*parts)


def _row(kind: str, seq: Any, a: Any, b: Any) -> list[Any]:
    text = sa.Text()
    return [
        sa.literal_column(f"'{kind}'").label("kind"),
        (sa.literal_column("0") if seq is None else seq).label("seq"),
        sa.cast(a, text).label("a"),
        sa.cast(sa.null() if b is None else b, text).label("b"),
    ]


def _live(uuid: sa.BindParameter[str]) -> sa.ColumnElement[bool]:
    table = instances.TABLE
    return sa.and_(table.c.uuid == uuid, table.c.deleted == 0)


def _instance_part(uuid: sa.BindParameter[str]) -> sa.Select[Any]:
    table, extra = instances.TABLE, instances.EXTRA
    joined = table.outerjoin(extra, extra.c.instance_uuid == table.c.uuid)
    columns = _row(_INSTANCE, None, record_of(_INSTANCE_COLUMNS), extra.c.flavor)
    return sa.select(*columns).select_from(joined).where(_live(uuid))


def _metadata_part(uuid: sa.BindParameter[str]) -> sa.Select[Any]:
    meta = instances.METADATA
    columns = _row(_METADATA, None, meta.c.key, meta.c.value)
    return sa.select(*columns).where(meta.c.instance_uuid == uuid, meta.c.deleted == 0)


def _volumes_part(uuid: sa.BindParameter[str]) -> sa.Select[Any]:
    bdms = instances.BDMS
    columns = _row(_VOLUME, bdms.c.id, bdms.c.volume_id, bdms.c.delete_on_termination)
    return sa.select(*columns).where(
        bdms.c.instance_uuid == uuid, bdms.c.deleted == 0, bdms.c.volume_id.is_not(None)
    )


def _tags_part(uuid: sa.BindParameter[str]) -> sa.Select[Any]:
    tags = tag.TABLE
    return sa.select(*_row(_TAG, None, tags.c.tag, None)).where(tags.c.resource_id == uuid)


def _service_part(uuid: sa.BindParameter[str]) -> sa.Select[Any]:
    svc, table = services.TABLE, instances.TABLE
    on_host = sa.and_(
        svc.c.host == table.c.host,
        svc.c.binary == services.COMPUTE_BINARY,
        svc.c.deleted == 0,
    )
    columns = _row(_SERVICE, None, record_of(_SERVICE_COLUMNS), None)
    return sa.select(*columns).select_from(table.join(svc, on_host)).where(_live(uuid))


def _host_status(values: dict[str, Any], service_row: str | None, down_time: float) -> str:
    """The host's state from its compute service's row (None when it has none)."""
    if not values.get("host"):
        return parts.NO_HOST
    if service_row is None:
        return parts.host_status(None, down_time)
    service = services.Service(**decode_record(service_row, _SERVICE_COLUMNS))
    return parts.host_status(service, down_time)
