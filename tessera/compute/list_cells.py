"""Reading one page from many cells: concurrent keyset batches, merged, under one deadline.

Round one asks every cell for its share of the page (``limit`` spread over the
cells, plus a margin). A cell whose last row still sorts before the page's cut
may hold more of the page: round two asks just those cells for at most the
rows that can still make it in. No cell is ever asked for more than ``limit``
rows in total, and with an even spread one round is enough.
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.cells.targets import CellTargets
from tessera.compute.list_filters import name_ok
from tessera.compute.list_order import Listed, merge, position
from tessera.compute.list_sql import CellScan, load_views, page
from tessera.context import CellResult, Failed, Ok, scatter_gather
from tessera.objects.cell_mapping import CellMapping


class Deadline:
    """A point in time shared by every step of one listing."""

    def __init__(self, seconds: float) -> None:
        self._at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self._at - time.monotonic())

    def check(self) -> None:
        """Stop a cell's work that nobody waits for any more."""
        if self.remaining() <= 0:
            raise TimeoutError("listing deadline passed")


@dataclass(frozen=True)
class DownCell:
    """A cell whose servers are missing from a page."""

    uuid: str
    """The cell's uuid."""
    reason: str
    """What happened: the error, or how long it was waited for."""


@dataclass(frozen=True)
class CellBatch:
    """What one cell has returned so far, in order."""

    rows: tuple[Listed, ...]
    """Servers that passed every filter."""
    last: Mapping[str, Any] | None
    """Sort values of the last row read (passed or not): where to continue."""
    exhausted: bool
    """The cell has nothing after ``last``."""

    def then(self, more: CellBatch) -> CellBatch:
        """This batch followed by ``more``."""
        return CellBatch(self.rows + more.rows, more.last or self.last, more.exhausted)


@dataclass(frozen=True)
class CellsResult:
    """The cells' part of a page."""

    items: tuple[Listed, ...]
    """Merged servers, cut at the limit."""
    down: tuple[DownCell, ...]
    """Cells that failed or did not answer in time (their rows are left out)."""


def first_share(limit: int, cells: int, spread: float) -> int:
    """Rows to ask each cell for in round one."""
    if cells <= 1:
        return limit
    # Rounded first: in binary floating point 100 * 1.1 / 2 is a hair over 55.
    return max(1, min(limit, math.ceil(round(limit * spread / cells, 9))))


def read_pages(
    targets: CellTargets,
    cells: Sequence[CellMapping],
    scan: CellScan,
    after: Mapping[str, Any] | None,
    limit: int,
    deadline: Deadline,
    spread: float = 1.1,
) -> CellsResult:
    """The first ``limit`` servers after ``after`` across ``cells``."""
    share = first_share(limit, len(cells), spread)
    asks = {c.uuid: (after, share) for c in cells}
    batches: dict[str, CellBatch] = {}
    down: list[DownCell] = []
    merged: list[Listed] = []
    while asks:
        down += _absorb(_round(targets, cells, scan, asks, deadline), batches)
        merged = merge(b.rows for b in batches.values())
        asks = _more(batches, merged, scan, limit)
    return CellsResult(tuple(merged[:limit]), tuple(down))


def _uuid(cell: CellMapping) -> str:
    return cell.uuid


def _round(
    targets: CellTargets,
    cells: Sequence[CellMapping],
    scan: CellScan,
    asks: Mapping[str, tuple[Mapping[str, Any] | None, int]],
    deadline: Deadline,
) -> Mapping[str, CellResult[CellBatch]]:
    """Ask the cells in ``asks`` concurrently; each answers or is reported, by the deadline."""

    def fetch(cell: CellMapping) -> CellBatch:
        after, size = asks[cell.uuid]
        return _fetch(targets, cell, scan, after, size, deadline)

    pending = [c for c in cells if c.uuid in asks]
    return scatter_gather(pending, _uuid, fetch, deadline.remaining())


def _absorb(
    outcomes: Mapping[str, CellResult[CellBatch]], batches: dict[str, CellBatch]
) -> list[DownCell]:
    """Add what answered; drop every row of a cell that did not (no half cells)."""
    down = []
    for uuid, outcome in outcomes.items():
        if isinstance(outcome, Ok):
            previous = batches.get(uuid)
            batches[uuid] = outcome.value if previous is None else previous.then(outcome.value)
            continue
        batches.pop(uuid, None)
        reason = (
            f"failed: {type(outcome.error).__name__}: {outcome.error}"
            if isinstance(outcome, Failed)
            else f"no answer within {outcome.after:.1f}s"
        )
        down.append(DownCell(uuid, reason))
    return down


def _more(
    batches: Mapping[str, CellBatch], merged: Sequence[Listed], scan: CellScan, limit: int
) -> dict[str, tuple[Mapping[str, Any] | None, int]]:
    """For each cell that may still hold part of the page: where to resume, how many."""
    positions = [item.position for item in merged]
    cut = positions[limit - 1] if len(positions) >= limit else None
    asks: dict[str, tuple[Mapping[str, Any] | None, int]] = {}
    for uuid, batch in batches.items():
        if batch.exhausted or batch.last is None:
            continue
        last = position(batch.last, scan.order)
        if cut is not None and not last < cut:
            continue  # everything after `last` sorts after the page's end
        wanted = limit - bisect.bisect_right(positions, last)
        if wanted > 0:
            asks[uuid] = (batch.last, wanted)
    return asks


def _fetch(
    targets: CellTargets,
    cell: CellMapping,
    scan: CellScan,
    after: Mapping[str, Any] | None,
    size: int,
    deadline: Deadline,
) -> CellBatch:
    """One round trip to a cell: matching rows and their full records, one connection."""
    with targets.reader(cell).connect() as conn:
        rows, last, exhausted = _matching(conn, scan, after, size, deadline)
        views = load_views(conn, rows, cell.uuid)
    listed = tuple(
        Listed(position(row, scan.order), view, cell.uuid)
        for row, view in zip(rows, views, strict=True)
    )
    return CellBatch(listed, last, exhausted)


def _matching(
    conn: sa.Connection,
    scan: CellScan,
    after: Mapping[str, Any] | None,
    size: int,
    deadline: Deadline,
) -> tuple[list[dict[str, Any]], Mapping[str, Any] | None, bool]:
    """Up to ``size`` rows passing the Python-side name test, reading batch after batch."""
    kept: list[dict[str, Any]] = []
    while True:
        batch = page(conn, scan, after, size)
        for index, row in enumerate(batch):
            after = row
            if name_ok(scan.filters, row):
                kept.append(row)
            if len(kept) == size:
                return kept, after, len(batch) < size and index == len(batch) - 1
        if len(batch) < size:
            return kept, after, True
        deadline.check()
