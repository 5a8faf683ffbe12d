"""Server tags in a cell database: short strings attached to an instance.

Tags are not soft-deleted: they are removed when their instance is deleted.
A server has at most :data:`MAX_TAG_COUNT` tags of at most
:data:`MAX_TAG_LENGTH` characters, none empty and none containing ``,`` or
``/`` (listing filters take comma-separated tags; ``/`` would split a URL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from tessera.db.main import models
from tessera.db.types import table_of

TABLE = table_of(models.Tag)
INSTANCES = table_of(models.Instance)

MAX_TAG_COUNT = 50
MAX_TAG_LENGTH = 60
FORBIDDEN = (",", "/")

# JSON Schema of one tag (the REST schemas share it).
TAG_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_TAG_LENGTH,
    "pattern": "^[^,/]*$",
}


class TagLimitExceeded(Exception):
    """A server would have more than :data:`MAX_TAG_COUNT` tags."""

    def __init__(self) -> None:
        super().__init__(f"The number of tags exceeded the per-server limit {MAX_TAG_COUNT}")


def invalid(tag: str) -> str | None:
    """Why ``tag`` is not acceptable, or None when it is."""
    if not tag:
        return "it is empty"
    if len(tag) > MAX_TAG_LENGTH:
        return f"it is longer than {MAX_TAG_LENGTH} characters"
    if any(ch in tag for ch in FORBIDDEN):
        return "it contains ',' or '/'"
    return None


def unique(tags: Iterable[str]) -> list[str]:
    """``tags`` without repeats, first occurrence kept."""
    return list(dict.fromkeys(tags))


def get_for_instance(conn: sa.Connection, uuid: str) -> list[str]:
    """The tags of instance ``uuid``, sorted (empty when it has none)."""
    stmt = sa.select(TABLE.c.tag).where(TABLE.c.resource_id == uuid).order_by(TABLE.c.tag)
    return list(conn.execute(stmt).scalars())


def get_for_instances(conn: sa.Connection, uuids: Sequence[str]) -> dict[str, list[str]]:
    """Tags of several instances in one query: uuid -> sorted tags (absent: none)."""
    found: dict[str, list[str]] = defaultdict(list)
    if not uuids:
        return found
    stmt = (
        sa.select(TABLE.c.resource_id, TABLE.c.tag)
        .where(TABLE.c.resource_id.in_(list(uuids)))
        .order_by(TABLE.c.resource_id, TABLE.c.tag)
    )
    for uuid, tag in conn.execute(stmt):
        found[uuid].append(tag)
    return dict(found)


def exists(conn: sa.Connection, uuid: str, tag: str) -> bool:
    """Whether instance ``uuid`` has ``tag``."""
    stmt = sa.select(TABLE.c.tag).where(TABLE.c.resource_id == uuid, TABLE.c.tag == tag)
    return conn.execute(stmt).first() is not None


def create_many(conn: sa.Connection, uuid: str, tags: Iterable[str]) -> None:
    """Attach ``tags`` to a new instance (repeats written once)."""
    rows = [{"resource_id": uuid, "tag": t} for t in unique(tags)]
    if rows:
        conn.execute(sa.insert(TABLE), rows)


def add(conn: sa.Connection, uuid: str, tag: str) -> bool:
    """Attach ``tag``; False if the instance had it already.

    Call it with the instance row locked (:func:`lock_instance_state`) so that
    concurrent additions cannot pass the limit together.
    """
    current = get_for_instance(conn, uuid)
    if tag in current:
        return False
    if len(current) >= MAX_TAG_COUNT:
        raise TagLimitExceeded()
    conn.execute(sa.insert(TABLE).values(resource_id=uuid, tag=tag))
    return True


def replace(conn: sa.Connection, uuid: str, tags: Iterable[str]) -> list[str]:
    """Make ``tags`` the instance's only tags; return them as stored (sorted)."""
    wanted = unique(tags)
    if len(wanted) > MAX_TAG_COUNT:
        raise TagLimitExceeded()
    delete_all(conn, uuid)
    create_many(conn, uuid, wanted)
    return sorted(wanted)


def delete(conn: sa.Connection, uuid: str, tag: str) -> bool:
    """Detach ``tag``; False if the instance did not have it."""
    result = conn.execute(sa.delete(TABLE).where(TABLE.c.resource_id == uuid, TABLE.c.tag == tag))
    return result.rowcount > 0


def delete_all(conn: sa.Connection, uuid: str) -> None:
    """Detach every tag of instance ``uuid`` (when it is deleted, or replaced)."""
    conn.execute(sa.delete(TABLE).where(TABLE.c.resource_id == uuid))


def lock_instance_state(conn: sa.Connection, uuid: str, lock: bool = True) -> str | None:
    """The live instance's vm_state ('' when unset), None if it is gone.

    With ``lock`` the row stays locked for the transaction: tag changes of one
    server are serialized on it, so the count limit holds under concurrent
    requests. The lock is a no-op UPDATE rather than ``SELECT ... FOR UPDATE``:
    SQLite ignores the latter and only serializes transactions from their
    first write; an UPDATE locks the row on every backend.
    """
    live = (INSTANCES.c.uuid == uuid, INSTANCES.c.deleted == 0)
    if lock:
        # Both columns set to themselves: no change, and ``updated_at`` is kept.
        same = {"vm_state": INSTANCES.c.vm_state, "updated_at": INSTANCES.c.updated_at}
        conn.execute(sa.update(INSTANCES).where(*live).values(**same))
    row = conn.execute(sa.select(INSTANCES.c.vm_state).where(*live)).first()
    return None if row is None else str(row.vm_state or "")
