"""Set-based writes: multi-row inserts that tolerate rows already present."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# Bound parameters per statement, under SQLite's 32766 and PostgreSQL's 65535.
_MAX_PARAMS = 20000


def _ignore_statement(conn: sa.Connection, table: sa.Table) -> sa.Insert:
    backend = conn.dialect.name
    if backend == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if backend in ("mysql", "mariadb"):
        return sa.insert(table).prefix_with("IGNORE")
    return sa.insert(table).prefix_with("OR IGNORE")


def insert_ignore(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` in multi-row statements, skipping unique-key clashes.

    Returns how many rows were really inserted, so callers can tell what
    they added from what a concurrent writer added first.
    """
    if not rows:
        return 0
    per_statement = max(1, _MAX_PARAMS // len(rows[0]))
    inserted = 0
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        result = conn.execute(_ignore_statement(conn, table).values(list(chunk)))
        inserted += max(result.rowcount, 0)
    return inserted
