"""Server groups in the API database: a policy placing member servers on hosts.

One group has exactly one policy (older clients send it as a one-item list)
and, for ``anti-affinity``, optionally ``max_server_per_host``.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tessera.db.api import models
from tessera.db.types import table_of
from tessera.objects.errors import NotFound

GROUPS = table_of(models.InstanceGroup)
POLICIES = table_of(models.InstanceGroupPolicy)
MEMBERS = table_of(models.InstanceGroupMember)
MAPPINGS = table_of(models.InstanceMapping)

POLICY_NAMES = ("affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity")


class ServerGroupNotFound(NotFound):
    def __init__(self, uuid: str) -> None:
        super().__init__(f"Instance group {uuid} could not be found.")


@dataclass(frozen=True)
class ServerGroup:
    """One server group with its policy and members."""

    id: int
    """Row id."""
    uuid: str
    """Public id."""
    name: str
    """Free text, not unique."""
    project_id: str
    """The owning project (only it and admins see the group)."""
    user_id: str
    """The user who created it."""
    policy: str
    """One of :data:`POLICY_NAMES`."""
    rules: Mapping[str, Any] = field(default_factory=dict)
    """Policy rules, e.g. ``{"max_server_per_host": 2}``."""
    members: tuple[str, ...] = ()
    """Uuids of the member servers."""


def create(
    conn: sa.Connection,
    project_id: str,
    user_id: str,
    name: str,
    policy: str,
    rules: Mapping[str, Any],
) -> ServerGroup:
    """Store a new empty group."""
    uuid = str(uuidlib.uuid4())
    result = conn.execute(
        sa.insert(GROUPS).values(uuid=uuid, name=name, project_id=project_id, user_id=user_id)
    )
    key = result.inserted_primary_key
    assert key is not None
    group_id = int(key[0])
    conn.execute(
        sa.insert(POLICIES).values(
            group_id=group_id, policy=policy, rules=json.dumps(dict(rules)) if rules else None
        )
    )
    return get(conn, uuid)


def _assemble(conn: sa.Connection, rows: list[sa.Row[Any]]) -> list[ServerGroup]:
    ids = [r.id for r in rows]
    if not ids:
        return []
    policies: dict[int, tuple[str, dict[str, Any]]] = {}
    for row in conn.execute(sa.select(POLICIES).where(POLICIES.c.group_id.in_(ids))):
        policies[row.group_id] = (row.policy, json.loads(row.rules) if row.rules else {})
    members: dict[int, list[str]] = {i: [] for i in ids}
    # Members whose deletion was asked for (or whose mapping is gone) are not shown,
    # as the reference shows only servers that are not deleted.
    live = MAPPINGS.c.instance_uuid == MEMBERS.c.instance_uuid
    stmt = (
        sa.select(MEMBERS.c.group_id, MEMBERS.c.instance_uuid)
        .join(MAPPINGS, live)
        .where(MEMBERS.c.group_id.in_(ids), MAPPINGS.c.queued_for_delete.is_not(True))
        .order_by(MEMBERS.c.id)
    )
    for row in conn.execute(stmt):
        members[row.group_id].append(row.instance_uuid)
    return [
        ServerGroup(
            id=r.id,
            uuid=r.uuid,
            name=r.name or "",
            project_id=r.project_id or "",
            user_id=r.user_id or "",
            policy=policies.get(r.id, ("", {}))[0],
            rules=policies.get(r.id, ("", {}))[1],
            members=tuple(members[r.id]),
        )
        for r in rows
    ]


def get(conn: sa.Connection, uuid: str) -> ServerGroup:
    """The group ``uuid`` (ServerGroupNotFound if absent)."""
    rows = list(conn.execute(sa.select(GROUPS).where(GROUPS.c.uuid == uuid)))
    if not rows:
        raise ServerGroupNotFound(uuid)
    return _assemble(conn, rows)[0]


def get_all(
    conn: sa.Connection,
    project_id: str | None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ServerGroup]:
    """Groups of ``project_id`` (of every project when None), oldest first."""
    stmt = sa.select(GROUPS).order_by(GROUPS.c.id).offset(offset)
    if project_id is not None:
        stmt = stmt.where(GROUPS.c.project_id == project_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return _assemble(conn, list(conn.execute(stmt)))


def delete(conn: sa.Connection, uuid: str) -> None:
    """Remove the group, its policy and its member list."""
    group = get(conn, uuid)
    # Delete children explicitly: SQLite does not enforce ON DELETE CASCADE by default.
    conn.execute(sa.delete(MEMBERS).where(MEMBERS.c.group_id == group.id))
    conn.execute(sa.delete(POLICIES).where(POLICIES.c.group_id == group.id))
    conn.execute(sa.delete(GROUPS).where(GROUPS.c.id == group.id))
