"""Engines: one per database URL, owned by a :class:`Databases` object.

A process (a service, the CLI, a test) owns exactly one ``Databases`` and passes
it where needed; engines are never cached in module globals.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from tessera.conf.database import DatabaseSettings
from tessera.db import idle_ping
from tessera.db.errors import BadDatabaseURL, DatabaseUnreachable
from tessera.urls.mask import mask_password

LOG = logging.getLogger(__name__)

# Bare dialect names pick drivers we do not ship; map them to the ones we do.
_DEFAULT_DRIVERS = {
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
    "postgresql": "postgresql+psycopg",
}


def parse_url(url: str) -> URL:
    """Parse a database URL, choosing our driver when none is named."""
    try:
        parsed = sa.make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise BadDatabaseURL(f"Malformed database URL {mask_password(url)!r}: {exc}") from exc
    driver = _DEFAULT_DRIVERS.get(parsed.drivername)
    if driver:
        parsed = parsed.set(drivername=driver)
    if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


# --------------------------------------------------------------------------- SQLite writers
#
# SQLite has one writer per file. A writer that finds the file locked sleeps in
# SQLite's busy handler with growing naps (up to 100 ms each) and retries, so
# under concurrent writes a transaction holding the lock for a millisecond kept
# others asleep for seconds. Writers of this process therefore queue, in order,
# on a lock per file instead, and each wakes the moment the one before it ends.
# Readers never take it: with WAL they run beside the writer.


class _FileLock:
    """The in-process write lock of one SQLite file, granted in order of asking.

    First come, first served: a plain Lock lets a thread that just committed
    take it again before the woken waiter runs, and under load some writers
    then waited seconds while others wrote over and over.
    """

    __slots__ = ("__weakref__", "_guard", "_held", "_owner", "_waiters")

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._owner: int | None = None
        # One locked Lock per waiting thread; released to hand it the turn.
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the turn; False when going ahead without it."""
        me = threading.get_ident()
        if self._owner == me:
            # This thread is writing through another connection already; waiting
            # for itself would never end, so SQLite's busy timeout decides, as before.
            return False
        with self._guard:
            if not self._held:
                self._held, self._owner = True, me
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=timeout) or not self._give_up(turn):
            self._owner = me
            return True
        LOG.warning("No turn to write an SQLite file within %.0f s; trying anyway", timeout)
        return False

    def _give_up(self, turn: threading.Lock) -> bool:
        """Leave the queue after a timeout; False when the turn came meanwhile (it is ours)."""
        with self._guard:
            try:
                self._waiters.remove(turn)
            except ValueError:
                return False
            return True

    def release(self) -> None:
        """Hand the turn to the longest waiter, or free the lock."""
        with self._guard:
            self._owner = None
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False


_FILE_LOCKS: weakref.WeakValueDictionary[str, _FileLock] = weakref.WeakValueDictionary()
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(database: str | bytes | os.PathLike[str], uri: bool) -> _FileLock | None:
    """The lock shared by every connection of this process to the file (None: in memory)."""
    name = os.fsdecode(database)
    if uri:
        parts = urlsplit(name)
        if "mode=memory" in parts.query:
            return None
        name = parts.path
    if name in ("", ":memory:"):
        return None
    path = os.path.realpath(name)
    with _FILE_LOCKS_GUARD:
        lock = _FILE_LOCKS.get(path)
        if lock is None:
            lock = _FileLock()
            _FILE_LOCKS[path] = lock
        return lock


_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _is_write(sql: str) -> bool:
    """Whether pysqlite opens a transaction for ``sql`` (its own test: the first keyword)."""
    text = sql.lstrip()
    while text.startswith(("--", "/*")):
        end = text.find("\n") + 1 if text.startswith("--") else text.find("*/") + 2
        if end <= 1:
            return False
        text = text[end:].lstrip()
    return text[:7].upper().startswith(_WRITE_VERBS)


class WriteLockedConnection(sqlite3.Connection):
    """A pysqlite connection whose write transactions take turns on a per-file lock.

    pysqlite opens a transaction at the first INSERT/UPDATE/DELETE/REPLACE, not
    at the first SELECT; the lock is taken right before that statement and
    released once the connection is no longer in a transaction (commit,
    rollback, close, or a failed first statement). Read-only use never waits.
    Use as ``sqlite3.connect(..., factory=WriteLockedConnection)``.
    """

    def __init__(self, database: str | bytes | os.PathLike[str], *args: Any, **kwargs: Any):
        super().__init__(database, *args, **kwargs)
        self._file_lock = _file_lock(database, bool(kwargs.get("uri", False)))
        # As long as SQLite itself would have waited (sqlite3.connect's ``timeout``).
        self._lock_timeout = float(kwargs.get("timeout", args[0] if args else 5.0))
        self._holds_lock = False

    def cursor(self, factory: Any = None) -> Any:
        """A cursor whose writes take the lock (unless another ``factory`` is asked for)."""
        chosen: Any = factory or _WriteLockedCursor
        return super().cursor(chosen)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Any:
        return self.cursor().executemany(sql, parameters)

    def executescript(self, sql_script: str, /) -> Any:
        # Not queued (scripts set schemas up); it commits first, which ends our turn.
        try:
            return super().executescript(sql_script)
        finally:
            self._statement_done()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._statement_done()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._statement_done()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def __del__(self) -> None:
        # Last resort for a connection dropped mid-write without close(): a turn
        # never given back would stall every later writer of the file.
        if getattr(self, "_holds_lock", False):
            self._release()

    def _before_statement(self, sql: str) -> None:
        if not self._holds_lock and self._file_lock is not None and _is_write(sql):
            self._holds_lock = self._file_lock.acquire(self._lock_timeout)

    def _statement_done(self) -> None:
        if self._holds_lock and not self._in_transaction():
            self._release()

    def _in_transaction(self) -> bool:
        try:
            return self.in_transaction
        except sqlite3.ProgrammingError:  # closed
            return False

    def _release(self) -> None:
        if self._holds_lock and self._file_lock is not None:
            self._holds_lock = False
            self._file_lock.release()


class _WriteLockedCursor(sqlite3.Cursor):
    """Takes the connection's write lock before a write; lets go when its transaction ends."""

    def __init__(self, connection: WriteLockedConnection, /) -> None:
        super().__init__(connection)
        self._owner = connection

    def execute(self, sql: str, parameters: Any = (), /) -> _WriteLockedCursor:
        self._owner._before_statement(sql)
        try:
            super().execute(sql, parameters)
        finally:
            # In autocommit mode, or when the statement failed before its BEGIN took.
            self._owner._statement_done()
        return self

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> _WriteLockedCursor:
        self._owner._before_statement(sql)
        try:
            super().executemany(sql, parameters)
        finally:
            self._owner._statement_done()
        return self


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (the API) run beside a writer (a bulk backfill).
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str, *, reader: bool = False) -> Engine:
    """Create (but do not connect) an engine with per-backend settings.

    A ``reader`` engine's connections run in autocommit mode: each statement
    sees the database as of its own start, and handing a connection back costs
    no ROLLBACK round trip. For reads that need no consistency across
    statements (and never for writes). SQLite readers are plain engines.
    """
    parsed = parse_url(url)
    kwargs: dict[str, Any] = {}
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            kwargs["connect_args"]["factory"] = WriteLockedConnection
    else:
        kwargs["pool_recycle"] = 3600
        if reader:
            kwargs.update(isolation_level="AUTOCOMMIT", skip_autocommit_rollback=True)
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise BadDatabaseURL(f"Unusable database URL {mask_password(url)!r}: {exc}") from exc
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        idle_ping.install(engine)
    return engine


def wait_for_connection(engine: Engine, settings: DatabaseSettings) -> None:
    """Open one connection, retrying as ``settings`` allow, or raise DatabaseUnreachable."""
    attempt = 0
    while True:
        try:
            with engine.connect():
                return
        except DBAPIError as exc:
            attempt += 1
            if settings.max_retries != -1 and attempt > settings.max_retries:
                url = mask_password(engine.url.render_as_string(hide_password=False))
                reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
                raise DatabaseUnreachable(f"Cannot connect to database {url}: {reason}") from exc
            time.sleep(settings.retry_interval)


class Databases:
    """The engines of one process, keyed by URL, each created and checked once."""

    def __init__(self, settings: DatabaseSettings | None = None) -> None:
        self._policy = settings or DatabaseSettings(None)
        self._engines: dict[tuple[str, bool], Engine] = {}
        """By (URL, reader)."""
        self._url_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def engine(self, url: str) -> Engine:
        """The engine for ``url``, connecting (with retries) on first use.

        Only callers of the same URL wait for each other: a dead cell database
        being retried never delays the first use of another one.
        """
        return self._get(url, reader=False)

    def reader(self, url: str) -> Engine:
        """The autocommit engine for reads of ``url`` (see :func:`create_engine`).

        Its own pool: on SQLite, the engine itself.
        """
        with self._lock:
            found = self._engines.get((url, True))
        if found is not None:  # the common case: no URL parsing per call
            return found
        if parse_url(url).get_backend_name() != "sqlite":
            return self._get(url, reader=True)
        engine = self.engine(url)
        with self._lock:
            self._engines[(url, True)] = engine
        return engine

    def _get(self, url: str, *, reader: bool) -> Engine:
        key = (url, reader)
        with self._lock:
            engine = self._engines.get(key)
            if engine is not None:
                return engine
            url_lock = self._url_locks.setdefault(url, threading.Lock())
        with url_lock:
            with self._lock:
                engine = self._engines.get(key)
            if engine is None:
                engine = create_engine(url, reader=reader)
                wait_for_connection(engine, self._policy)
                with self._lock:
                    self._engines[key] = engine
            return engine

    def forget(self, url: str) -> None:
        """Dispose of the engine for ``url`` (its cell was changed or deleted)."""
        with self._lock:
            found = [self._engines.pop((url, reader), None) for reader in (False, True)]
        for engine in found:
            if engine is not None:
                engine.dispose()

    def dispose(self) -> None:
        """Close every pool this object owns."""
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in {id(e): e for e in engines}.values():  # SQLite readers are writers
            engine.dispose()
