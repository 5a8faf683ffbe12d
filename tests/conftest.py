"""Shared fixtures: database backends, a migrated cloud (API DB + three cells), configs, CLI.

Tests that take the ``backend`` fixture (directly or through ``cloud_dbs``, ``cloud``
or ``fresh_db``) run once per backend: SQLite, MariaDB and PostgreSQL. The servers
must be up (``scripts/services``); an unreachable server fails the tests, it never
skips them, so a run cannot pass without the real databases.

Every database a session creates is named ``tt_<8 random hex>_<worker>_<label>``,
so concurrent runs and pytest-xdist workers never share one.
"""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from tessera.db import migration
from tessera.db.api.models import ApiBase
from tessera.db.engines import create_engine
from tessera.db.main.models import MainBase

BackendName = Literal["sqlite", "mysql", "postgresql"]
BACKENDS: tuple[BackendName, ...] = get_args(BackendName)

# Servers; a database's URL is the server's plus "/<name>".
_SERVERS: dict[BackendName, str] = {
    "mysql": "mysql+pymysql://root@127.0.0.1:3306",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432",
}
# Where CREATE/DROP DATABASE are issued.
_ADMIN_URLS: dict[BackendName, str] = {
    "mysql": f"{_SERVERS['mysql']}/",
    "postgresql": f"{_SERVERS['postgresql']}/postgres",
}
_SERVER_LABELS: dict[BackendName, str] = {
    "mysql": "MariaDB/MySQL at 127.0.0.1:3306 (user root, no password)",
    "postgresql": "PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth)",
}
_MAX_NAME = 63  # PostgreSQL's identifier limit (MySQL allows 64).

# One prefix per test process: a random token plus the xdist worker id.
SESSION_PREFIX = f"tt_{secrets.token_hex(4)}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_"


# --------------------------------------------------------------------------- backends


@dataclass(frozen=True)
class Backend:
    """One database backend of this test session and how to make databases on it."""

    name: BackendName
    directory: Path = field(compare=False)
    """Where SQLite files go (this session's temporary directory)."""
    admin: Engine | None = field(default=None, compare=False, repr=False)
    """Server-level engine for CREATE/DROP DATABASE; None for SQLite."""
    created: set[str] = field(default_factory=set, compare=False, repr=False)
    """Databases created and not yet dropped, dropped at session end as a safety net."""

    def __str__(self) -> str:
        return self.name

    def database_name(self, db: str) -> str:
        """The session-unique name of the database labelled ``db``."""
        name = f"{SESSION_PREFIX}{db}"
        assert len(name) <= _MAX_NAME, f"database name too long: {name}"
        return name

    def url(self, db: str) -> str:
        """SQLAlchemy URL of the database labelled ``db`` (which may not exist yet)."""
        name = self.database_name(db)
        if self.name == "sqlite":
            return f"sqlite:///{self.directory / name}.db"
        return f"{_SERVERS[self.name]}/{name}"

    def create(self, db: str) -> str:
        """Create the empty database labelled ``db``; return its URL."""
        name = self.database_name(db)
        if self.name == "mysql":
            self._admin_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        elif self.name == "postgresql":
            self._admin_execute(f'CREATE DATABASE "{name}"')
        self.created.add(db)
        return self.url(db)

    def drop(self, db: str) -> None:
        """Drop the database labelled ``db`` if it exists (closing its sessions on PostgreSQL)."""
        name = self.database_name(db)
        if self.name == "sqlite":
            for suffix in (".db", ".db-wal", ".db-shm"):
                (self.directory / f"{name}{suffix}").unlink(missing_ok=True)
        elif self.name == "mysql":
            self._admin_execute(f"DROP DATABASE IF EXISTS `{name}`")
        else:
            self._admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.discard(db)

    def close(self) -> None:
        """Drop what is left and dispose of the admin engine."""
        for db in sorted(self.created):
            self.drop(db)
        if self.admin is not None:
            self.admin.dispose()

    def _admin_execute(self, statement: str) -> None:
        assert self.admin is not None
        with self.admin.connect() as conn:
            conn.execute(sa.text(statement))


def _admin_engine(name: BackendName) -> Engine | None:
    """A connected server-level engine, or pytest.fail when the server is unreachable."""
    if name == "sqlite":
        return None
    # AUTOCOMMIT: PostgreSQL refuses CREATE/DROP DATABASE inside a transaction.
    engine = sa.create_engine(_ADMIN_URLS[name], isolation_level="AUTOCOMMIT", pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except DBAPIError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        pytest.fail(
            f"{_SERVER_LABELS[name]} is not reachable: {reason}\n"
            "The database tests need it; start the servers with scripts/services.",
            pytrace=False,
        )
    return engine


@pytest.fixture(scope="session")
def _tessera_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tessera-dbs")


def _open_backend(name: BackendName, directory: Path) -> Iterator[Backend]:
    backend = Backend(name, directory, _admin_engine(name))
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture(scope="session", params=BACKENDS, ids=list(BACKENDS))
def backend(request: pytest.FixtureRequest, _tessera_tmp: Path) -> Iterator[Backend]:
    """Each database backend in turn: tests using it run three times."""
    yield from _open_backend(request.param, _tessera_tmp)


@pytest.fixture(scope="session")
def sqlite_backend(_tessera_tmp: Path) -> Iterator[Backend]:
    """SQLite only, for tests that need a database but not every backend."""
    directory = _tessera_tmp / "sqlite-only"
    directory.mkdir()
    yield from _open_backend("sqlite", directory)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs per backend, so ``-m backend`` / ``-m 'not backend'`` work."""
    for item in items:
        if "backend" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.backend)


# --------------------------------------------------------------------------- a cloud's DBs

CLOUD_SCHEMAS: dict[str, migration.Schema] = {
    "api": "api",
    "cell0": "main",
    "cell1": "main",
    "cell2": "main",
}


@dataclass(frozen=True)
class CloudDBs:
    """The migrated API database and cell databases (cell0, cell1, cell2) of one backend."""

    backend: Backend
    api: str
    cell0: str
    cell1: str
    cell2: str
    engines: dict[str, Engine] = field(compare=False, repr=False)

    def url(self, name: str) -> str:
        """URL of ``name``: ``api``, ``cell0``, ``cell1`` or ``cell2``."""
        url: str = getattr(self, name)
        return url

    def engine(self, name: str) -> Engine:
        """This session's engine for ``name``: ``api``, ``cell0``, ``cell1`` or ``cell2``."""
        return self.engines[name]

    @property
    def cells(self) -> tuple[str, str, str]:
        """URLs of cell0, cell1 and cell2."""
        return (self.cell0, self.cell1, self.cell2)


def _create_migrated(backend: Backend, name: str) -> tuple[str, Engine]:
    url = backend.create(name)
    engine = create_engine(url)
    migration.upgrade(engine, CLOUD_SCHEMAS[name])
    return url, engine


@pytest.fixture(scope="session")
def cloud_dbs(backend: Backend) -> Iterator[CloudDBs]:
    """Four migrated databases (api, cell0, cell1, cell2) kept for the whole session."""
    engines: dict[str, Engine] = {}
    urls: dict[str, str] = {}
    try:
        for name in CLOUD_SCHEMAS:
            urls[name], engines[name] = _create_migrated(backend, name)
        yield CloudDBs(backend=backend, engines=engines, **urls)
    finally:
        for name, engine in engines.items():
            engine.dispose()
            backend.drop(name)


def _empty_tables(engine: Engine, metadata: sa.MetaData) -> None:
    # Alembic's version tables are not in the models' metadata, so they are kept.
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def cloud(cloud_dbs: CloudDBs) -> CloudDBs:
    """The session's cloud databases, with every table emptied before the test."""
    for name, schema in CLOUD_SCHEMAS.items():
        metadata = ApiBase.metadata if schema == "api" else MainBase.metadata
        _empty_tables(cloud_dbs.engine(name), metadata)
    return cloud_dbs


@pytest.fixture
def fresh_db(backend: Backend) -> Iterator[Callable[[str], str]]:
    """Factory of new, empty (unmigrated) databases, dropped when the test ends."""
    made: list[str] = []

    def make(label: str) -> str:
        db = f"{label}_{secrets.token_hex(3)}"
        made.append(db)
        return backend.create(db)

    yield make
    for db in made:
        backend.drop(db)


# --------------------------------------------------------------------------- config and CLI


@pytest.fixture
def write_conf(tmp_path: Path) -> Callable[..., str]:
    """``write_conf({"section": {"opt": "value"}}, name="tessera.conf") -> path``."""

    def write(sections: dict[str, dict[str, str]], name: str = "tessera.conf") -> str:
        lines: list[str] = []
        for section, options in sections.items():
            lines.append(f"[{section}]")
            lines.extend(f"{key} = {value}" for key, value in options.items())
            lines.append("")
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")
        return str(path)

    return write


@dataclass(frozen=True)
class Result:
    """Outcome of one in-process ``tessera-manage`` run."""

    code: int
    out: str
    err: str


def _exit_code(exc: SystemExit) -> tuple[int, str]:
    if exc.code is None:
        return 0, ""
    if isinstance(exc.code, int):
        return exc.code, ""
    return 1, f"{exc.code}\n"


@pytest.fixture
def manage(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``tessera-manage`` in-process: ``manage(*argv, conf=path) -> Result``."""

    def run(*argv: str, conf: str | None = None) -> Result:
        main = importlib.import_module("tessera.cmd.manage").main
        args = (["--config-file", conf] if conf is not None else []) + list(argv)
        capsys.readouterr()
        extra_err = ""
        try:
            code = main(args)
        except SystemExit as exc:
            code, extra_err = _exit_code(exc)
        captured = capsys.readouterr()
        return Result(int(code or 0), captured.out, captured.err + extra_err)

    return run
