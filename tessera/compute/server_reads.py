"""One server's API body read in one query per database.

Why: ``GET /servers/{id}`` is the API's most frequent call, and round trips
are most of its cost. The API database gives the mapping with its cell, and
(when the body shows them) the request spec and the groups, in one query; the
cell gives the instance with its flavor, metadata, volumes, tags and (when
shown) its host's compute service in another. Only a server in ERROR costs a
third, for its fault.
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
from tessera.db.json_fold import decode, decode_record, json_rows, record_of
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
    row = conn.execute(_cell_statement(wanted), {"uuid": uuid}).first()
    if row is None:
        raise InstanceNotFound(uuid)
    values = decode_record(row.instance_row, _INSTANCE_COLUMNS)
    flavor = json.loads(row.flavor or "{}")
    metadata = {k: v for k, v in decode(row.metadata_rows)}
    attached = sorted(decode(row.volume_rows))
    tags = sorted(t for (t,) in decode(row.tag_rows)) if wanted.tags else []
    status = _host_status(values, row.service_row, down_time) if wanted.host_status else None
    record = Instance(values, flavor, metadata)
    fault = instance_fault.latest(conn, uuid) if record.vm_state == "error" else None
    volumes = tuple(VolumeAttachment(v, bool(d)) for _, v, d in attached)
    return CellRecord(record, volumes, tags, status, fault)


_INSTANCE_COLUMNS = tuple(instances.TABLE.c[c] for c in (*instances.COLUMNS, "deleted"))
_SERVICE_COLUMNS = tuple(services.TABLE.c[f.name] for f in dataclasses.fields(services.Service))


@functools.lru_cache(maxsize=64)
def _cell_statement(wanted: Wanted) -> sa.Select[Any]:
    table, extra = instances.TABLE, instances.EXTRA
    joined = table.outerjoin(extra, extra.c.instance_uuid == table.c.uuid)
    stmt = sa.select(
        record_of(_INSTANCE_COLUMNS).label("instance_row"),
        extra.c.flavor,
        _metadata(table),
        _volumes(table),
    )
    if wanted.tags:
        stmt = stmt.add_columns(_tags(table))
    if wanted.host_status:
        svc = services.TABLE
        on_host = sa.and_(
            svc.c.host == table.c.host,
            svc.c.binary == services.COMPUTE_BINARY,
            svc.c.deleted == 0,
        )
        joined = joined.outerjoin(svc, on_host)
        stmt = stmt.add_columns(record_of(_SERVICE_COLUMNS).label("service_row"))
    uuid: sa.BindParameter[str] = sa.bindparam("uuid")
    return stmt.select_from(joined).where(table.c.uuid == uuid, table.c.deleted == 0)


def _metadata(table: sa.Table) -> sa.Label[Any]:
    meta = instances.METADATA
    rows = sa.select(json_rows(meta.c.key, meta.c.value)).where(
        meta.c.instance_uuid == table.c.uuid, meta.c.deleted == 0
    )
    return rows.scalar_subquery().label("metadata_rows")


def _volumes(table: sa.Table) -> sa.Label[Any]:
    bdms = instances.BDMS
    rows = sa.select(json_rows(bdms.c.id, bdms.c.volume_id, bdms.c.delete_on_termination)).where(
        bdms.c.instance_uuid == table.c.uuid,
        bdms.c.deleted == 0,
        bdms.c.volume_id.is_not(None),
    )
    return rows.scalar_subquery().label("volume_rows")


def _tags(table: sa.Table) -> sa.Label[Any]:
    rows = sa.select(json_rows(tag.TABLE.c.tag)).where(tag.TABLE.c.resource_id == table.c.uuid)
    return rows.scalar_subquery().label("tag_rows")


def _host_status(values: dict[str, Any], service_row: str, down_time: float) -> str:
    """The host's state from its compute service's row (all NULL when it has none)."""
    if not values.get("host"):
        return parts.NO_HOST
    found = decode_record(service_row, _SERVICE_COLUMNS)
    service = services.Service(**found) if found["id"] is not None else None
    return parts.host_status(service, down_time)
