"""The server group of a boot, as the scheduler needs it: policy, members and their hosts.

The API records only which group a request joins. At schedule time the super
conductor reads the group again (members may have come and gone) and finds
where its other members run: each member's instance mapping names its cell,
and one query per cell that holds members reads their hosts, all cells at
once. A member in a cell that does not answer makes a hard policy
(``affinity``, ``anti-affinity``) impossible to honour, so the boot fails
rather than risk breaking it; soft policies go ahead without that member.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa

from tessera.cells.targets import CellTargets
from tessera.context import Ok, scatter_gather
from tessera.objects import instance as instances
from tessera.objects import instance_mapping, server_group
from tessera.objects.cell_mapping import CellMapping
from tessera.objects.server_group import ServerGroup, ServerGroupNotFound

LOG = logging.getLogger(__name__)
HARD_POLICIES = ("affinity", "anti-affinity")


class GroupHostsUnknown(Exception):
    """Hosts of a hard-policy group's members could not all be read."""

    def __init__(self, group: str, cells: Collection[str]) -> None:
        super().__init__(
            f"Cannot honour the policy of server group {group}: the hosts of its members "
            f"in cell(s) {', '.join(sorted(cells))} could not be read."
        )


def with_group(
    targets: CellTargets, spec: Mapping[str, Any], uuids: Collection[str], timeout: float
) -> dict[str, Any]:
    """``spec`` with ``instance_group`` filled in for the instances ``uuids`` being scheduled.

    A group deleted since the request was accepted no longer constrains it.
    """
    entry = spec.get("instance_group") or {}
    if not entry.get("uuid"):
        return dict(spec)
    try:
        with targets.api_engine.connect() as conn:
            group = server_group.get(conn, str(entry["uuid"]))
            placed = _cells_of_members(conn, group, uuids)
    except ServerGroupNotFound:
        LOG.info("Server group %s was deleted; scheduling without it", entry["uuid"])
        return {k: v for k, v in spec.items() if k != "instance_group"}
    member_hosts = _hosts(targets, group, placed, timeout)
    return {
        **spec,
        "instance_group": {
            "uuid": group.uuid,
            "policy": group.policy,
            "rules": dict(group.rules),
            "members": list(group.members),
            "hosts": sorted({h for h in member_hosts.values() if h}),
            "member_hosts": member_hosts,
        },
    }


def _cells_of_members(
    conn: sa.Connection, group: ServerGroup, exclude: Collection[str]
) -> dict[int, list[str]]:
    """Cell id -> the group's other members mapped there (unscheduled ones have no host)."""
    others = [u for u in group.members if u not in set(exclude)]
    if not others:
        return {}
    table = instance_mapping.TABLE
    stmt = sa.select(table.c.instance_uuid, table.c.cell_id).where(
        table.c.instance_uuid.in_(others), table.c.cell_id.is_not(None)
    )
    found: dict[int, list[str]] = {}
    for uuid, cell_id in conn.execute(stmt):
        found.setdefault(int(cell_id), []).append(uuid)
    return found


def _hosts(
    targets: CellTargets, group: ServerGroup, placed: dict[int, list[str]], timeout: float
) -> dict[str, str | None]:
    """Member uuid -> host (None: on no host, e.g. buried in cell0), for live members."""
    if not placed:
        return {}
    cells = [c for c in targets.cells() if c.id in placed]

    def read(cell: CellMapping) -> dict[str, str | None]:
        table = instances.TABLE
        stmt = sa.select(table.c.uuid, table.c.host).where(
            table.c.uuid.in_(placed[cell.id]), table.c.deleted == 0
        )
        with targets.engine(cell).connect() as conn:
            return {uuid: host for uuid, host in conn.execute(stmt)}

    results = scatter_gather(cells, lambda c: c.uuid, read, timeout)
    found: dict[str, str | None] = {}
    failed: list[str] = []
    for cell in cells:
        outcome = results[cell.uuid]
        if isinstance(outcome, Ok):
            found.update(outcome.value)
        else:
            failed.append(cell.identity)
    if failed and group.policy in HARD_POLICIES:
        raise GroupHostsUnknown(group.uuid, failed)
    if failed:
        LOG.warning("Group %s: members of cells %s not weighed", group.uuid, failed)
    return found
