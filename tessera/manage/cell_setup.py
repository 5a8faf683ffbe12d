"""``simple_cell_setup`` and ``map_cell_and_hosts``: map this host's cell in one go."""

from __future__ import annotations

import argparse

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tessera.cells import instance_backfill
from tessera.db import migration
from tessera.db.errors import DatabaseError
from tessera.manage import transport
from tessera.manage.context import ManageContext
from tessera.manage.errors import ConfigError
from tessera.objects import cell_mapping, compute_node, host_mapping
from tessera.objects.cell_mapping import CellMapping
from tessera.urls.mask import mask_password


def cell0_url_from(connection: str) -> str:
    """cell0's database URL derived from this cell's: ``<database>_cell0``.

    Only the database name changes; driver and query stay as the operator wrote
    them. A SQLite file keeps its extension (``x.db`` -> ``x_cell0.db``).
    """
    try:
        url = sa.make_url(connection)
    except (sa.exc.ArgumentError, ValueError):
        url = None
    if url is None or not url.database:
        raise ConfigError(f"Cannot derive a cell0 database from {mask_password(connection)!r}.")
    database = url.database
    stem, dot, ext = database.rpartition(".")
    if url.get_backend_name() == "sqlite" and dot and "/" not in ext:
        database = f"{stem}_cell0.{ext}"
    else:
        database = f"{database}_cell0"
    return url.set(database=database).render_as_string(hide_password=False)


def ensure_cell0(ctx: ManageContext, url: str) -> cell_mapping.CellMapping:
    """Create the cell0 mapping with ``url`` unless it exists; return it."""
    try:
        with ctx.api() as conn:
            cell_mapping.create(
                conn,
                uuid=cell_mapping.CELL0_UUID,
                name=cell_mapping.CELL0_NAME,
                transport_url=cell_mapping.CELL0_TRANSPORT_URL,
                database_connection=url,
            )
    except IntegrityError:
        ctx.out("Cell0 is already setup")
    return ctx.cell(cell_mapping.CELL0_UUID)


def simple_cell_setup(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Map cell0 (and sync it), this cell and its hosts, then its instances."""
    transport_url = transport.resolve(ctx, args.transport_url)
    if transport_url is None:
        return 1
    local = ctx.conf.database.connection
    if not local:
        raise ConfigError("[database] connection is not set in the configuration file.")
    cell0 = ensure_cell0(ctx, cell0_url_from(local))
    try:
        migration.upgrade(ctx.databases.engine(cell0.database_connection or ""), "main")
    except (DatabaseError, sa.exc.SQLAlchemyError) as exc:
        ctx.out(f"Unable to sync cell0 schema: {str(exc).splitlines()[0]}")
    cell = _map_cell_and_hosts(ctx, transport_url, name=None, verbose=False)
    if cell is None:
        return 1
    instance_backfill.backfill(ctx.api_engine(), ctx.local_engine(), cell.id)
    return 0


def map_cell_and_hosts(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Map this cell (``[database] connection``) and its hosts; 1 if nothing to map."""
    transport_url = transport.resolve(ctx, args.transport_url)
    if transport_url is None:
        return 1
    cell = _map_cell_and_hosts(ctx, transport_url, name=args.name, verbose=args.verbose)
    if cell is None:
        return 1
    if args.verbose:
        ctx.out(cell.uuid)
    return 0


def _map_cell_and_hosts(
    ctx: ManageContext, transport_url: str, *, name: str | None, verbose: bool
) -> CellMapping | None:
    with ctx.local_engine().connect() as conn:
        hosts = sorted(
            {
                row.host
                for row in conn.execute(
                    sa.select(compute_node.TABLE.c.host).where(compute_node.TABLE.c.deleted == 0)
                )
            }
        )
    if not hosts:
        ctx.out("No hosts found to map to cell, exiting.")
        return None
    with ctx.api() as conn:
        known = host_mapping.cells_of_hosts(conn, hosts)
        if verbose:
            for host, owner in known.items():
                ctx.out(f"Host {host} is already mapped to cell {_uuid_of(conn, ctx, owner)}")
        if len(known) == len(hosts):
            ctx.out("All hosts are already mapped to cell(s).")
        # Reuse the cell of an already-mapped host (the last one seen), as the reference does.
        cell_id = list(known.values())[-1] if known else None
        if cell_id is None:
            uuid = cell_mapping.create(
                conn,
                name=name,
                transport_url=transport_url,
                database_connection=ctx.conf.database.connection,
            )
            cell_id = cell_mapping.get_by_uuid(conn, uuid, ctx.bases).id
        host_mapping.create_many(conn, cell_id, [h for h in hosts if h not in known])
        return cell_mapping.get_by_id(conn, cell_id, ctx.bases)


def _uuid_of(conn: sa.Connection, ctx: ManageContext, cell_id: int) -> str:
    return cell_mapping.get_by_id(conn, cell_id, ctx.bases).uuid
