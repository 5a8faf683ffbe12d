"""Child rows folded into one column of the parent's row, as a JSON array of arrays.

Why: a server's API body reads its metadata, tags and volumes beside its
instance row; asking for each as a correlated subquery that aggregates to JSON
makes the whole read one round trip instead of four. Every supported database
has such an aggregate, under its own name:

- MariaDB/MySQL: ``JSON_ARRAYAGG(JSON_ARRAY(...))``
- PostgreSQL: ``json_agg(json_build_array(...))``
- SQLite: ``json_group_array(json_array(...))``

Order inside the array is not guaranteed anywhere: callers that need an order
put its key among the columns and sort the decoded rows.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class json_rows(FunctionElement[Any]):  # lower case: it reads as an SQL function
    """Aggregate: the group's rows as a JSON array of ``[column, ...]`` arrays.

    Aggregates over no rows give NULL (an empty array on SQLite); :func:`decode`
    turns either into ``[]``.
    """

    type = sa.Text()
    name = "json_rows"
    inherit_cache = True


def _columns(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(json_rows)
def _generic(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_array({_columns(element, compiler, **kw)}))"


@compiles(json_rows, "mysql")
@compiles(json_rows, "mariadb")
def _mysql(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"JSON_ARRAYAGG(JSON_ARRAY({_columns(element, compiler, **kw)}))"


@compiles(json_rows, "postgresql")
def _postgresql(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    # ::text so every driver hands back the same thing: a string to decode.
    return f"CAST(json_agg(json_build_array({_columns(element, compiler, **kw)})) AS TEXT)"


def decode(value: str | None) -> list[list[Any]]:
    """The rows a :class:`json_rows` column holds (``[]`` for none)."""
    if not value:
        return []
    rows: list[list[Any]] = json.loads(value)
    return rows
