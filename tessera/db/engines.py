"""Engines: one per database URL, owned by a :class:`Databases` object.

A process (a service, the CLI, a test) owns exactly one ``Databases`` and passes
it where needed; engines are never cached in module globals.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from tessera.conf.database import DatabaseSettings
from tessera.db.errors import BadDatabaseURL, DatabaseUnreachable
from tessera.urls.mask import mask_password

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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (the API) run beside a writer (a bulk backfill).
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str) -> Engine:
    """Create (but do not connect) an engine with per-backend settings."""
    parsed = parse_url(url)
    kwargs: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
    else:
        kwargs.update(pool_pre_ping=True, pool_recycle=3600)
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise BadDatabaseURL(f"Unusable database URL {mask_password(url)!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
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
        self._engines: dict[str, Engine] = {}
        self._url_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def engine(self, url: str) -> Engine:
        """The engine for ``url``, connecting (with retries) on first use.

        Only callers of the same URL wait for each other: a dead cell database
        being retried never delays the first use of another one.
        """
        with self._lock:
            engine = self._engines.get(url)
            if engine is not None:
                return engine
            url_lock = self._url_locks.setdefault(url, threading.Lock())
        with url_lock:
            with self._lock:
                engine = self._engines.get(url)
            if engine is None:
                engine = create_engine(url)
                wait_for_connection(engine, self._policy)
                with self._lock:
                    self._engines[url] = engine
            return engine

    def forget(self, url: str) -> None:
        """Dispose of the engine for ``url`` (its cell was changed or deleted)."""
        with self._lock:
            engine = self._engines.pop(url, None)
        if engine is not None:
            engine.dispose()

    def dispose(self) -> None:
        """Close every pool this object owns."""
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.dispose()
