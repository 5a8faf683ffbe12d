"""Request context, and scatter-gather over cells with typed per-cell results.

A down or slow cell must never stall a caller: each call to
:func:`scatter_gather` has a deadline, and every cell's outcome is explicit —
:class:`Ok`, :class:`Failed` or :class:`TimedOut` — never a sentinel to compare.
"""

from __future__ import annotations

import threading
import time
import uuid as uuidlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

T = TypeVar("T")
C = TypeVar("C")


@dataclass(frozen=True)
class RequestContext:
    """Who is asking, on whose behalf, as one request id across services."""

    user_id: str | None = None
    """The authenticated user."""
    project_id: str | None = None
    """The project the request acts in."""
    is_admin: bool = False
    """Admin requests may see and act on every project."""
    roles: tuple[str, ...] = ()
    """Roles of the user in the project (policy checks use them)."""
    request_id: str = field(default_factory=lambda: f"req-{uuidlib.uuid4()}")
    """Correlates logs, instance actions and RPC messages of one request."""
    read_deleted: str = "no"
    """``no``, ``yes`` or ``only``: whether soft-deleted rows are visible."""

    def elevated(self) -> RequestContext:
        """The same request with admin rights (for internal lookups)."""
        roles = self.roles if "admin" in self.roles else (*self.roles, "admin")
        return replace(self, is_admin=True, roles=roles)

    def redacted_copy(self) -> RequestContext:
        """What notifications may carry: everything (a context holds no secrets)."""
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, as it travels in RPC messages."""
        return {
            "user_id": self.user_id,
            "project_id": self.project_id,
            "is_admin": self.is_admin,
            "roles": list(self.roles),
            "request_id": self.request_id,
            "read_deleted": self.read_deleted,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> RequestContext:
        """Rebuild a context sent by :meth:`to_dict` (unknown keys are ignored)."""
        return cls(
            user_id=values.get("user_id"),
            project_id=values.get("project_id"),
            is_admin=bool(values.get("is_admin", False)),
            roles=tuple(values.get("roles") or ()),
            request_id=values.get("request_id") or f"req-{uuidlib.uuid4()}",
            read_deleted=values.get("read_deleted", "no"),
        )


def admin_context() -> RequestContext:
    """A context for the control plane's own work (periodic tasks, discovery)."""
    return RequestContext(is_admin=True, roles=("admin",))


@dataclass(frozen=True)
class Ok(Generic[T]):
    """The cell answered in time."""

    value: T
    """What the function returned for this cell."""


@dataclass(frozen=True)
class Failed:
    """The function raised for this cell (its database is down, say)."""

    error: BaseException
    """The exception it raised."""


@dataclass(frozen=True)
class TimedOut:
    """The cell did not answer before the deadline."""

    after: float
    """Seconds waited."""


CellResult = Ok[T] | Failed | TimedOut


def scatter_gather(
    cells: Iterable[C], key: Callable[[C], str], fn: Callable[[C], T], timeout: float
) -> dict[str, CellResult[T]]:
    """Run ``fn(cell)`` for every cell concurrently; wait at most ``timeout`` seconds.

    One thread per cell, so the pool is always as large as the number of cells
    and a hung cell cannot starve the others. A thread still running at the
    deadline is left to finish on its own; its cell is reported TimedOut.
    """
    cells = list(cells)
    results: dict[str, CellResult[T]] = {}
    lock = threading.Lock()
    done = threading.Semaphore(0)

    def run(cell: C) -> None:
        outcome: CellResult[T]
        try:
            outcome = Ok(fn(cell))
        except BaseException as exc:  # reported to the caller, never lost
            outcome = Failed(exc)
        with lock:
            results[key(cell)] = outcome
        done.release()

    for cell in cells:
        threading.Thread(
            target=run, args=(cell,), daemon=True, name=f"cell-{key(cell)[:8]}"
        ).start()
    _wait_all(done, len(cells), timeout)
    with lock:
        finished = dict(results)
    return {key(c): finished.get(key(c), TimedOut(timeout)) for c in cells}


def _wait_all(done: threading.Semaphore, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for _ in range(count):
        if not done.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return
