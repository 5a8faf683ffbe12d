"""Listing filters evaluated in Python: on build requests, and the exact name test on rows.

The SQL form of the same filters is in :mod:`tessera.compute.list_sql`; both
read :class:`~tessera.compute.list_query.ServerFilters` so they cannot drift.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Collection, Mapping
from typing import Any

from tessera.compute.list_query import InvalidListQuery, ServerFilters, StateMatch

# Characters that give a regular expression a meaning beyond its literal text.
_SPECIAL = frozenset(".^$*+?{}[]\\|()")


@functools.lru_cache(maxsize=256)
def name_regex(pattern: str) -> re.Pattern[str]:
    """The compiled name filter; InvalidListQuery when it is not a valid expression."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InvalidListQuery(f"Invalid regular expression for name: {exc}") from None


def like_prefilter(pattern: str) -> tuple[str, bool] | None:
    """``(text, anchored)`` every name matching ``pattern`` contains (or starts with).

    Only for plain-text patterns, optionally anchored with ``^``; any other
    expression gets no SQL prefilter and is tested in Python alone. LIKE is
    case-insensitive on some backends, so it only ever selects a superset.
    """
    anchored = pattern.startswith("^")
    text = pattern[1:] if anchored else pattern
    if not text or any(ch in _SPECIAL for ch in text):
        return None
    return text, anchored


def matches(
    filters: ServerFilters,
    values: Mapping[str, Any],
    project_id: str | None,
    tags: Collection[str] = (),
) -> bool:
    """Whether a server (as instance column values, and its ``tags``) passes every filter."""
    return (
        (filters.tags is None or filters.tags.matches(tags))
        and not values.get("hidden")
        and (project_id is None or values.get("project_id") == project_id)
        and _deleted_ok(filters, values)
        and all(values.get(column) == value for column, value in filters.equal)
        and name_ok(filters, values)
        and _states_ok(filters.states, values)
        and _changes_ok(filters, values)
    )


def needs_python(filters: ServerFilters) -> bool:
    """Whether rows from SQL still need :func:`name_ok` (SQL cannot run the regex)."""
    return filters.name is not None


def name_ok(filters: ServerFilters, values: Mapping[str, Any]) -> bool:
    """The exact name test: the expression is searched in the display name."""
    if filters.name is None:
        return True
    return name_regex(filters.name).search(values.get("display_name") or "") is not None


def _deleted_ok(filters: ServerFilters, values: Mapping[str, Any]) -> bool:
    wanted = filters.read_deleted()
    return wanted is None or bool(values.get("deleted")) == wanted


def _states_ok(states: tuple[StateMatch, ...] | None, values: Mapping[str, Any]) -> bool:
    if states is None:
        return True
    return any(s.matches(values.get("vm_state"), values.get("task_state")) for s in states)


def changed_at(values: Mapping[str, Any]) -> datetime.datetime | None:
    """When a server last changed, as the API shows it: updated, else created."""
    value = values.get("updated_at") or values.get("created_at")
    return value if isinstance(value, datetime.datetime) else None


def _changes_ok(filters: ServerFilters, values: Mapping[str, Any]) -> bool:
    if filters.changes_since is None and filters.changes_before is None:
        return True
    changed = changed_at(values)
    if changed is None:
        return False
    after = filters.changes_since is None or changed >= filters.changes_since
    return after and (filters.changes_before is None or changed <= filters.changes_before)
