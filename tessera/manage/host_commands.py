"""``cell_v2`` actions on host mappings: discover, list and delete hosts."""

from __future__ import annotations

import argparse
from typing import Any

from tessera.cells import host_discovery
from tessera.manage import progress
from tessera.manage.context import ManageContext
from tessera.manage.output import table
from tessera.objects import cell_mapping, compute_node, host_mapping, instance
from tessera.objects.errors import HostMappingNotFound


def register(actions: Any) -> None:
    """Add the host actions to the ``cell_v2`` parser."""
    p = actions.add_parser("discover_hosts", help="Map unmapped compute hosts to their cells.")
    p.add_argument("--cell_uuid", help="Only this cell (default: every cell but cell0).")
    p.add_argument("--verbose", action="store_true")
    p.add_argument(
        "--strict", action="store_true", help="Exit 1 unless at least one new host was mapped."
    )
    p.add_argument(
        "--by-service",
        dest="by_service",
        action="store_true",
        help="Map hosts of compute services, not of compute nodes.",
    )
    p.set_defaults(action=discover_hosts)

    p = actions.add_parser("list_hosts", help="List host mappings.")
    p.add_argument("--cell_uuid", help="Only hosts of this cell.")
    p.set_defaults(action=list_hosts)

    p = actions.add_parser("delete_host", help="Delete a host mapping.")
    p.add_argument("--cell_uuid", required=True)
    p.add_argument("--host", required=True)
    p.set_defaults(action=delete_host)


def _cells_to_scan(
    ctx: ManageContext,
    args: argparse.Namespace,
) -> list[cell_mapping.CellMapping]:
    if args.cell_uuid:
        return [ctx.cell(args.cell_uuid)]
    with ctx.api() as conn:
        cells = cell_mapping.get_all(conn, ctx.bases)
    if args.verbose:
        ctx.out(f"Found {len(cells)} cell mappings.")
    return cells


def discover_hosts(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Map new hosts of every cell; with ``--strict``, 1 if none was new."""
    say = ctx.out if args.verbose else host_discovery.quiet
    created = 0
    cells = _cells_to_scan(ctx, args)
    with progress.bar(len(cells), "cell") as advance:
        for cell in cells:
            if cell.is_cell0:
                say("Skipping cell0 since it does not contain hosts.")
            else:
                created += len(_discover_cell(ctx, cell, args.by_service, say).created)
            if advance:
                advance(1)
    return 1 if args.strict and not created else 0


def _discover_cell(
    ctx: ManageContext, cell: cell_mapping.CellMapping, by_service: bool, say: host_discovery.Say
) -> host_discovery.CellDiscovery:
    api, cell_db = ctx.api_engine(), ctx.cell_engine(cell)
    if by_service:
        return host_discovery.discover_by_service(api, cell_db, cell, say=say)
    result = host_discovery.discover_in_cell(api, cell_db, cell, say=say)
    for host in result.foreign:
        say(f"Host {host} of cell {cell.uuid} is mapped to another cell; left alone.")
    return result


def list_hosts(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Print host mappings (all, or one cell's) sorted by host name."""
    cell_id = ctx.cell(args.cell_uuid).id if args.cell_uuid else None
    with ctx.api() as conn:
        mappings = host_mapping.get_all(conn, ctx.bases, cell_id)
    rows = [(m.cell.name or "", m.cell.uuid, m.host) for m in mappings]
    ctx.out(table(["Cell Name", "Cell UUID", "Hostname"], rows))
    return 0


def delete_host(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Delete a host mapping: 0 done, 1 no cell, 2 no mapping, 3 other cell, 4 in use."""
    cell = ctx.cell(args.cell_uuid)
    try:
        with ctx.api() as conn:
            mapping = host_mapping.get_by_host(conn, args.host, ctx.bases)
    except HostMappingNotFound:
        ctx.out(f"The host {args.host} was not found.")
        return 2
    if mapping.cell.uuid != cell.uuid:
        ctx.out(f"The host {args.host} was not found in the cell {cell.uuid}.")
        return 3
    with ctx.cell_engine(cell).begin() as conn:
        if instance.count_live(conn, host=args.host):
            ctx.out(f"There are instances on the host {args.host}.")
            return 4
        compute_node.reset_mapped(conn, host=args.host)
    with ctx.api() as conn:
        host_mapping.delete(conn, args.host)
    return 0
