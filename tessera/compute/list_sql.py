"""One cell's part of a listing in SQL: filters, the sort order, keyset pages, full records.

Every backend is made to sort as :mod:`tessera.compute.list_order` compares:
NULL smallest (PostgreSQL is told ``NULLS FIRST/LAST``; MySQL and SQLite do so
by default) and strings by code point (``COLLATE "C"`` on PostgreSQL, a binary
cast on MySQL, whose default collations ignore case and trailing spaces;
SQLite's default collation already compares bytes).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from tessera.compute.api import ServerView
from tessera.compute.list_filters import like_prefilter
from tessera.compute.list_query import ServerFilters, SortKey, StateMatch, TagTest
from tessera.objects import instance as instances
from tessera.objects import instance_fault, tag
from tessera.objects.instance import Instance
from tessera.objects.instance_fault import TABLE as FAULTS
from tessera.objects.instance_fault import Fault

TABLE = instances.TABLE
TAGS = tag.TABLE
# The columns an Instance record carries (the API's views read them).
VIEW_COLUMNS: tuple[str, ...] = (*instances.COLUMNS, "deleted")
# Statuses whose view shows the latest fault.
_FAULTED_VM_STATES = ("error", "deleted")


@dataclass(frozen=True)
class CellScan:
    """What one cell is asked for: the filters, the project scope and the order."""

    filters: ServerFilters
    """Filters, already resolved (the flavor as ``instance_type_id``)."""
    project_id: str | None
    """Only this project's servers; None for every project."""
    order: tuple[SortKey, ...]
    """The total order (ends with ``uuid``)."""


def columns(order: Sequence[SortKey]) -> list[sa.ColumnElement[Any]]:
    """The selected columns: the record's and any sort column it lacks."""
    names = list(VIEW_COLUMNS) + [k.column for k in order if k.column not in VIEW_COLUMNS]
    return [TABLE.c[name] for name in names]


def page(
    conn: sa.Connection, scan: CellScan, after: Mapping[str, Any] | None, size: int
) -> list[dict[str, Any]]:
    """Up to ``size`` rows strictly after ``after`` (sort values) in ``scan.order``."""
    dialect = conn.dialect.name
    stmt = sa.select(*columns(scan.order)).where(*filter_clauses(scan.filters, scan.project_id))
    if after is not None:
        stmt = stmt.where(*keyset_after(scan.order, after, dialect))
    stmt = stmt.order_by(*order_by(scan.order, dialect)).limit(size)
    return [dict(row._mapping) for row in conn.execute(stmt)]


def sort_values(conn: sa.Connection, uuid: str, order: Sequence[SortKey]) -> dict[str, Any] | None:
    """The marker's sort values and project, deleted or not; None if no such row."""
    names = {"project_id", *(k.column for k in order)}
    stmt = sa.select(*(TABLE.c[n] for n in sorted(names))).where(TABLE.c.uuid == uuid)
    row = conn.execute(stmt).first()
    return None if row is None else dict(row._mapping)


# --------------------------------------------------------------------------- order


def _sortable(expr: sa.ColumnElement[Any], dialect: str, column: str) -> sa.ColumnElement[Any]:
    if not isinstance(expr.type, sa.String):
        return expr
    if dialect == "postgresql":
        return expr.collate("C")
    if dialect in ("mysql", "mariadb") and column != "uuid":
        return sa.cast(expr, mysql.BINARY())
    # Canonical uuids (lowercase hex and '-') sort alike under MySQL's default
    # collation and bytewise, and uncast the listing index serves the order.
    return expr


def _column(key: SortKey, dialect: str) -> sa.ColumnElement[Any]:
    return _sortable(TABLE.c[key.column], dialect, key.column)


def _bound(key: SortKey, after: Mapping[str, Any], dialect: str) -> sa.ColumnElement[Any] | None:
    """The key's value at position ``after`` as SQL; None when it is NULL."""
    value = after.get(key.column)
    if value is None:
        return None
    # Typed like the column so dates bind as the backend stores them.
    return _sortable(sa.literal(value, TABLE.c[key.column].type), dialect, key.column)


def order_by(order: Sequence[SortKey], dialect: str) -> list[sa.ColumnElement[Any]]:
    """ORDER BY terms with NULL as the smallest value on every backend."""
    terms: list[sa.ColumnElement[Any]] = []
    for key in order:
        expr = _column(key, dialect)
        term = expr.desc() if key.descending else expr.asc()
        if dialect == "postgresql":  # it alone sorts NULL as the largest value
            term = term.nulls_last() if key.descending else term.nulls_first()
        terms.append(term)
    return terms


def keyset_after(
    order: Sequence[SortKey], after: Mapping[str, Any], dialect: str
) -> list[sa.ColumnElement[bool]]:
    """Conditions selecting rows strictly after the position ``after`` in ``order``."""
    branches: list[sa.ColumnElement[bool]] = []
    ties: list[sa.ColumnElement[bool]] = []
    for key in order:
        expr, bound = _column(key, dialect), _bound(key, after, dialect)
        branches.append(sa.and_(*ties, _beyond(expr, bound, key.descending)))
        ties.append(expr.is_(None) if bound is None else expr == bound)
    first = order[0]
    lead = _bound(first, after, dialect)
    # The redundant range on the first key lets an index on it narrow the scan.
    return [sa.or_(*branches), *_not_before(_column(first, dialect), lead, first.descending)]


def _beyond(
    expr: sa.ColumnElement[Any], bound: sa.ColumnElement[Any] | None, descending: bool
) -> sa.ColumnElement[bool]:
    if not descending:
        return expr.is_not(None) if bound is None else expr > bound
    return sa.false() if bound is None else sa.or_(expr < bound, expr.is_(None))


def _not_before(
    expr: sa.ColumnElement[Any], bound: sa.ColumnElement[Any] | None, descending: bool
) -> list[sa.ColumnElement[bool]]:
    if not descending:
        return [] if bound is None else [expr >= bound]
    return [expr.is_(None)] if bound is None else [sa.or_(expr <= bound, expr.is_(None))]


# --------------------------------------------------------------------------- filters


def filter_clauses(filters: ServerFilters, project_id: str | None) -> list[sa.ColumnElement[bool]]:
    """WHERE terms of ``filters`` (the name test is only a LIKE prefilter here)."""
    clauses: list[sa.ColumnElement[bool]] = [TABLE.c.hidden.is_not(sa.true())]
    if project_id is not None:
        clauses.append(TABLE.c.project_id == project_id)
    deleted = filters.read_deleted()
    if deleted is not None:
        clauses.append(TABLE.c.deleted != 0 if deleted else TABLE.c.deleted == 0)
    clauses.extend(TABLE.c[column] == value for column, value in filters.equal)
    if filters.states is not None:
        clauses.append(sa.or_(sa.false(), *(_state(s) for s in filters.states)))
    clauses.extend(_name_prefilter(filters.name))
    clauses.extend(_changes(filters))
    if filters.tags is not None:
        clauses.extend(_tags(filters.tags))
    return clauses


def _has_tag(names: Sequence[str]) -> sa.ColumnElement[bool]:
    """The row's server carries one of ``names`` (an index lookup on the tags key)."""
    return (
        sa.select(TAGS.c.tag)
        .where(TAGS.c.resource_id == TABLE.c.uuid, TAGS.c.tag.in_(sorted(set(names))))
        .exists()
    )


def _tags(test: TagTest) -> list[sa.ColumnElement[bool]]:
    """The tag filters as correlated EXISTS tests, each one primary-key probe per row."""
    clauses = [_has_tag([t]) for t in sorted(set(test.all_of))]
    if test.any_of:
        clauses.append(_has_tag(test.any_of))
    if test.not_all_of:
        clauses.append(sa.not_(sa.and_(*(_has_tag([t]) for t in sorted(set(test.not_all_of))))))
    if test.not_any_of:
        clauses.append(sa.not_(_has_tag(test.not_any_of)))
    return clauses


def _state(match: StateMatch) -> sa.ColumnElement[bool]:
    task = TABLE.c.task_state
    test: sa.ColumnElement[bool]
    if match.task_in:
        test = task.in_(sorted(match.task_states))
    elif match.task_states:
        test = sa.or_(task.is_(None), task.not_in(sorted(match.task_states)))
    else:
        test = sa.true()
    return sa.and_(TABLE.c.vm_state == match.vm_state, test)


def _name_prefilter(pattern: str | None) -> list[sa.ColumnElement[bool]]:
    found = None if pattern is None else like_prefilter(pattern)
    if found is None:
        return []
    text, anchored = found
    name = TABLE.c.display_name
    return [
        name.startswith(text, autoescape=True) if anchored else name.contains(text, autoescape=True)
    ]


def _changes(filters: ServerFilters) -> list[sa.ColumnElement[bool]]:
    # What the API shows as "updated": the last update, else the creation.
    changed = sa.func.coalesce(TABLE.c.updated_at, TABLE.c.created_at)
    clauses = []
    if filters.changes_since is not None:
        clauses.append(changed >= filters.changes_since)
    if filters.changes_before is not None:
        clauses.append(changed <= filters.changes_before)
    return clauses


# --------------------------------------------------------------------------- records


def load_views(
    conn: sa.Connection, rows: Sequence[Mapping[str, Any]], cell_uuid: str
) -> list[ServerView]:
    """Full records of ``rows`` (of cell ``cell_uuid``): flavor, metadata, tags and latest
    fault, four batched queries."""
    uuids = [str(r["uuid"]) for r in rows]
    if not uuids:
        return []
    flavors = _flavors(conn, uuids)
    metadata = _metadata(conn, uuids)
    tags = tag.get_for_instances(conn, uuids)
    faulted = [str(r["uuid"]) for r in rows if r["vm_state"] in _FAULTED_VM_STATES]
    faults = _latest_faults(conn, faulted)
    return [
        ServerView(
            Instance(dict(r), flavors.get(u, {}), metadata.get(u, {})),
            faults.get(u),
            tags=tags.get(u, []),
            cell_uuid=cell_uuid,
        )
        for r, u in zip(rows, uuids, strict=True)
    ]


def _flavors(conn: sa.Connection, uuids: list[str]) -> dict[str, dict[str, Any]]:
    extra = instances.EXTRA
    stmt = sa.select(extra.c.instance_uuid, extra.c.flavor).where(extra.c.instance_uuid.in_(uuids))
    return {uuid: json.loads(flavor or "{}") for uuid, flavor in conn.execute(stmt)}


def _metadata(conn: sa.Connection, uuids: list[str]) -> dict[str, dict[str, str]]:
    meta = instances.METADATA
    stmt = sa.select(meta.c.instance_uuid, meta.c.key, meta.c.value).where(
        meta.c.instance_uuid.in_(uuids), meta.c.deleted == 0
    )
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for uuid, key, value in conn.execute(stmt):
        found[uuid][key] = value
    return found


def _latest_faults(conn: sa.Connection, uuids: list[str]) -> dict[str, Fault]:
    if not uuids:
        return {}
    newest = (
        sa.select(sa.func.max(FAULTS.c.id))
        .where(FAULTS.c.instance_uuid.in_(uuids), FAULTS.c.deleted == 0)
        .group_by(FAULTS.c.instance_uuid)
    )
    stmt = sa.select(FAULTS).where(FAULTS.c.id.in_(newest))
    return {row.instance_uuid: instance_fault.from_row(row) for row in conn.execute(stmt)}
