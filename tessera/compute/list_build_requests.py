"""Servers not yet in a cell (build requests), listed ahead of every cell's servers.

They live as serialized instances in the API database, so they are filtered
and sorted in Python, with the same filters and order as the cells' SQL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import sqlalchemy as sa

from tessera.compute.api import ServerView
from tessera.compute.list_filters import matches
from tessera.compute.list_order import Listed, by_position, position
from tessera.compute.list_sql import CellScan
from tessera.objects import build_request
from tessera.objects.instance import Instance

LOG = logging.getLogger(__name__)
TABLE = build_request.TABLE


def listed(conn: sa.Connection, scan: CellScan) -> list[Listed]:
    """Build requests passing ``scan``'s filters, in its order."""
    stmt = sa.select(TABLE.c.instance_uuid, TABLE.c.instance, TABLE.c.tags)
    if scan.project_id is not None:
        stmt = stmt.where(TABLE.c.project_id == scan.project_id)
    found = []
    for uuid, raw, raw_tags in conn.execute(stmt):
        record = _instance(uuid, raw)
        if record is None:
            continue
        tags = _tags(uuid, raw_tags)
        if matches(scan.filters, record.values, scan.project_id, tags):
            view = ServerView(record, tags=tags)
            found.append(Listed(position(record.values, scan.order), view, None))
    return sorted(found, key=by_position)


def _tags(uuid: str, raw: str | None) -> list[str]:
    """The tags a build request asks for, sorted (none when unreadable)."""
    try:
        return sorted({str(t) for t in json.loads(raw or "[]")})
    except (ValueError, TypeError):
        LOG.warning("Build request %s holds unreadable tags; listed without them", uuid)
        return []


def _instance(uuid: str, raw: str | None) -> Instance | None:
    try:
        record = Instance.from_dict(json.loads(raw or "{}"))
    except (ValueError, KeyError, TypeError):
        # One unreadable request must not break everyone's listing.
        LOG.warning("Build request %s holds no readable instance; not listed", uuid)
        return None
    return Instance({**record.values, "uuid": uuid}, record.flavor, record.metadata)


def after_marker(items: Sequence[Listed], marker: str | None) -> tuple[list[Listed], bool]:
    """The items after ``marker`` and whether it was one of them.

    Build requests come first, so a marker among them means the cells are
    listed from their start; a marker elsewhere means every build request was
    on earlier pages.
    """
    if marker is None:
        return list(items), False
    for index, item in enumerate(items):
        if item.uuid == marker:
            return list(items[index + 1 :]), True
    return [], False
