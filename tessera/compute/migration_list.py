"""Migrations of every cell as one list, newest first, without waiting on a down cell.

Each cell is asked concurrently (one deadline for all) for at most one page of
matching migrations after the marker's position; the pages are merged in the
listing order and cut to the page size. Cell0 is never asked: servers there
never ran anywhere, so they never moved. A cell that fails or misses the
deadline is left out and named in :attr:`MigrationPage.down_cells`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tessera.cells.targets import CellTargets
from tessera.compute.list_cells import Deadline
from tessera.context import Ok, scatter_gather
from tessera.objects import migration as migrations
from tessera.objects.cell_mapping import CELL0_UUID, CellMapping
from tessera.objects.migration import Migration, MigrationFilters

LOG = logging.getLogger(__name__)


class MarkerNotFound(Exception):
    """No cell holds the marker migration (400)."""

    def __init__(self, marker: str) -> None:
        super().__init__(f"Marker {marker} could not be found.")


class MarkerCellDown(Exception):
    """The marker is in none of the cells that answered, and some did not (503)."""

    def __init__(self, marker: str, cells: tuple[str, ...]) -> None:
        super().__init__(
            f"Marker {marker} could not be looked up: cell(s) {', '.join(cells)} did not answer."
        )


@dataclass(frozen=True)
class MigrationPage:
    """One page of a migration listing."""

    migrations: tuple[Migration, ...]
    """Migrations in the listing order."""
    down_cells: tuple[str, ...] = ()
    """Uuids of the cells that did not answer; their migrations are missing."""


def _uuid(cell: CellMapping) -> str:
    return cell.uuid


class MigrationLister:
    """Reads migrations from every cell under one deadline."""

    def __init__(self, targets: CellTargets, cell_timeout: float = 10.0) -> None:
        self._targets = targets
        self._cell_timeout = cell_timeout

    def _cells(self) -> list[CellMapping]:
        return [c for c in self._targets.cells() if c.uuid != CELL0_UUID]

    def page(
        self, filters: MigrationFilters, limit: int | None = None, marker: str | None = None
    ) -> MigrationPage:
        """Up to ``limit`` migrations (every one if None) after ``marker``, newest first."""
        if limit == 0:
            return MigrationPage(())
        cells, deadline = self._cells(), Deadline(self._cell_timeout)
        after = None if marker is None else self._marker(cells, marker, deadline)

        def read(cell: CellMapping) -> list[Migration]:
            with self._targets.engine(cell).connect() as conn:
                return migrations.page(conn, filters, after, limit)

        results = scatter_gather(cells, _uuid, read, deadline.remaining())
        pages, down = [], []
        for cell in cells:
            outcome = results[cell.uuid]
            if isinstance(outcome, Ok):
                pages.append(outcome.value)
            else:
                LOG.warning("Migrations of cell %s left out: %s", cell.identity, outcome)
                down.append(cell.uuid)
        merged = migrations.merge(pages)
        return MigrationPage(tuple(merged if limit is None else merged[:limit]), tuple(down))

    def _marker(self, cells: list[CellMapping], marker: str, deadline: Deadline) -> Migration:
        def read(cell: CellMapping) -> Migration | None:
            with self._targets.engine(cell).connect() as conn:
                return migrations.get_by_uuid(conn, marker)

        results = scatter_gather(cells, _uuid, read, deadline.remaining())
        for outcome in results.values():
            if isinstance(outcome, Ok) and outcome.value is not None:
                return outcome.value
        down = tuple(uuid for uuid, outcome in results.items() if not isinstance(outcome, Ok))
        if down:
            raise MarkerCellDown(marker, down)
        raise MarkerNotFound(marker)
