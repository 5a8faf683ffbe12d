"""A row folded into one JSON column (:mod:`tessera.db.json_record`) on every backend.

Each backend builds the JSON with its own function; what comes back must be
the values as stored, typed as the columns are.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.db.engines import create_engine
from tessera.db.json_record import decode_record, record_of
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
