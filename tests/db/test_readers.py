"""Reader engines (:meth:`tessera.db.engines.Databases.reader`): autocommit reads.

A pooled reader connection must see what others committed since its last use
(no snapshot kept open between checkouts), and on MariaDB must not pay a
ROLLBACK round trip when it goes back to the pool.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tessera.conf.database import DatabaseSettings
from tessera.db.engines import Databases
from tests.conftest import Backend


@pytest.fixture
def databases(backend: Backend) -> Iterator[tuple[Databases, str]]:
    url = backend.create("readers")
    made = Databases(DatabaseSettings(None, max_retries=0, retry_interval=0))
    with made.engine(url).begin() as conn:
        conn.execute(sa.text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)"))
        conn.execute(sa.text("INSERT INTO counter VALUES (1, 0)"))
    yield made, url
    made.dispose()
    backend.drop("readers")


def _value(conn: sa.Connection) -> int:
    return int(conn.execute(sa.text("SELECT value FROM counter WHERE id = 1")).scalar_one())


def test_a_reader_sees_each_commit_made_since_its_last_use(
    databases: tuple[Databases, str],
) -> None:
    made, url = databases
    reader, writer = made.reader(url), made.engine(url)
    for expected in range(1, 4):
        with writer.begin() as conn:
            conn.execute(sa.text("UPDATE counter SET value = value + 1"))
        with reader.connect() as conn:
            assert _value(conn) == expected


def test_a_reader_is_its_own_pool_except_on_sqlite(
    databases: tuple[Databases, str], backend: Backend
) -> None:
    made, url = databases
    assert (made.reader(url) is made.engine(url)) == (backend.name == "sqlite")
    assert made.reader(url) is made.reader(url)


def test_a_reader_connection_goes_back_without_a_rollback(
    databases: tuple[Databases, str], backend: Backend
) -> None:
    if backend.name != "mysql":
        pytest.skip("counted with MariaDB's per-session Com_rollback")
    made, url = databases
    reader = made.reader(url)
    status = sa.text("SHOW SESSION STATUS LIKE 'Com_rollback'")
    for _ in range(5):
        with reader.connect() as conn:
            _value(conn)
    with reader.connect() as conn:
        assert int(conn.execute(status).one()[1]) == 0
    with made.engine(url).connect() as conn:
        _value(conn)
    with made.engine(url).connect() as conn:  # a writer's connection does roll back
        assert int(conn.execute(status).one()[1]) >= 1
