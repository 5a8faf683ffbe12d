"""``cell_v2`` actions on cell mappings: create, list, update, delete, cell0 setup."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from tessera.db.engines import parse_url
from tessera.manage import cell_setup, transport
from tessera.manage.cell_setup import cell0_url_from, ensure_cell0
from tessera.manage.context import ManageContext
from tessera.manage.errors import CommandError
from tessera.manage.output import table
from tessera.objects import cell_mapping, compute_node, host_mapping, instance, instance_mapping
from tessera.urls import template
from tessera.urls.mask import mask_password


def register(actions: Any) -> None:
    """Add the cell-mapping actions to the ``cell_v2`` parser."""
    p = actions.add_parser("map_cell0", help="Create the cell0 mapping.")
    p.add_argument(
        "--database_connection",
        help="cell0's database URL (default: derived "
        "from [database] connection with _cell0 appended to the database name).",
    )
    p.set_defaults(action=map_cell0)

    p = actions.add_parser("simple_cell_setup", help="Map cell0, this cell and its hosts.")
    p.add_argument("--transport-url", dest="transport_url")
    p.set_defaults(action=cell_setup.simple_cell_setup)

    p = actions.add_parser("map_cell_and_hosts", help="Map this cell and its hosts.")
    p.add_argument("--transport-url", dest="transport_url")
    p.add_argument("--name")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(action=cell_setup.map_cell_and_hosts)

    p = actions.add_parser("create_cell", help="Create a cell mapping.")
    p.add_argument("--name")
    p.add_argument("--transport-url", dest="transport_url")
    p.add_argument("--database_connection")
    p.add_argument("--verbose", action="store_true", help="Print the new cell's uuid.")
    p.add_argument("--disabled", action="store_true", help="Create the cell disabled.")
    p.set_defaults(action=create_cell)

    p = actions.add_parser("list_cells", help="List cell mappings.")
    p.add_argument("--verbose", action="store_true", help="Show passwords in URLs.")
    p.set_defaults(action=list_cells)

    p = actions.add_parser("update_cell", help="Change a cell mapping.")
    p.add_argument("--cell_uuid", required=True)
    p.add_argument("--name")
    p.add_argument("--transport-url", dest="transport_url")
    p.add_argument("--database_connection")
    p.add_argument("--disable", action="store_true")
    p.add_argument("--enable", action="store_true")
    p.set_defaults(action=update_cell)

    p = actions.add_parser("delete_cell", help="Delete an empty cell mapping.")
    p.add_argument("--cell_uuid", required=True)
    p.add_argument(
        "--force",
        action="store_true",
        help="Also delete host mappings and mappings of deleted instances.",
    )
    p.set_defaults(action=delete_cell)


def map_cell0(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Create the cell0 mapping (0 whether created now or before)."""
    url = args.database_connection
    if not url:
        local = ctx.conf.database.connection
        if not local:
            raise CommandError(
                "Must specify --database_connection if [database]/connection "
                "is not set in the configuration file."
            )
        url = cell0_url_from(local)
    ensure_cell0(ctx, url)
    return 0


def _resolve_database(ctx: ManageContext, flag: str | None) -> str:
    if flag:
        return str(flag)
    url: str | None = ctx.conf.database.connection
    if not url:
        raise CommandError(
            "Must specify --database_connection if [database]/connection is "
            "not set in the configuration file."
        )
    ctx.out(
        "--database_connection not provided in the command line, using the value "
        "[database]/connection from the configuration file"
    )
    return url


def _expanded_database(ctx: ManageContext, url: str) -> str:
    """Expand and parse a database URL given on the command line (one-line error if bad)."""
    expanded = template.expand(
        url,
        ctx.conf.database.connection,
        cell="(new)",
        option="database_connection",
        base_option="[database] connection",
    )
    parse_url(expanded or "")
    return expanded or ""


def _expanded_transport(ctx: ManageContext, url: str) -> str:
    return (
        template.expand(
            url,
            ctx.conf.transport_url,
            cell="(new)",
            option="transport_url",
            base_option="[DEFAULT] transport_url",
        )
        or ""
    )


def create_cell(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Create a cell: 0 created, 1 missing/invalid URL, 2 URLs already used by a cell."""
    transport_url = transport.resolve(ctx, args.transport_url)
    if transport_url is None:
        return 1
    database = _resolve_database(ctx, args.database_connection)
    expanded_db = _expanded_database(ctx, database)
    with ctx.api() as conn:
        cells = cell_mapping.get_all(conn, ctx.bases)
        clash = cell_mapping.find_duplicate(
            cells, _expanded_transport(ctx, transport_url), expanded_db
        )
        if clash is not None:
            ctx.out(
                "The specified transport_url and/or database_connection combination "
                f"already exists for another cell with uuid {clash.uuid}."
            )
            return 2
        uuid = cell_mapping.create(
            conn,
            name=args.name,
            transport_url=transport_url,
            database_connection=database,
            disabled=args.disabled,
        )
    if args.verbose:
        ctx.out(uuid)
    return 0


def list_cells(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Print every cell, passwords masked unless ``--verbose``."""
    with ctx.api() as conn:
        cells = cell_mapping.get_all(conn, ctx.bases)
    show = (lambda url: url) if args.verbose else mask_password
    rows = [
        (c.name or "", c.uuid, show(c.transport_url), show(c.database_connection), c.disabled)
        for c in sorted(cells, key=lambda c: c.name or "")
    ]
    ctx.out(table(["Name", "UUID", "Transport URL", "Database Connection", "Disabled"], rows))
    return 0


def _update_values(ctx: ManageContext, args: argparse.Namespace) -> dict[str, object]:
    # Only what the operator passed changes: nothing is taken from the config.
    values: dict[str, object] = {}
    if args.name:
        values["name"] = args.name
    if args.transport_url:
        if not transport.validate(ctx, args.transport_url):
            raise CommandError("", 1)
        values["transport_url"] = args.transport_url
    if args.database_connection:
        _expanded_database(ctx, args.database_connection)
        values["database_connection"] = args.database_connection
    return values


def update_cell(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Change a cell; exit codes 0-5 as documented in docs/tessera-manage.md."""
    cell = ctx.cell(args.cell_uuid)
    values = _update_values(ctx, args)
    with ctx.api() as conn:
        cells = cell_mapping.get_all(conn, ctx.bases)
    new_transport = _expanded_transport(ctx, args.transport_url) if args.transport_url else None
    new_db = _expanded_database(ctx, args.database_connection) if args.database_connection else None
    clash = cell_mapping.find_duplicate(cells, new_transport, new_db, exclude=cell.uuid)
    if clash is not None:
        ctx.out(
            "The specified transport_url and/or database_connection combination "
            f"already exists for another cell with uuid {clash.uuid}."
        )
        return 3
    code = _toggle(ctx, args, cell, values)
    if code:
        return code
    try:
        with ctx.api() as conn:
            cell_mapping.update(conn, cell.uuid, values)
    except SQLAlchemyError as exc:
        ctx.out(f"Unable to update CellMapping: {str(exc).splitlines()[0]}")
        return 2
    return 0


def _toggle(
    ctx: ManageContext,
    args: argparse.Namespace,
    cell: cell_mapping.CellMapping,
    values: dict[str, object],
) -> int:
    if args.disable and args.enable:
        ctx.out("Cell cannot be disabled and enabled at the same time.")
        return 4
    if (args.disable or args.enable) and cell.is_cell0:
        ctx.out("Cell0 cannot be disabled.")
        return 5
    if args.disable:
        if cell.disabled:
            ctx.out(f"Cell {cell.uuid} is already disabled")
        values["disabled"] = True
    if args.enable:
        if not cell.disabled:
            ctx.out(f"Cell {cell.uuid} is already enabled")
        values["disabled"] = False
    return 0


def delete_cell(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Delete a cell mapping; 0-4 as documented (never while live instances remain)."""
    cell = ctx.cell(args.cell_uuid)
    with ctx.api() as conn:
        hosts = host_mapping.count_by_cell(conn, cell.id)
        mapped_instances = instance_mapping.count_by_cell(conn, cell.id)
    if hosts and not args.force:
        ctx.out(f"There are existing hosts mapped to cell with uuid {cell.uuid}.")
        return 2
    if mapped_instances:
        code = _check_instances_gone(ctx, cell, args.force)
        if code:
            return code
    if hosts:
        _reset_cell_nodes(ctx, cell)
    with ctx.api() as conn:
        instance_mapping.delete_by_cell(conn, cell.id)
        host_mapping.delete_by_cell(conn, cell.id)
        cell_mapping.delete(conn, cell.uuid)
    return 0


def _check_instances_gone(ctx: ManageContext, cell: cell_mapping.CellMapping, force: bool) -> int:
    with ctx.cell_engine(cell).connect() as conn:
        live = instance.count_live(conn)
    if live:
        ctx.out(f"There are existing instances mapped to cell with uuid {cell.uuid}.")
        return 3
    if not force:
        ctx.out(
            f"There are instance mappings to cell with uuid {cell.uuid}, but all "
            "instances have been deleted in the cell."
        )
        ctx.out(
            "So execute 'tessera-manage db archive_deleted_rows' to delete the instance mappings."
        )
        return 4
    return 0


def _reset_cell_nodes(ctx: ManageContext, cell: cell_mapping.CellMapping) -> None:
    # Runs before any mapping is deleted: if the cell database is unreachable the
    # command stops with nothing changed.
    with ctx.cell_engine(cell).begin() as conn:
        compute_node.reset_mapped(conn)
