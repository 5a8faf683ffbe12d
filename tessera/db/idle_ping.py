"""Checking a pooled connection before use only when it has sat idle.

Why: a ping on every checkout (SQLAlchemy's ``pool_pre_ping``) costs a round
trip per unit of work: a third of a server show's time went to pings. A
connection used moments ago is almost surely alive; one that sat idle may have
been dropped (a database restart, ``wait_timeout``, a failover), so it is
pinged first and replaced if dead. A restart takes longer than the idle
threshold, so each connection that predates it is pinged; and a statement that
fails on a dead connection makes the pool replace every connection older than
the failure, so at most that one statement sees the restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

CHECKED_IN_AT = "tessera_checked_in_at"
"""Key in a pool record's ``info``: when its connection last went back to the pool."""

DEFAULT_IDLE = 1.0
"""Seconds a connection may sit in the pool and still be used without a ping."""


class IdlePing:
    """Pings a connection on checkout if it sat in the pool longer than ``idle`` seconds."""

    def __init__(
        self,
        ping: Callable[[Any], bool],
        idle: float = DEFAULT_IDLE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ping = ping
        self._idle = idle
        self._clock = clock

    def on_connect(self, dbapi_conn: Any, record: Any) -> None:
        """A new connection counts as just used: it was made a moment ago."""
        record.info[CHECKED_IN_AT] = self._clock()

    def on_checkin(self, dbapi_conn: Any, record: Any) -> None:
        """Remember when it went back to the pool."""
        if record is not None:
            record.info[CHECKED_IN_AT] = self._clock()

    def on_checkout(self, dbapi_conn: Any, record: Any, proxy: Any) -> None:
        """Ping if idle too long; DisconnectionError makes the pool reconnect."""
        since = record.info.get(CHECKED_IN_AT)
        if since is not None and self._clock() - since <= self._idle:
            return
        try:
            alive = self._ping(dbapi_conn)
        except Exception as exc:  # any failure of the ping means: do not use it
            raise DisconnectionError(f"idle connection failed its ping: {exc}") from exc
        if not alive:
            raise DisconnectionError("idle connection failed its ping")

    def install(self, engine: Engine) -> None:
        """Listen on ``engine``'s pool."""
        event.listen(engine, "connect", self.on_connect)
        event.listen(engine, "checkin", self.on_checkin)
        event.listen(engine, "checkout", self.on_checkout)


def install(engine: Engine, idle: float = DEFAULT_IDLE) -> IdlePing:
    """Ping ``engine``'s connections before use when idle more than ``idle`` seconds."""
    pinger = IdlePing(engine.dialect.do_ping, idle)
    pinger.install(engine)
    return pinger
