"""``cell_v2`` actions on instance mappings: backfill and verify."""

from __future__ import annotations

import argparse
from typing import Any

from tessera.cells import instance_backfill
from tessera.manage import progress
from tessera.manage.context import ManageContext
from tessera.manage.errors import CommandError
from tessera.objects import instance, instance_mapping
from tessera.objects.errors import InstanceMappingNotFound

BAD_MAX_COUNT = 127


def register(actions: Any) -> None:
    """Add the instance actions to the ``cell_v2`` parser."""
    p = actions.add_parser("map_instances", help="Map a cell's instances to it.")
    p.add_argument("--cell_uuid", required=True)
    p.add_argument(
        "--max-count", dest="max_count", help="Map at most this many, then exit 1 if more remain."
    )
    p.add_argument("--reset", action="store_true", help="Ignore the saved resume cursor.")
    p.set_defaults(action=map_instances)

    p = actions.add_parser("verify_instance", help="Show which cell an instance is in.")
    p.add_argument("--uuid", required=True)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(action=verify_instance)


def _max_count(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise CommandError("Must supply a positive value for max-count", BAD_MAX_COUNT)
    return value


def map_instances(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Map the cell's instances: 0 all mapped, 1 more remain, 127 bad ``--max-count``."""
    max_count = _max_count(args.max_count)
    cell = ctx.cell(args.cell_uuid)
    api, cell_db = ctx.api_engine(), ctx.cell_engine(cell)
    with cell_db.connect() as conn:
        total = instance.count_all(conn) if max_count is None else max_count
    with progress.bar(total, "instance") as advance:
        result = instance_backfill.backfill(
            api, cell_db, cell.id, max_count=max_count, reset=args.reset, progress=advance
        )
    return 1 if result.more else 0


def verify_instance(ctx: ManageContext, args: argparse.Namespace) -> int:
    """Say which cell holds the instance: 0 found, 1-4 as the reference's table."""
    say = (lambda _m: None) if args.quiet else ctx.out
    uuid = args.uuid
    try:
        with ctx.api() as conn:
            mapping = instance_mapping.get_by_instance_uuid(conn, uuid, ctx.bases)
    except InstanceMappingNotFound:
        say(
            f"Instance {uuid} is not mapped to a cell (upgrade is incomplete) or instance "
            "does not exist"
        )
        return 1
    if mapping.cell is None:
        say(f"Instance {uuid} is not mapped to a cell")
        return 2
    with ctx.cell_engine(mapping.cell).connect() as conn:
        ref = instance.get_ref(conn, uuid)
    if ref is None:
        say(f"The instance with uuid {uuid} has been archived.")
        say("However its instance_mapping remains.")
        return 4
    if ref.deleted:
        say(f"The instance with uuid {uuid} has been deleted.")
        say(
            "Execute 'tessera-manage db archive_deleted_rows' command to archive this "
            "deleted instance and remove its instance_mapping."
        )
        return 3
    say(f"Instance {uuid} is in cell: {mapping.cell.name} ({mapping.cell.uuid})")
    return 0
