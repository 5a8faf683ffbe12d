"""Write transactions that lost a race to another writer, and trying them again.

The service leans on unique constraints instead of locks: a writer that loses (a
duplicate key, or on MariaDB/PostgreSQL a deadlock or serialization failure) rolls
back and looks again in a new transaction, which sees what the winner committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

T = TypeVar("T")

_MYSQL_RETRYABLE = frozenset({1205, 1213})  # lock wait timeout, deadlock
_POSTGRES_RETRYABLE = frozenset({"40001", "40P01"})  # serialization failure, deadlock


def is_write_conflict(exc: DBAPIError) -> bool:
    """Whether ``exc`` means another writer won, so a new attempt may succeed."""
    if isinstance(exc, IntegrityError):
        return True
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _POSTGRES_RETRYABLE:
        return True
    args: tuple[object, ...] = getattr(orig, "args", ())
    return bool(args) and args[0] in _MYSQL_RETRYABLE


def retrying(
    engine: Engine,
    work: Callable[[sa.Connection], T],
    attempts: int,
    give_up: Callable[[int], Exception],
) -> T:
    """Run ``work`` in a new transaction until it commits; ``give_up(attempts)`` is raised
    when every attempt lost a race. Errors other than write conflicts propagate at once.
    """
    last: DBAPIError | None = None
    for _ in range(attempts):
        try:
            with engine.begin() as conn:
                return work(conn)
        except DBAPIError as exc:
            if not is_write_conflict(exc):
                raise
            last = exc
    raise give_up(attempts) from last
