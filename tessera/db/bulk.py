"""Set-based writes: multi-row inserts that tolerate rows already present."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


def _ignore_statement(conn: sa.Connection, table: sa.Table) -> sa.Insert:
    backend = conn.dialect.name
    if backend == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if backend in ("mysql", "mariadb"):
        return sa.insert(table).prefix_with("IGNORE")
    return sa.insert(table).prefix_with("OR IGNORE")


def insert_ignore(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` in one executemany, skipping unique-key clashes; return rows added.

    The drivers batch it into multi-row statements. PyMySQL and sqlite3 report
    the rows really inserted; psycopg does not for an executemany, so there the
    count comes from ``RETURNING`` (which SQLAlchemy also batches).
    """
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        key = next(iter(table.primary_key.columns))
        return len(insert_ignore_returning(conn, table, rows, key))
    result = conn.execute(_ignore_statement(conn, table), list(rows))
    return max(result.rowcount, 0)


def insert_ignore_returning(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    column: sa.Column[Any],
) -> list[Any]:
    """Like :func:`insert_ignore`, but return ``column`` of exactly the rows inserted.

    Tells a run what *it* added when a concurrent run adds some of the same
    rows first (all three backends support ``INSERT ... RETURNING`` here).
    """
    if not rows:
        return []
    statement = _ignore_statement(conn, table).returning(column)
    result = conn.execute(statement, list(rows))
    return [row[0] for row in result]
