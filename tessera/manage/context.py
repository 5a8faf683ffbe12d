"""What every command gets: configuration, the process's engines and an output."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy.engine import Engine

from tessera.db import migration
from tessera.db.engines import Databases
from tessera.manage.errors import ConfigError
from tessera.objects import cell_mapping
from tessera.objects.cell_mapping import CellMapping, URLBases


@dataclass
class ManageContext:
    """One command run: config, engines (owned and disposed by ``main``), output."""

    conf: cfg.ConfigOpts
    """The loaded configuration of this run."""
    databases: Databases
    """Engines of this run, one per URL."""
    out: Callable[[str], None] = print
    """Where command output goes (stdout)."""
    _checked: set[str] = field(default_factory=set)

    @property
    def bases(self) -> URLBases:
        """This host's URLs, against which cell URL templates expand."""
        return URLBases.from_conf(self.conf)

    def api_engine(self) -> Engine:
        """The API database, connected and checked to have a schema."""
        url = self.conf.api_database.connection
        if not url:
            raise ConfigError("[api_database] connection is not set in the configuration file.")
        return self._checked_engine(url, "api", "API database")

    def cell_engine(self, cell: CellMapping) -> Engine:
        """A cell's database, connected and checked to have a schema."""
        if not cell.database_connection:
            raise ConfigError(f"Cell {cell.identity} has no database connection.")
        label = f"database of cell {cell.name or cell.uuid}"
        return self._checked_engine(cell.database_connection, "main", label)

    def local_engine(self) -> Engine:
        """This host's own cell database (``[database] connection``)."""
        url = self.conf.database.connection
        if not url:
            raise ConfigError("[database] connection is not set in the configuration file.")
        return self._checked_engine(url, "main", "database in [database] connection")

    def _checked_engine(self, url: str, schema: migration.Schema, label: str) -> Engine:
        engine = self.databases.engine(url)
        if url not in self._checked:
            migration.require_current(engine, schema, label)
            self._checked.add(url)
        return engine

    @contextmanager
    def api(self) -> Iterator[sa.Connection]:
        """A transaction on the API database."""
        with self.api_engine().begin() as conn:
            yield conn

    def cell(self, uuid: str) -> CellMapping:
        """The cell with ``uuid``; an unknown uuid ends the command with exit 1."""
        with self.api() as conn:
            return cell_mapping.get_by_uuid(conn, uuid, self.bases)
