"""Instance-mapping backfill (``map_instances``): map a cell's instances, set-based.

Reads the cell's instances in keyset pages on the primary key (deleted ones
too), and inserts their mappings with batched multi-row statements that skip
instances already mapped. The calling thread reads the next page while a few
writer threads, each on its own API connection, insert earlier ones. A
bounded run leaves a real cursor (the last instance id) in the API database.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from operator import attrgetter
from types import TracebackType
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from tessera.objects import instance, instance_mapping, mapping_cursor
from tessera.objects.instance_mapping import NewMapping

PAGE_SIZE = 100_000
"""Instances per page, written in uuid order (see ``_Writers.submit``).

Large because the sort window is the page: the bigger it is, the more rows
share each index leaf in its one visit. At a million mappings on MariaDB
with its default 128 MB buffer pool, 100k-row pages flush ~400k index pages
where 50k-row ones flush ~470k. Memory stays bounded: about two pages'
rows (one written, one read) are held at once.
"""

SERVER_WRITERS = 3
"""Connections writing at once on a database server, each one uuid range
of the page. One leaves the server idle while Python prepares the next
statement and the client idle while the server inserts; more overlap them
and keep several page reads in flight (MariaDB, a million mappings in
100k-row pages: 22.0-22.5k/s with two, 24.2-24.3k/s with three)."""

RETRIES = 5
"""Attempts per page when the server aborts it for a deadlock."""

# MySQL deadlock / lock-wait timeout, PostgreSQL deadlock / serialization failure.
_RETRYABLE_MYSQL = {1205, 1213}
_RETRYABLE_SQLSTATES = {"40P01", "40001"}


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
) -> Generator[Sequence[Any], None, None]:
    """Yield pages of instance rows after ``start_after``, at most ``limit`` rows."""
    after, remaining = start_after, limit
    with cell_db.connect() as conn:
        while remaining is None or remaining > 0:
            size = page_size if remaining is None else min(page_size, remaining)
            rows = instance.page_after(conn, after, size)
            # Keyset paging needs no snapshot: end the read transaction so a
            # long backfill does not hold back purge (InnoDB) or checkpoints (WAL).
            conn.rollback()
            if not rows:
                return
            yield rows
            after = rows[-1].id
            if remaining is not None:
                remaining -= len(rows)
            if len(rows) < size:
                return


class _Writers:
    """Maps each page as ``count`` uuid ranges, on as many API connections at once.

    ``submit`` blocks while ``count`` ranges are in flight, so about one page
    being written (plus the one being read) is held in memory. Results are
    collected in submission order.
    """

    def __init__(
        self,
        api: Engine,
        cell_id: int,
        count: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        self._api, self._cell_id, self._count = api, cell_id, count
        self._progress = progress
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="backfill-writer")
        self._pending: deque[tuple[Future[int], int]] = deque()
        self.created = 0

    def submit(self, page: Sequence[Any]) -> None:
        """Queue ``page`` for writing as one uuid range per writer, waiting for room."""
        # Insert in uuid order: the two instance_uuid indexes are then written
        # in one ascending sweep per page, reading (and flushing) each leaf
        # once per page rather than about once per row; they outgrow MariaDB's
        # default buffer pool near a million mappings (6.4k mappings/s in id
        # order, 14.8k sorted). Disjoint ranges keep the writers' sweeps
        # apart, so a page costs one sweep, not one per writer.
        ordered = sorted(page, key=attrgetter("uuid"))
        step = -(-len(ordered) // self._count)
        for start in range(0, len(ordered), step):
            part = ordered[start : start + step]
            while len(self._pending) >= self._count:
                self._collect()
            future = self._pool.submit(_map_page, self._api, self._cell_id, part)
            self._pending.append((future, len(part)))

    def finish(self) -> int:
        """Wait for every queued page; return the mappings created in all."""
        while self._pending:
            self._collect()
        return self.created

    def _collect(self) -> None:
        future, size = self._pending.popleft()
        self.created += future.result()  # re-raises a writer's error here
        if self._progress:
            self._progress(size)

    def __enter__(self) -> _Writers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # On an error, drop pages not yet started; those running finish first,
        # so no thread outlives the call (each page is idempotent on rerun).
        self._pool.shutdown(wait=True, cancel_futures=exc is not None)


def _writer_count(api: Engine) -> int:
    # SQLite has one writer at a time: a second connection would only wait.
    return 1 if api.dialect.name == "sqlite" else SERVER_WRITERS


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
    examined, last_id, more = 0, start or 0, False
    pages = closing(_pages(cell_db, start or 0, limit, page_size))
    with _Writers(api, cell_id, _writer_count(api), progress) as writers, pages as reader:
        for page in reader:
            if max_count is not None and examined + len(page) > max_count:
                page, more = page[: max_count - examined], True
            if page:
                writers.submit(page)
                examined += len(page)
                last_id = page[-1].id
            if more:
                break
        created = writers.finish()
    if more:
        # Saved only now, when every page up to it is committed.
        with api.begin() as conn:
            mapping_cursor.save(conn, cell_id, last_id)
    return BackfillResult(examined, created, more)


def _map_page(api: Engine, cell_id: int, page: Sequence[Any]) -> int:
    """Map a part of a page in one API transaction; return how many were new."""
    mappings = [NewMapping(r.uuid, r.project_id or "", r.user_id) for r in page]
    attempt = 1
    while True:
        try:
            with api.begin() as conn:
                return instance_mapping.create_many(conn, cell_id, mappings)
        except DBAPIError as exc:
            if attempt >= RETRIES or not _is_retryable(exc):
                raise
        # Concurrent writers (ours, or another run's) skipping rows already
        # mapped can deadlock on gap locks; the server rolled this range back,
        # and writing it again is idempotent.
        time.sleep(0.05 * attempt)
        attempt += 1


def _is_retryable(exc: DBAPIError) -> bool:
    orig = exc.orig
    code = orig.args[0] if orig is not None and orig.args else None
    return code in _RETRYABLE_MYSQL or getattr(orig, "sqlstate", None) in _RETRYABLE_SQLSTATES
