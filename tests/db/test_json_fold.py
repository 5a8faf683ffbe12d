"""Rows folded into JSON columns (:mod:`tessera.db.json_fold`) on every backend.

Each backend builds the JSON with its own functions; what comes back must be
the values as stored, typed as the columns are.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.db.engines import create_engine
from tessera.db.json_fold import decode, decode_record, json_rows, record_of
from tests.conftest import Backend

META = sa.MetaData()
PARENTS = sa.Table(
    "parents",
    META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255)),
    sa.Column("big", sa.BigInteger),
    sa.Column("flag", sa.Boolean),
    sa.Column("at", sa.DateTime),
    sa.Column("notes", sa.Text),
)
CHILDREN = sa.Table(
    "children",
    META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, index=True),
    sa.Column("key", sa.String(255)),
    sa.Column("value", sa.String(255)),
    sa.Column("on", sa.Boolean),
)
COLUMNS = tuple(PARENTS.c)
ODD = 'quote " back\\slash, unicode Zürich ✓ 東京, json {"a": [1]}'
AT = datetime.datetime(2024, 5, 1, 12, 30, 45)


@pytest.fixture
def engine(backend: Backend) -> Iterator[Engine]:
    made = create_engine(backend.create("json_fold"))
    META.create_all(made)
    yield made
    made.dispose()
    backend.drop("json_fold")


def _record(engine: Engine, parent: int) -> dict[str, object]:
    stmt = sa.select(record_of(COLUMNS)).where(PARENTS.c.id == parent)
    with engine.connect() as conn:
        return decode_record(conn.execute(stmt).scalar_one(), COLUMNS)


def test_a_record_reads_back_as_stored(engine: Engine) -> None:
    values = {"id": 1, "name": ODD, "big": 2**40, "flag": True, "at": AT, "notes": ODD * 50}
    with engine.begin() as conn:
        conn.execute(sa.insert(PARENTS).values(**values))
        conn.execute(sa.insert(PARENTS).values(id=2, flag=False))
    assert _record(engine, 1) == values
    empty = {"id": 2, "name": None, "big": None, "flag": False, "at": None, "notes": None}
    assert _record(engine, 2) == empty


def test_child_rows_aggregate_per_parent_and_none_reads_as_empty(engine: Engine) -> None:
    children = [
        {"id": 3, "parent_id": 1, "key": "b", "value": ODD, "on": True},
        {"id": 1, "parent_id": 1, "key": "a", "value": None, "on": False},
        {"id": 2, "parent_id": 2, "key": "other", "value": "x", "on": True},
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(PARENTS), [{"id": 1}, {"id": 2}, {"id": 3}])
        conn.execute(sa.insert(CHILDREN), children)
    folded = (
        sa.select(json_rows(CHILDREN.c.id, CHILDREN.c.key, CHILDREN.c.value, CHILDREN.c.on))
        .where(CHILDREN.c.parent_id == PARENTS.c.id)
        .scalar_subquery()
    )
    stmt = sa.select(PARENTS.c.id, folded).order_by(PARENTS.c.id)
    with engine.connect() as conn:
        rows = {parent: sorted(decode(value)) for parent, value in conn.execute(stmt)}
    assert [[i, k, v, bool(o)] for i, k, v, o in rows[1]] == [
        [1, "a", None, False],
        [3, "b", ODD, True],
    ]
    assert [r[:3] for r in rows[2]] == [[2, "other", "x"]]
    assert rows[3] == []
