"""Project quotas in the API database, and usage counted across cells.

A project's limit of a resource is its row in ``quotas`` if any, else the
default. Usage of ``instances`` comes from the API database's instance
mappings; ``cores`` and ``ram`` can only be summed from the cells' instance
rows (see :func:`cell_usage`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.cells.targets import CellTargets
from tessera.context import Ok, scatter_gather
from tessera.db.api import models
from tessera.db.main.models import MainBase
from tessera.db.types import table_of
from tessera.objects.cell_mapping import CellMapping

LOG = logging.getLogger(__name__)

QUOTAS = table_of(models.Quota)
MAPPINGS = table_of(models.InstanceMapping)
CELLS = table_of(models.CellMapping)
GROUPS = table_of(models.InstanceGroup)
INSTANCES = MainBase.metadata.tables["instances"]

DEFAULTS: Mapping[str, int] = {
    "instances": 10,
    "cores": 20,
    "ram": 51200,
    "key_pairs": 100,
    "server_groups": 10,
    "server_group_members": 10,
    "metadata_items": 128,
}
"""Limits of a project with no quota rows (-1 means unlimited)."""

UNLIMITED = -1


@dataclass(frozen=True)
class CellUsage:
    """Cores and RAM of a project's servers, and which cells could not be counted."""

    cores: int
    """vCPUs of the non-deleted, non-hidden servers in the cells that answered."""
    ram: int
    """MiB of RAM of the same servers."""
    missing_cells: tuple[str, ...]
    """Identities of the project's cells that failed or missed the deadline."""


def limits(conn: sa.Connection, project_id: str) -> dict[str, int]:
    """Every resource's limit for ``project_id`` (its own rows over the defaults)."""
    found = dict(DEFAULTS)
    stmt = sa.select(QUOTAS.c.resource, QUOTAS.c.hard_limit).where(
        QUOTAS.c.project_id == project_id
    )
    for resource, hard_limit in conn.execute(stmt):
        if resource in found and hard_limit is not None:
            found[resource] = int(hard_limit)
    return found


def update(conn: sa.Connection, project_id: str, values: Mapping[str, int]) -> None:
    """Set ``project_id``'s limits of the resources in ``values`` (others unchanged)."""
    for resource, hard_limit in values.items():
        where = (QUOTAS.c.project_id == project_id, QUOTAS.c.resource == resource)
        changed = conn.execute(sa.update(QUOTAS).where(*where).values(hard_limit=hard_limit))
        if changed.rowcount == 0:
            conn.execute(
                sa.insert(QUOTAS).values(
                    project_id=project_id, resource=resource, hard_limit=hard_limit
                )
            )


def reset(conn: sa.Connection, project_id: str) -> None:
    """Drop ``project_id``'s own limits, so the defaults apply again."""
    conn.execute(sa.delete(QUOTAS).where(QUOTAS.c.project_id == project_id))


def instance_count(conn: sa.Connection, project_id: str) -> int:
    """Servers of ``project_id`` not queued for deletion, from the instance mappings.

    The mappings live in the API database, so this count stays right while a
    cell is down. Mappings never migrated (``queued_for_delete`` NULL) are not
    counted.
    """
    stmt = (
        sa.select(sa.func.count())
        .select_from(MAPPINGS)
        .where(MAPPINGS.c.project_id == project_id, MAPPINGS.c.queued_for_delete.is_(False))
    )
    return int(conn.execute(stmt).scalar_one())


def server_group_count(conn: sa.Connection, project_id: str) -> int:
    """Server groups owned by ``project_id``."""
    stmt = sa.select(sa.func.count()).select_from(GROUPS).where(GROUPS.c.project_id == project_id)
    return int(conn.execute(stmt).scalar_one())


def project_cell_ids(conn: sa.Connection, project_id: str) -> set[int]:
    """Ids of the cells where ``project_id`` has instance mappings."""
    stmt = (
        sa.select(MAPPINGS.c.cell_id)
        .where(MAPPINGS.c.project_id == project_id, MAPPINGS.c.cell_id.is_not(None))
        .distinct()
    )
    return {int(row[0]) for row in conn.execute(stmt)}


def _cell_sums(conn: sa.Connection, project_id: str) -> tuple[int, int]:
    stmt = sa.select(
        sa.func.coalesce(sa.func.sum(INSTANCES.c.vcpus), 0),
        sa.func.coalesce(sa.func.sum(INSTANCES.c.memory_mb), 0),
    ).where(*_counted(project_id))
    cores, ram = conn.execute(stmt).one()
    return int(cores), int(ram)


def cell_usage(targets: CellTargets, project_id: str, timeout: float) -> CellUsage:
    """Sum cores and RAM of ``project_id`` over the cells where it has servers.

    Cells are read concurrently under one ``timeout``. A cell that fails or
    misses it is left out of the sums and named in ``missing_cells``: usage is
    then under-reported (as the reference compute API does), never an error.
    """
    with targets.api_reader.connect() as conn:
        wanted = project_cell_ids(conn, project_id)
        ids = dict(conn.execute(sa.select(CELLS.c.uuid, CELLS.c.id)).all())
    cells = [c for c in targets.cells() if ids.get(c.uuid) in wanted]
    return _gather(targets, cells, project_id, timeout)


def _gather(
    targets: CellTargets, cells: Iterable[CellMapping], project_id: str, timeout: float
) -> CellUsage:
    cells = list(cells)

    def read(cell: CellMapping) -> tuple[int, int]:
        with targets.reader(cell).connect() as conn:
            return _cell_sums(conn, project_id)

    results = scatter_gather(cells, lambda c: c.uuid, read, timeout)
    cores = ram = 0
    missing: list[str] = []
    for cell in cells:
        outcome = results[cell.uuid]
        if isinstance(outcome, Ok):
            cores += outcome.value[0]
            ram += outcome.value[1]
        else:
            LOG.warning("Cell %s not counted in usage: %s", cell.identity, outcome)
            missing.append(cell.identity)
    return CellUsage(cores, ram, tuple(missing))


# --------------------------------------------------------------------------- server create

USER_QUOTAS = table_of(models.ProjectUserQuota)
SPECS = table_of(models.RequestSpec)
SERVER_RESOURCES = ("instances", "cores", "ram")
"""What one server counts against: itself, its vCPUs, its MiB of RAM."""


@dataclass(frozen=True)
class Counts:
    """Servers, vCPUs and MiB of RAM of one scope (a project, or one user in it)."""

    instances: int = 0
    """Servers."""
    cores: int = 0
    """Their vCPUs."""
    ram: int = 0
    """Their RAM in MiB."""

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.instances + other.instances, self.cores + other.cores, self.ram + other.ram
        )

    def as_dict(self) -> dict[str, int]:
        """Resource name -> amount."""
        return {"instances": self.instances, "cores": self.cores, "ram": self.ram}


@dataclass(frozen=True)
class ServerUsage:
    """What a project (and, if it has limits of its own, one user) holds in servers."""

    project: Counts
    """The project's servers not queued for deletion."""
    user: Counts | None
    """The user's part of them; None when the user has no limits of its own (not counted)."""
    cell_sums: Mapping[int, tuple[Counts, Counts]]
    """Cell id -> (project, user) vCPU/RAM sums read from that cell (instances unused)."""
    estimated_cells: tuple[str, ...] = ()
    """Cells that did not answer; their servers were counted from their request specs."""


def user_limits(conn: sa.Connection, project_id: str, user_id: str) -> dict[str, int]:
    """Limits set for ``user_id`` in ``project_id`` (only resources with a row)."""
    stmt = sa.select(USER_QUOTAS.c.resource, USER_QUOTAS.c.hard_limit).where(
        USER_QUOTAS.c.project_id == project_id, USER_QUOTAS.c.user_id == user_id
    )
    return {r: int(v) for r, v in conn.execute(stmt) if v is not None}


def update_user(
    conn: sa.Connection, project_id: str, user_id: str, values: Mapping[str, int]
) -> None:
    """Set limits of ``user_id`` within ``project_id`` (others unchanged)."""
    for resource, hard_limit in values.items():
        where = (
            USER_QUOTAS.c.project_id == project_id,
            USER_QUOTAS.c.user_id == user_id,
            USER_QUOTAS.c.resource == resource,
        )
        changed = conn.execute(sa.update(USER_QUOTAS).where(*where).values(hard_limit=hard_limit))
        if changed.rowcount == 0:
            conn.execute(
                sa.insert(USER_QUOTAS).values(
                    project_id=project_id, user_id=user_id, resource=resource, hard_limit=hard_limit
                )
            )


def _mapped(
    conn: sa.Connection, project_id: str, user_id: str | None
) -> dict[int | None, tuple[int, int]]:
    """Cell id (None: not in a cell yet) -> (project's, user's) live mappings there."""
    mine = sa.case((MAPPINGS.c.user_id == user_id, 1), else_=0) if user_id else sa.literal(0)
    stmt = (
        sa.select(MAPPINGS.c.cell_id, sa.func.count(), sa.func.coalesce(sa.func.sum(mine), 0))
        .where(MAPPINGS.c.project_id == project_id, MAPPINGS.c.queued_for_delete.is_(False))
        .group_by(MAPPINGS.c.cell_id)
    )
    return {cell: (int(n), int(own)) for cell, n, own in conn.execute(stmt)}


def _from_specs(
    conn: sa.Connection, project_id: str, user_id: str | None, cell_ids: Sequence[int | None]
) -> tuple[Counts, Counts]:
    """vCPUs and RAM of the project's servers in ``cell_ids`` (None: unscheduled), by spec.

    Request specs live in the API database and carry each server's flavor, so
    servers still being scheduled and servers of a cell that does not answer
    are counted without reading a cell.
    """
    where = [MAPPINGS.c.cell_id.in_([c for c in cell_ids if c is not None])]
    if None in cell_ids:
        where.append(MAPPINGS.c.cell_id.is_(None))
    stmt = (
        sa.select(MAPPINGS.c.user_id, SPECS.c.spec)
        .join(SPECS, SPECS.c.instance_uuid == MAPPINGS.c.instance_uuid)
        .where(
            MAPPINGS.c.project_id == project_id,
            MAPPINGS.c.queued_for_delete.is_(False),
            sa.or_(*where),
        )
    )
    project = user = Counts()
    for owner, raw in conn.execute(stmt):
        size = json.loads(raw or "{}").get("flavor") or {}
        one = Counts(0, int(size.get("vcpus") or 0), int(size.get("memory_mb") or 0))
        project += one
        if user_id is not None and owner == user_id:
            user += one
    return project, user


def _cell_sums_by_user(
    conn: sa.Connection, project_id: str, user_id: str | None
) -> tuple[Counts, Counts]:
    """vCPU and RAM sums of the project (and of ``user_id`` in it) in one cell query."""

    def own(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        if user_id is None:
            return sa.literal(0)
        return sa.case((INSTANCES.c.user_id == user_id, column), else_=0)

    stmt = sa.select(
        sa.func.coalesce(sa.func.sum(INSTANCES.c.vcpus), 0),
        sa.func.coalesce(sa.func.sum(INSTANCES.c.memory_mb), 0),
        sa.func.coalesce(sa.func.sum(own(INSTANCES.c.vcpus)), 0),
        sa.func.coalesce(sa.func.sum(own(INSTANCES.c.memory_mb)), 0),
    ).where(*_counted(project_id))
    cores, ram, user_cores, user_ram = conn.execute(stmt).one()
    return Counts(0, int(cores), int(ram)), Counts(0, int(user_cores), int(user_ram))


def _counted(project_id: str) -> tuple[sa.ColumnElement[bool], ...]:
    """Instance rows that count against quota: live, visible, not soft-deleted."""
    return (
        INSTANCES.c.project_id == project_id,
        INSTANCES.c.deleted == 0,
        # NULL means "not hidden": rows older than the column.
        sa.or_(INSTANCES.c.hidden.is_(None), INSTANCES.c.hidden.is_(False)),
        # A soft-deleted server still has a row but is waiting to be reclaimed.
        sa.or_(INSTANCES.c.vm_state.is_(None), INSTANCES.c.vm_state != "soft-delete"),
    )


def server_usage(
    targets: CellTargets, project_id: str, user_id: str | None, timeout: float
) -> ServerUsage:
    """Servers, vCPUs and RAM of ``project_id`` (and of ``user_id`` when given).

    Cost: one API-database connection (mappings grouped by cell, plus the
    request specs of servers not in a cell yet) and one query in each cell
    where the project has servers, all cells at once under ``timeout``. A cell
    that fails or is late is counted from its servers' request specs (one more
    API query), so a down cell never lets a project past its limits.
    """
    with targets.api_reader.connect() as conn:
        mapped = _mapped(conn, project_id, user_id)
        pending = _from_specs(conn, project_id, user_id, [None]) if None in mapped else None
    instances = Counts(sum(n for n, _ in mapped.values()))
    own = Counts(sum(n for _, n in mapped.values()))
    cells = _cells(targets, {c for c in mapped if c is not None})
    sums, missing = _read_cells(targets, cells, project_id, user_id, timeout)
    project, user = instances, own
    for cell_project, cell_user in sums.values():
        project, user = project + cell_project, user + cell_user
    if pending is not None:
        project, user = project + pending[0], user + pending[1]
    # Cells that failed, and mapped cells this API does not know (yet).
    unread = [c for c in mapped if c is not None and c not in sums]
    if unread:
        with targets.api_reader.connect() as conn:
            guessed = _from_specs(conn, project_id, user_id, unread)
        project, user = project + guessed[0], user + guessed[1]
    return ServerUsage(project, user if user_id else None, sums, tuple(c.identity for c in missing))


def _cells(targets: CellTargets, ids: set[int]) -> list[CellMapping]:
    """The cells with ``ids`` (cached mappings are re-read once if one is new)."""
    found = [c for c in targets.cells() if c.id in ids]
    if len(found) < len(ids):
        targets.reload()
        found = [c for c in targets.cells() if c.id in ids]
    return found


def _read_cells(
    targets: CellTargets,
    cells: list[CellMapping],
    project_id: str,
    user_id: str | None,
    timeout: float,
) -> tuple[dict[int, tuple[Counts, Counts]], list[CellMapping]]:
    def read(cell: CellMapping) -> tuple[Counts, Counts]:
        with targets.reader(cell).connect() as conn:
            return _cell_sums_by_user(conn, project_id, user_id)

    results = scatter_gather(cells, lambda c: c.uuid, read, timeout)
    sums: dict[int, tuple[Counts, Counts]] = {}
    missing: list[CellMapping] = []
    for cell in cells:
        outcome = results[cell.uuid]
        if isinstance(outcome, Ok):
            sums[cell.id] = outcome.value
        else:
            LOG.warning("Cell %s counted from request specs: %s", cell.identity, outcome)
            missing.append(cell)
    return sums, missing


def recount(
    targets: CellTargets, project_id: str, user_id: str | None, before: ServerUsage
) -> ServerUsage:
    """Usage again after new servers were recorded, from the API database alone.

    Server counts are exact (mappings); vCPUs and RAM take the cells' sums of
    ``before`` and add every server not in a cell now, by request spec. Cheap
    enough to run on every create: it catches concurrent creates of the same
    project, which are all still unscheduled.
    """
    with targets.api_reader.connect() as conn:
        mapped = _mapped(conn, project_id, user_id)
        unread = [c for c in mapped if c is None or c not in before.cell_sums]
        guessed = _from_specs(conn, project_id, user_id, unread) if unread else (Counts(), Counts())
    project = Counts(sum(n for n, _ in mapped.values())) + guessed[0]
    user = Counts(sum(n for _, n in mapped.values())) + guessed[1]
    for cell_id, (cell_project, cell_user) in before.cell_sums.items():
        if cell_id in mapped:
            project, user = project + cell_project, user + cell_user
    return ServerUsage(project, user if user_id else None, before.cell_sums)
