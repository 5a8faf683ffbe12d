"""Pinging pooled connections only after they sat idle (:mod:`tessera.db.idle_ping`).

The rules with a fake clock and a fake ping; then on MariaDB and PostgreSQL a
connection the server dropped (``KILL`` / ``pg_terminate_backend``) is replaced
before use once idle, and costs at most one failed statement when it is not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, OperationalError

from tessera.db import idle_ping
from tessera.db.engines import create_engine, parse_url
from tests.conftest import Backend


class Record:
    """A pool record as the listener sees it: only ``info``."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _pinger(answer: Callable[[], bool]) -> tuple[idle_ping.IdlePing, Clock, list[object]]:
    clock, pinged = Clock(), []

    def ping(conn: object) -> bool:
        pinged.append(conn)
        return answer()

    return idle_ping.IdlePing(ping, idle=1.0, clock=clock), clock, pinged


def test_a_new_connection_and_a_recently_used_one_are_not_pinged() -> None:
    pinger, clock, pinged = _pinger(lambda: True)
    record = Record()
    pinger.on_connect("conn", record)
    pinger.on_checkout("conn", record, None)
    pinger.on_checkin("conn", record)
    clock.now += 0.9
    pinger.on_checkout("conn", record, None)
    assert pinged == []


def test_a_connection_idle_too_long_is_pinged_before_use() -> None:
    pinger, clock, pinged = _pinger(lambda: True)
    record = Record()
    pinger.on_connect("conn", record)
    pinger.on_checkin("conn", record)
    clock.now += 1.5
    pinger.on_checkout("conn", record, None)
    assert pinged == ["conn"]


def test_a_record_with_no_history_is_pinged() -> None:
    pinger, _, pinged = _pinger(lambda: True)
    pinger.on_checkout("conn", Record(), None)
    assert pinged == ["conn"]


@pytest.mark.parametrize("answer", [lambda: False, lambda: 1 / 0], ids=["false", "raises"])
def test_a_failed_ping_asks_the_pool_for_a_new_connection(answer: Callable[[], bool]) -> None:
    pinger, clock, _ = _pinger(answer)
    record = Record()
    pinger.on_checkin("conn", record)
    clock.now += 5
    with pytest.raises(DisconnectionError):
        pinger.on_checkout("conn", record, None)


# --------------------------------------------------------------------------- real servers


@pytest.fixture
def server_engine(backend: Backend) -> Iterator[tuple[Backend, Engine]]:
    if backend.name == "sqlite":
        pytest.skip("SQLite has no server to drop connections")
    url = backend.create("idle_ping")
    # A plain engine: each test installs the pinger with the threshold it needs.
    engine = sa.create_engine(parse_url(url))
    yield backend, engine
    engine.dispose()
    backend.drop("idle_ping")


def _session_id(conn: sa.Connection, backend: Backend) -> int:
    query = "SELECT CONNECTION_ID()" if backend.name == "mysql" else "SELECT pg_backend_pid()"
    return int(conn.execute(sa.text(query)).scalar_one())


def _kill(backend: Backend, session: int) -> None:
    assert backend.admin is not None
    with backend.admin.connect() as conn:
        if backend.name == "mysql":
            conn.execute(sa.text(f"KILL {session}"))
        else:
            conn.execute(sa.text(f"SELECT pg_terminate_backend({session})"))


def _only_connection(engine: Engine, backend: Backend) -> int:
    with engine.connect() as conn:
        return _session_id(conn, backend)


def test_a_dropped_idle_connection_is_replaced_before_use(
    server_engine: tuple[Backend, Engine],
) -> None:
    backend, engine = server_engine
    idle_ping.install(engine, idle=0.05)
    first = _only_connection(engine, backend)
    _kill(backend, first)
    time.sleep(0.2)
    assert _only_connection(engine, backend) != first  # no error: the ping caught it


def test_a_dropped_busy_connection_fails_one_statement_then_is_replaced(
    server_engine: tuple[Backend, Engine],
) -> None:
    backend, engine = server_engine
    idle_ping.install(engine, idle=60.0)  # far longer than this test: never pinged
    first = _only_connection(engine, backend)
    _kill(backend, first)
    time.sleep(0.05)
    with pytest.raises(OperationalError), engine.connect() as conn:
        _session_id(conn, backend)
    assert _only_connection(engine, backend) != first


def test_the_projects_engines_ping_after_a_second_idle(backend: Backend) -> None:
    if backend.name == "sqlite":
        pytest.skip("SQLite has no server to drop connections")
    engine = create_engine(backend.create("idle_ping_default"))
    try:
        first = _only_connection(engine, backend)
        _kill(backend, first)
        time.sleep(idle_ping.DEFAULT_IDLE + 0.2)
        assert _only_connection(engine, backend) != first
    finally:
        engine.dispose()
        backend.drop("idle_ping_default")
