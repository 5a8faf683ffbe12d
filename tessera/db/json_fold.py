"""Rows folded into single JSON columns: a parent's child rows, or a wide row itself.

Why: a server's API body reads its metadata, tags and volumes beside its
instance row. Asking for each as a correlated subquery that aggregates to JSON
(:class:`json_rows`) makes the read one round trip instead of four. And the
Python driver pays per column of a result (PyMySQL parses a descriptor for
each: the 40 columns of an instance row cost it more than the query), so
:class:`json_record` folds a wide row into one JSON object the server builds.

Every supported database has these functions under its own name:

- MariaDB/MySQL: ``JSON_ARRAYAGG(JSON_ARRAY(...))``, ``JSON_OBJECT(...)``
- PostgreSQL: ``json_agg(json_build_array(...))``, ``json_build_object(...)``
- SQLite: ``json_group_array(json_array(...))``, ``json_object(...)``

Order inside an aggregated array is not guaranteed anywhere: callers that need
an order put its key among the columns and sort the decoded rows.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# --------------------------------------------------------------------------- child rows


class json_rows(FunctionElement[Any]):  # lower case: it reads as an SQL function
    """Aggregate: the group's rows as a JSON array of ``[column, ...]`` arrays.

    Aggregates over no rows give NULL (an empty array on SQLite); :func:`decode`
    turns either into ``[]``.
    """

    type = sa.Text()
    name = "json_rows"
    inherit_cache = True


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(json_rows)
def _rows_sqlite(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_array({_args(element, compiler, **kw)}))"


@compiles(json_rows, "mysql")
@compiles(json_rows, "mariadb")
def _rows_mysql(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"JSON_ARRAYAGG(JSON_ARRAY({_args(element, compiler, **kw)}))"


@compiles(json_rows, "postgresql")
def _rows_postgresql(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    # ::text so every driver hands back the same thing: a string to decode.
    return f"CAST(json_agg(json_build_array({_args(element, compiler, **kw)})) AS TEXT)"


def decode(value: str | None) -> list[list[Any]]:
    """The rows a :class:`json_rows` column holds (``[]`` for none)."""
    if not value:
        return []
    rows: list[list[Any]] = json.loads(value)
    return rows


# --------------------------------------------------------------------------- one wide row


class json_record(FunctionElement[Any]):  # lower case: it reads as an SQL function
    """The given columns of a row as one JSON object keyed by column name.

    Build with :func:`record_of`; read back with :func:`decode_record`.
    """

    type = sa.Text()
    name = "json_record"
    inherit_cache = True


def record_of(columns: Sequence[sa.Column[Any]]) -> json_record:
    """A :class:`json_record` of ``columns`` (name, value, name, value...)."""
    pairs: list[Any] = []
    for column in columns:
        pairs.extend((sa.literal_column(f"'{column.name}'"), column))
    return json_record(*pairs)


@compiles(json_record)
def _record_sqlite(element: json_record, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({_args(element, compiler, **kw)})"


@compiles(json_record, "mysql")
@compiles(json_record, "mariadb")
def _record_mysql(element: json_record, compiler: SQLCompiler, **kw: Any) -> str:
    return f"JSON_OBJECT({_args(element, compiler, **kw)})"


@compiles(json_record, "postgresql")
def _record_postgresql(element: json_record, compiler: SQLCompiler, **kw: Any) -> str:
    # json_build_object takes at most 100 arguments: 50 columns.
    return f"CAST(json_build_object({_args(element, compiler, **kw)}) AS TEXT)"


def decode_record(value: str, columns: Sequence[sa.Column[Any]]) -> dict[str, Any]:
    """The values a :class:`json_record` of ``columns`` holds, typed as the columns are.

    JSON has no booleans on MariaDB and SQLite (they store 0/1) and no timestamps
    anywhere, so those come back by the column's type.
    """
    raw = json.loads(value)
    values: dict[str, Any] = {}
    for column in columns:
        found = raw.get(column.name)
        if found is not None:
            found = _typed(found, column.type)
        values[column.name] = found
    return values


def _typed(value: Any, kind: sa.types.TypeEngine[Any]) -> Any:
    if isinstance(kind, sa.Boolean):
        return bool(value)
    if isinstance(kind, sa.DateTime) and isinstance(value, str):
        return datetime.datetime.fromisoformat(value)
    return value
