"""Set-based writes: batched inserts that tolerate rows already present."""

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
    """Insert ``rows`` in batches, skipping unique-key clashes.

    Returns how many rows were really inserted, so callers can tell what
    they added from what a concurrent writer added first.
    """
    if not rows:
        return 0
    # One statement executed with many parameter sets, not one statement with
    # many VALUES: SQLAlchemy compiles (and caches) it once, where a
    # multi-VALUES statement costs a fresh compile of every bound parameter
    # (that compile was 60% of map_instances). The drivers still batch:
    # PyMySQL rewrites it into multi-row INSERTs of up to ~1 MB, psycopg
    # pipelines it, sqlite3 steps one prepared statement. Each reports the
    # summed row count, in which skipped rows count 0 (psycopg's is lost
    # unless SQLAlchemy is asked to keep it).
    result = conn.execute(
        _ignore_statement(conn, table), list(rows), execution_options={"preserve_rowcount": True}
    )
    return max(result.rowcount, 0)


def insert_ignore_returning(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    column: sa.Column[Any],
) -> list[Any]:
    """Insert ``rows`` like :func:`insert_ignore`; return ``column`` of those really inserted.

    In the order of ``rows``. Uses ``RETURNING`` (SQLite, PostgreSQL, MariaDB
    10.5+), which SQLAlchemy batches into multi-row statements; elsewhere
    (MySQL) it inserts row by row, as only a per-row count can tell.
    """
    if not rows:
        return []
    statement = _ignore_statement(conn, table)
    if conn.dialect.insert_executemany_returning:
        result = conn.execute(statement.returning(column), list(rows))
        added = set(result.scalars())
    else:
        added = {row[column.key] for row in rows if conn.execute(statement, row).rowcount > 0}
    return [row[column.key] for row in rows if row[column.key] in added]
