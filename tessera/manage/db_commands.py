"""``api_db`` and ``db`` categories: create and upgrade schemas, show their version."""

from __future__ import annotations

import argparse
from typing import Any

from tessera.db import migration
from tessera.db.errors import DatabaseError
from tessera.manage.context import ManageContext
from tessera.manage.errors import CommandError, ConfigError
from tessera.objects import cell_mapping
from tessera.objects.errors import CellMappingNotFound

CELL0_CHECKLIST = """ERROR: Could not access cell0.
Has the tessera_api database been created?
Has the tessera_cell0 database been created?
Has "tessera-manage api_db sync" been run?
Has "tessera-manage cell_v2 map_cell0" been run?
Is [api_database]/connection set in tessera.conf?
Is the cell0 database connection URL correct?
Error: {error}"""


def register(categories: Any) -> None:
    """Add the ``api_db`` and ``db`` categories to the parser."""
    api_db = categories.add_parser("api_db", help="The API database schema.")
    api_actions = api_db.add_subparsers(dest="action_name", metavar="ACTION", required=True)
    sync = api_actions.add_parser("sync", help="Create or upgrade the API database schema.")
    sync.add_argument("version", nargs="?", default="heads", help="Revision (default: newest).")
    sync.set_defaults(action=api_db_sync)
    version = api_actions.add_parser("version", help="Print the API schema revision.")
    version.set_defaults(action=api_db_version)

    db = categories.add_parser("db", help="The cell database schema.")
    db_actions = db.add_subparsers(dest="action_name", metavar="ACTION", required=True)
    sync = db_actions.add_parser("sync", help="Create or upgrade cell0's and this cell's schema.")
    sync.add_argument("version", nargs="?", default="heads", help="Revision (default: newest).")
    sync.add_argument(
        "--local_cell", action="store_true", help="Only sync [database] connection, not cell0."
    )
    sync.add_argument(
        "--database_connection", help="Sync this database instead of [database] connection."
    )
    sync.set_defaults(action=db_sync)
    version = db_actions.add_parser("version", help="Print the cell schema revision.")
    version.add_argument(
        "--database_connection", help="Database to inspect instead of [database] connection."
    )
    version.set_defaults(action=db_version)


def _api_url(ctx: ManageContext) -> str:
    url: str | None = ctx.conf.api_database.connection
    if not url:
        raise ConfigError("[api_database] connection is not set in the configuration file.")
    return url


def api_db_sync(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Upgrade the API database to ``version``."""
    migration.upgrade(ctx.databases.engine(_api_url(ctx)), "api", args.version)
    return 0


def api_db_version(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Print the API schema revision (``None`` before the first sync)."""
    ctx.out(str(migration.current(ctx.databases.engine(_api_url(ctx)), "api")))
    return 0


def _local_url(ctx: ManageContext, args: argparse.Namespace) -> str:
    url: str | None = args.database_connection or ctx.conf.database.connection
    if not url:
        raise ConfigError(
            "[database] connection is not set in the configuration file "
            "and --database_connection was not given."
        )
    return url


def db_sync(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Upgrade cell0 (unless ``--local_cell``) and then this cell's database."""
    url = _local_url(ctx, args)
    if not args.local_cell:
        code = _sync_cell0(ctx, args.version)
        if code:
            return code
    migration.upgrade(ctx.databases.engine(url), "main", args.version)
    return 0


def _sync_cell0(ctx: ManageContext, version: str) -> int:
    try:
        with ctx.api() as conn:
            cell0 = cell_mapping.get_by_uuid(conn, cell_mapping.CELL0_UUID, ctx.bases)
        if not cell0.database_connection:
            raise CommandError("cell0 has no database connection")
        migration.upgrade(ctx.databases.engine(cell0.database_connection), "main", version)
    except CellMappingNotFound:
        ctx.out("WARNING: cell0 mapping not found - not syncing cell0.")
    except (CommandError, DatabaseError, ValueError) as exc:
        message = exc.message if isinstance(exc, CommandError) else str(exc)
        ctx.out(CELL0_CHECKLIST.format(error=message))
        return 1
    return 0


def db_version(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Print this cell database's schema revision (``None`` before the first sync)."""
    ctx.out(str(migration.current(ctx.databases.engine(_local_url(ctx, args)), "main")))
    return 0
