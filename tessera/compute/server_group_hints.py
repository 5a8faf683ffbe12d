"""The ``group`` scheduler hint of a create: which group, and joining it.

The group must exist and belong to the caller's project (admins may name any
group); anything else reads as "not found", so group ids of other projects
cannot be probed. The new servers join the group in the same API-database
transaction that records them, within the ``server_group_members`` quota.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from tessera.context import RequestContext
from tessera.objects import quota, server_group
from tessera.objects.server_group import MEMBERS, ServerGroup, ServerGroupNotFound

MAPPINGS = quota.MAPPINGS


class GroupNotFound(Exception):
    """The hinted group does not exist or is another project's (HTTP 400)."""

    def __init__(self, uuid: str) -> None:
        super().__init__(f"Instance group {uuid} could not be found.")


class GroupFull(Exception):
    """The group would hold more of the user's servers than the quota allows (HTTP 403)."""

    def __init__(self) -> None:
        super().__init__("Quota exceeded, too many servers in group")


def resolve(conn: sa.Connection, ctx: RequestContext, uuid: str) -> ServerGroup:
    """The group ``uuid`` as the caller may use it; GroupNotFound otherwise."""
    try:
        group = server_group.get(conn, uuid)
    except ServerGroupNotFound:
        raise GroupNotFound(uuid) from None
    if not ctx.is_admin and group.project_id != ctx.project_id:
        raise GroupNotFound(uuid)
    return group


def spec_entry(group: ServerGroup) -> dict[str, Any]:
    """What the request spec records of the group (members and hosts come at schedule time)."""
    return {"uuid": group.uuid, "policy": group.policy, "rules": dict(group.rules)}


def _members_of_user(conn: sa.Connection, group_id: int, user_id: str) -> int:
    """Live servers of ``user_id`` in the group (the quota counts per user)."""
    stmt = (
        sa.select(sa.func.count())
        .select_from(MEMBERS)
        .join(MAPPINGS, MAPPINGS.c.instance_uuid == MEMBERS.c.instance_uuid)
        .where(
            MEMBERS.c.group_id == group_id,
            MAPPINGS.c.user_id == user_id,
            MAPPINGS.c.queued_for_delete.is_(False),
        )
    )
    return int(conn.execute(stmt).scalar_one())


def add_members(
    conn: sa.Connection, group: ServerGroup, project_id: str, user_id: str, uuids: Sequence[str]
) -> None:
    """Make ``uuids`` members of ``group``; GroupFull past ``server_group_members``."""
    limit = quota.limits(conn, project_id)["server_group_members"]
    if limit != quota.UNLIMITED and _members_of_user(conn, group.id, user_id) + len(uuids) > limit:
        raise GroupFull()
    conn.execute(sa.insert(MEMBERS), [{"group_id": group.id, "instance_uuid": u} for u in uuids])
