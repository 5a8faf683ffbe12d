"""A wide row folded into one JSON column, and read back typed.

Why: the Python driver pays per column of a result (PyMySQL parses a
descriptor for each: the 40 columns of an instance row cost it more than the
query itself), so :class:`json_record` has the database build one JSON object
of the row instead. Every supported database has the function under its own
name: ``JSON_OBJECT`` (MariaDB/MySQL), ``json_build_object`` (PostgreSQL),
``json_object`` (SQLite).
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


def _args(element: json_record, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(json_record)
def _sqlite(element: json_record, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({_args(element, compiler, **kw)})"


@compiles(json_record, "mysql")
@compiles(json_record, "mariadb")
def _mysql(element: json_record, compiler: SQLCompiler, **kw: Any) -> str:
    return f"JSON_OBJECT({_args(element, compiler, **kw)})"


@compiles(json_record, "postgresql")
def _postgresql(element: json_record, compiler: SQLCompiler, **kw: Any) -> str:
    # json_build_object takes at most 100 arguments (50 columns); ::text so every
    # driver hands back the same thing, a string to decode.
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
