"""One placement read for concurrent requests that ask for the same resources.

Why: an allocation-candidates query is the scheduler's dearest call (hundreds
of ms at a thousand providers), and in a burst many requests ask for the very
same flavor at once. A request that arrives while a read for its resources is
under way waits for that read and uses its answer instead of asking again.

Sharing is safe with the in-flight ledger: a joiner adopts the ledger token
the first request took *before* the read started, so it deducts every claim
the shared answer may not show, exactly as the first request does. An older
snapshot only means more is deducted, which errs towards spreading; a claim
that lost a race in placement falls back to the next host as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from tessera.scheduler.in_flight import InFlightClaims

T = TypeVar("T")
Key = tuple[tuple[str, int], ...]
"""Sorted (resource class, amount) pairs: what makes two reads the same."""


def read_key(resources: Mapping[str, int]) -> Key:
    """The sharing key of a resource request."""
    return tuple(sorted(resources.items()))


@dataclass
class _Flight(Generic[T]):
    """A read under way, and what every participant gets from it."""

    token: int
    """The ledger token taken before the read started."""
    done: threading.Event = field(default_factory=threading.Event)
    """Set once the read finished (with a result or an error)."""
    result: T | None = None
    """The answer, once done without error."""
    error: BaseException | None = None
    """Why the read failed, if it did."""


class SharedReads(Generic[T]):
    """Runs ``read(key)`` once for all concurrent callers with the same key."""

    def __init__(self, ledger: InFlightClaims) -> None:
        self._ledger = ledger
        self._lock = threading.Lock()
        self._flights: dict[Key, _Flight[T]] = {}
        self.reads = 0
        """Reads actually made (for tests and benchmarks)."""
        self.shared = 0
        """Requests that used another request's read."""

    @contextmanager
    def snapshot(self, key: Key, read: Callable[[], T]) -> Iterator[tuple[int, T]]:
        """Yield ``(token, answer)``; the token stays open in the ledger until exit."""
        flight, leader = self._join(key)
        try:
            if leader:
                self._lead(key, flight, read)
            else:
                flight.done.wait()
            if flight.error is not None:
                raise flight.error
            assert flight.result is not None
            yield flight.token, flight.result
        finally:
            self._ledger.close_snapshot(flight.token)

    def _join(self, key: Key) -> tuple[_Flight[T], bool]:
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None:
                self._ledger.join_snapshot(flight.token)
                self.shared += 1
                return flight, False
            flight = _Flight(self._ledger.open_snapshot())
            self._flights[key] = flight
            self.reads += 1
            return flight, True

    def _lead(self, key: Key, flight: _Flight[T], read: Callable[[], T]) -> None:
        try:
            flight.result = read()
        except BaseException as exc:
            flight.error = exc
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()
