"""Project quotas in the API database, and usage counted across cells.

A project's limit of a resource is its row in ``quotas`` if any, else the
default. Usage of ``instances`` comes from the API database's instance
mappings; ``cores`` and ``ram`` can only be summed from the cells' instance
rows (see :func:`cell_usage`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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
    ).where(
        INSTANCES.c.project_id == project_id,
        INSTANCES.c.deleted == 0,
        # NULL means "not hidden": rows older than the column.
        sa.or_(INSTANCES.c.hidden.is_(None), INSTANCES.c.hidden.is_(False)),
        # A soft-deleted server still has a row but is waiting to be reclaimed.
        sa.or_(INSTANCES.c.vm_state.is_(None), INSTANCES.c.vm_state != "soft-delete"),
    )
    cores, ram = conn.execute(stmt).one()
    return int(cores), int(ram)


def cell_usage(targets: CellTargets, project_id: str, timeout: float) -> CellUsage:
    """Sum cores and RAM of ``project_id`` over the cells where it has servers.

    Cells are read concurrently under one ``timeout``. A cell that fails or
    misses it is left out of the sums and named in ``missing_cells``: usage is
    then under-reported (as the reference compute API does), never an error.
    """
    with targets.api_engine.connect() as conn:
        wanted = project_cell_ids(conn, project_id)
        ids = dict(conn.execute(sa.select(CELLS.c.uuid, CELLS.c.id)).all())
    cells = [c for c in targets.cells() if ids.get(c.uuid) in wanted]
    return _gather(targets, cells, project_id, timeout)


def _gather(
    targets: CellTargets, cells: Iterable[CellMapping], project_id: str, timeout: float
) -> CellUsage:
    cells = list(cells)

    def read(cell: CellMapping) -> tuple[int, int]:
        with targets.engine(cell).connect() as conn:
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
