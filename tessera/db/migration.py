"""Schema migrations: one Alembic history for the API schema, one for cells.

Alembic is driven programmatically (no ``alembic.ini``): the caller hands an
open connection to the environment through ``Config.attributes``.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from tessera.db.errors import SchemaMissing

Schema = Literal["api", "main"]

# Distinct version tables: a sync pointed at the wrong database (``db sync``
# against the API database) finds no revision of its own instead of the other
# schema's and silently doing nothing.
VERSION_TABLES: dict[Schema, str] = {"api": "alembic_version_api", "main": "alembic_version_main"}


def _config(schema: Schema, connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", f"tessera.db.{schema}:migrations")
    config.attributes["connection"] = connection
    config.attributes["version_table"] = VERSION_TABLES[schema]
    return config


def run_environment(metadata: sa.MetaData) -> None:
    """Body of each ``env.py``: migrate the connection the caller passed in."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        # Offline (``--sql``) mode or autogenerate from the command line.
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
            version_table=config.attributes.get("version_table", "alembic_version"),
        )
    else:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=config.attributes["version_table"],
            render_as_batch=True,
        )
    with context.begin_transaction():
        context.run_migrations()


def upgrade(engine: Engine, schema: Schema, revision: str = "heads") -> None:
    """Bring the database behind ``engine`` to ``revision`` of ``schema``."""
    with engine.begin() as connection:
        command.upgrade(_config(schema, connection), revision)


def current(engine: Engine, schema: Schema) -> str | None:
    """The schema revision the database is at, or None if never synced."""
    with engine.connect() as connection:
        ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLES[schema]})
        return ctx.get_current_revision()


def head(schema: Schema) -> str:
    """The newest revision this code knows for ``schema``."""
    script = ScriptDirectory.from_config(_config(schema))
    revision = script.get_current_head()
    assert revision is not None
    return revision


SYNC_COMMANDS: dict[Schema, str] = {
    "api": "tessera-manage api_db sync",
    "main": "tessera-manage db sync",
}


def require_current(engine: Engine, schema: Schema, label: str) -> None:
    """Raise SchemaMissing unless the database has been synced at least once."""
    if current(engine, schema) is None:
        raise SchemaMissing(f"The {label} has no schema; run '{SYNC_COMMANDS[schema]}' first.")
