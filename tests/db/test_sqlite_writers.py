"""SQLite writers of one process take turns on a lock per file; readers never wait for it."""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tessera.db.engines import WriteLockedConnection, create_engine

METADATA = sa.MetaData()
ROWS = sa.Table(
    "rows",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("writer", sa.Integer, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
)
WAIT = 10.0
"""Seconds a helper thread may take before a test gives up on it."""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    METADATA.create_all(engine)
    yield engine
    engine.dispose()


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(ROWS)).scalar_one())


def in_thread(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def assert_writes_promptly(engine: Engine) -> None:
    """Another thread can write at once: no transaction left the lock taken."""
    thread = in_thread(lambda: insert(engine, writer=-1, seq=0))
    thread.join(WAIT)
    assert not thread.is_alive(), "a writer is still waiting for the file's lock"


def insert(engine: Engine, writer: int, seq: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(ROWS).values(writer=writer, seq=seq))


def test_concurrent_writers_neither_fail_nor_wait_long(engine: Engine) -> None:
    threads, transactions = 8, 50
    waits: list[float] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def writer(index: int) -> None:
        try:
            start.wait(WAIT)
            for seq in range(transactions):
                began = time.monotonic()
                with engine.begin() as conn:
                    # Read, then write: the usual shape of a small transaction.
                    done = conn.execute(
                        sa.select(sa.func.count()).select_from(ROWS).where(ROWS.c.writer == index)
                    ).scalar_one()
                    assert done == seq
                    conn.execute(sa.insert(ROWS).values(writer=index, seq=seq))
                    # The rest of a real transaction (more statements, Python work)
                    # keeps the file locked a little while.
                    time.sleep(0.003)
                waits.append(time.monotonic() - began)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    workers = [in_thread(lambda i=i: writer(i)) for i in range(threads)]
    for worker in workers:
        worker.join(120)
    assert not errors, errors[0]
    assert count(engine) == threads * transactions
    print(f"longest transaction {max(waits) * 1000:.0f} ms")
    assert max(waits) < 1.0


def test_readers_do_not_wait_for_an_open_write(engine: Engine) -> None:
    written, finish = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with engine.begin() as conn:
            conn.execute(sa.insert(ROWS).values(writer=1, seq=0))
            written.set()
            assert finish.wait(WAIT)

    first = in_thread(slow_writer)
    assert written.wait(WAIT)
    began = time.monotonic()
    assert count(engine) == 0  # WAL: the reader sees the last commit, at once
    with engine.begin() as conn:  # a read-only transaction does not queue either
        conn.execute(sa.select(ROWS)).all()
    assert time.monotonic() - began < 1.0
    # A second writer does queue behind the open write, and goes once it ends.
    second = in_thread(lambda: insert(engine, writer=2, seq=0))
    second.join(0.2)
    assert second.is_alive()
    finish.set()
    first.join(WAIT)
    second.join(WAIT)
    assert not second.is_alive()
    assert count(engine) == 2


def test_a_rolled_back_transaction_lets_the_next_writer_in(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(sa.insert(ROWS).values(id=1, writer=1, seq=0))
        raise RuntimeError("changed my mind")
    assert_writes_promptly(engine)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(sa.insert(ROWS).values(id=7, writer=1, seq=0))
        conn.execute(sa.insert(ROWS).values(id=7, writer=1, seq=1))
    assert_writes_promptly(engine)
    assert count(engine) == 2


def test_an_autocommit_write_holds_the_lock_for_its_statement_only(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.insert(ROWS).values(writer=1, seq=0))
        assert_writes_promptly(engine)
    assert count(engine) == 2


def test_a_closed_connection_lets_the_next_writer_in(engine: Engine) -> None:
    conn = engine.connect()
    conn.execute(sa.insert(ROWS).values(writer=1, seq=0))
    conn.invalidate()  # closes the DBAPI connection mid-transaction
    assert_writes_promptly(engine)
    assert count(engine) == 1


def test_one_thread_writing_through_two_connections_does_not_hang(tmp_path: Path) -> None:
    path = tmp_path / "two.db"
    first = sqlite3.connect(path, timeout=0.2, factory=WriteLockedConnection)
    second = sqlite3.connect(path, timeout=0.2, factory=WriteLockedConnection)
    first.execute("CREATE TABLE t (x INTEGER)")
    first.execute("INSERT INTO t VALUES (1)")
    # The first connection's write is open in this very thread: SQLite's own
    # busy timeout answers, as it did before the lock existed.
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO t VALUES (2)")
    first.commit()
    second.execute("INSERT INTO t VALUES (2)")
    second.commit()
    assert first.execute("SELECT count(*) FROM t").fetchone() == (2,)
    first.close()
    second.close()


def test_a_connection_dropped_mid_write_gives_its_turn_back(tmp_path: Path) -> None:
    path = tmp_path / "dropped.db"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE t (x INTEGER)")
    setup.close()
    # Another connection to the file keeps its lock alive, as a pool does.
    keeper = sqlite3.connect(path, timeout=5, factory=WriteLockedConnection)
    dropped = sqlite3.connect(path, timeout=5, factory=WriteLockedConnection)
    dropped.execute("INSERT INTO t VALUES (1)")
    del dropped
    gc.collect()

    def write() -> None:  # in another thread: the lock knows this one had it
        other = sqlite3.connect(path, timeout=5, factory=WriteLockedConnection)
        other.execute("INSERT INTO t VALUES (2)")
        other.commit()
        other.close()

    writer = in_thread(write)
    writer.join(1.0)
    assert not writer.is_alive()
    assert keeper.execute("SELECT x FROM t").fetchall() == [(2,)]
    keeper.close()


def test_in_memory_databases_still_work() -> None:
    engine = create_engine("sqlite://")
    METADATA.create_all(engine)
    insert(engine, writer=1, seq=0)
    assert count(engine) == 1
    engine.dispose()


def test_writers_get_their_turns_in_the_order_they_asked(engine: Engine) -> None:
    holder = engine.connect()
    holder.execute(sa.insert(ROWS).values(writer=0, seq=0))
    writers = []
    for index in range(1, 4):
        writers.append(in_thread(lambda i=index: insert(engine, writer=i, seq=0)))
        time.sleep(0.1)  # each is queued before the next one asks
    assert all(w.is_alive() for w in writers)
    holder.commit()
    # Writing again at once must not barge ahead of those already waiting (a
    # plain Lock let it: under load some writers then waited for seconds).
    holder.execute(sa.insert(ROWS).values(writer=0, seq=1))
    holder.commit()
    holder.close()
    for writer in writers:
        writer.join(WAIT)
    with engine.connect() as conn:
        order = conn.execute(sa.select(ROWS.c.writer).order_by(ROWS.c.id)).scalars().all()
    assert order == [0, 1, 2, 3, 0]
