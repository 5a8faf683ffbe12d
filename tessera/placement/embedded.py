"""The real placement WSGI app, built in-process from a database URL.

Placement keeps its database engine in one process-wide transaction factory
(``placement.db_api.placement_context_manager``), so a process can serve only
one placement database at a time. :func:`open_embedded` therefore binds a
private factory into that global slot for as long as the returned
:class:`EmbeddedPlacement` is open, and refuses a second one until it is
closed. Share the one handle (or its :attr:`EmbeddedPlacement.app`) between
the scheduler, conductor and computes of a process.

The configuration is a private ``ConfigOpts``; nothing of ours is read from
the global ``cfg.CONF``. (oslo.db still registers its ``[database]`` option
defaults there when the engine starts; the options we set take precedence.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg
from placement import conf as placement_conf
from placement import db_api, deploy, policy
from placement.objects import resource_class, trait

from tessera.placement.dburl import is_sqlite, placement_connection
from tessera.placement.errors import EmbeddedPlacementBusy
from tessera.placement.transport import WSGIApp, WSGITransport
from tessera.urls.mask import mask_password

# Which connection currently owns placement's process-wide engine slot.
_SLOT_LOCK = threading.Lock()
_slot: dict[str, str] = {}

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def build_config(connection: str) -> cfg.ConfigOpts:
    """A private placement configuration: this database, schema sync, noauth2."""
    conf = cfg.ConfigOpts()
    placement_conf.register_opts(conf)
    # Overrides go in before parsing: ``connection`` is a required option.
    conf.set_override("connection", connection, group="placement_database")
    conf.set_override("sync_on_startup", True, group="placement_database")
    conf.set_override("auth_strategy", "noauth2", group="api")
    conf([], project="placement", default_config_files=[], default_config_dirs=[])
    return conf


class EmbeddedPlacement:
    """An open in-process placement app bound to one database; close it when done."""

    def __init__(self, app: WSGIApp, connection: str, release: Callable[[], None]) -> None:
        self._app = app
        self._connection = connection
        self._release: Callable[[], None] | None = release
        self._lock = threading.Lock()

    @property
    def app(self) -> WSGIApp:
        """The WSGI app; safe to call from several threads."""
        return self._app

    @property
    def connection(self) -> str:
        """The database URL placement uses (driver already adapted)."""
        return self._connection

    def transport(self) -> WSGITransport:
        """A transport for :class:`~tessera.placement.client.PlacementClient`."""
        return WSGITransport(self._app)

    def close(self) -> None:
        """Unbind the database and dispose of its engine; idempotent."""
        with self._lock:
            release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> EmbeddedPlacement:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_embedded(connection: str) -> EmbeddedPlacement:
    """Build placement on ``connection``, creating or upgrading its schema first."""
    url = placement_connection(connection)
    conf = build_config(url)
    with _SLOT_LOCK:
        if "connection" in _slot:
            raise EmbeddedPlacementBusy(
                "An embedded placement is already open in this process on "
                f"{mask_password(_slot['connection'])}; close it first or share it"
            )
        unbind = _bind_database(conf, url)
        try:
            app = _load_app(conf)
        except BaseException:
            unbind()
            raise
        _slot["connection"] = url
    if is_sqlite(url):
        app = SerializedWrites(app)
    return EmbeddedPlacement(app, url, lambda: _release(unbind))


def _release(unbind: Callable[[], None]) -> None:
    with _SLOT_LOCK:
        unbind()
        _slot.pop("connection", None)


def _bind_database(conf: cfg.ConfigOpts, url: str) -> Callable[[], None]:
    """Point placement's global transaction factory at a private one for ``url``."""
    # A fresh, unstarted copy of placement's own factory (public oslo.db API for this).
    manager = db_api.placement_context_manager.make_new_manager()
    manager.configure(**_engine_options(conf))
    if is_sqlite(url):
        manager.append_on_engine_create(_use_wal)
    restore = db_api.placement_context_manager.patch_factory(manager)

    def unbind() -> None:
        restore()
        manager.dispose_pool()

    return unbind


def _engine_options(conf: cfg.ConfigOpts) -> dict[str, Any]:
    """oslo.db engine options from ``[placement_database]`` (it has no use for the rest)."""
    options = dict(conf.placement_database.items())
    options.pop("sync_on_startup", None)
    return options


def _load_app(conf: cfg.ConfigOpts) -> WSGIApp:
    """Assemble the app; this also migrates the schema and syncs traits/resource classes."""
    # These process-wide "already done" flags belong to whichever database was
    # bound before; clear them so the new database gets its own sync.
    trait._TRAITS_SYNCED = False
    resource_class._RESOURCE_CLASSES_SYNCED = False
    policy.reset()
    app: WSGIApp = deploy.loadapp(conf)
    return app


def _use_wal(engine: sa.engine.Engine) -> None:
    """WAL lets GETs (allocation candidates) run while a write is in progress."""
    sa.event.listen(engine, "connect", _set_wal)


def _set_wal(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # Placement's writes run one at a time, so an fsync per commit (FULL) set
    # the pace of all of them. With WAL, NORMAL syncs at checkpoints only: the
    # database stays consistent, and only the last commits can be lost, on
    # power loss (not when the process dies). Tessera's own engines do the same.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class SerializedWrites:
    """WSGI middleware running one write request at a time; reads pass straight through.

    SQLite has a single writer, and placement's read-then-write transactions fail
    with "database is locked" instead of waiting when two of them interleave.
    """

    def __init__(self, app: WSGIApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Hold the write lock until the whole response body has been produced."""
        if environ.get("REQUEST_METHOD", "GET") in _READ_METHODS:
            return self._app(environ, start_response)
        with self._lock:
            result = self._app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
