"""Instance-mapping backfill (``map_instances``): map a cell's instances, set-based.

Reads the cell's instances in keyset pages on the primary key (deleted ones
too), and inserts their mappings with multi-row statements that skip instances
already mapped. Reading the next page overlaps writing the previous one. A
bounded run leaves a real cursor (the last instance id) in the API database.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from tessera.objects import instance, instance_mapping, mapping_cursor
from tessera.objects.instance_mapping import NewMapping

PAGE_SIZE = 10_000


@dataclass(frozen=True)
class BackfillResult:
    """What one ``map_instances`` run did in a cell."""

    examined: int
    """Instances read from the cell."""
    created: int
    """Mappings inserted (the rest were mapped already)."""
    more: bool
    """A bounded run stopped with instances left; run again to resume."""


def _pages(
    cell_db: Engine, start_after: int, limit: int | None, page_size: int
) -> Iterator[Sequence[Any]]:
    """Yield pages of instance rows after ``start_after``, at most ``limit`` rows."""
    after, remaining = start_after, limit
    with cell_db.connect() as conn:
        while remaining is None or remaining > 0:
            size = page_size if remaining is None else min(page_size, remaining)
            rows = instance.page_after(conn, after, size)
            if not rows:
                return
            yield rows
            after = rows[-1].id
            if remaining is not None:
                remaining -= len(rows)
            if len(rows) < size:
                return


def _prefetch(pages: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """Read the next page in a thread while the caller writes the current one."""
    box: queue.Queue[Sequence[Any] | BaseException | None] = queue.Queue(maxsize=2)

    def reader() -> None:
        try:
            for page in pages:
                box.put(page)
            box.put(None)
        except BaseException as exc:  # handed to the consumer, re-raised there
            box.put(exc)

    threading.Thread(target=reader, name="backfill-reader", daemon=True).start()
    while (item := box.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item


def backfill(
    api: Engine,
    cell_db: Engine,
    cell_id: int,
    *,
    max_count: int | None = None,
    reset: bool = False,
    page_size: int = PAGE_SIZE,
    progress: Callable[[int], None] | None = None,
) -> BackfillResult:
    """Map the cell's instances, resuming from its cursor unless ``reset``."""
    with api.begin() as conn:
        start = None if reset else mapping_cursor.get(conn, cell_id)
        mapping_cursor.clear(conn, cell_id)
    # Peek one row past a bounded run's limit to know whether more remain.
    limit = None if max_count is None else max_count + 1
    examined = created = 0
    last_id = start or 0
    for page in _prefetch(_pages(cell_db, start or 0, limit, page_size)):
        if max_count is not None and examined + len(page) > max_count:
            page = page[: max_count - examined]
            more = True
        else:
            more = False
        created += _map_page(api, cell_id, page)
        examined += len(page)
        if page:
            last_id = page[-1].id
        if progress:
            progress(len(page))
        if more:
            with api.begin() as conn:
                mapping_cursor.save(conn, cell_id, last_id)
            return BackfillResult(examined, created, True)
    return BackfillResult(examined, created, False)


def _map_page(api: Engine, cell_id: int, page: Sequence[Any]) -> int:
    mappings = [NewMapping(r.uuid, r.project_id or "", r.user_id) for r in page]
    with api.begin() as conn:
        return instance_mapping.create_many(conn, cell_id, mappings)
