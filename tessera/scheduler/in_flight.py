"""The ledger of claims this scheduler made that a candidates snapshot may not show.

Why: every request weighs hosts on placement's provider summaries. Requests
that run at the same time read the same usage and all pick the same "best"
host; the reference piled most of a burst onto one host this way. Each
request therefore deducts what this process has claimed (or is about to
claim) that its own snapshot cannot contain yet.

Ordering uses one counter. A request takes a *token* before it asks placement
for candidates; a claim gets a *done* number once placement confirmed it. A
claim with ``done <= token`` finished before the snapshot was read, so the
snapshot includes it; any other claim (unconfirmed, or confirmed later) is
deducted. A claim confirmed during the snapshot read may be counted twice,
which only errs towards spreading. Confirmed entries are dropped once every
open snapshot is newer than them.

Choosing a host and reserving it happen under :meth:`InFlightClaims.deciding`,
so two threads never both pick a host on the strength of the same free space.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace

Usage = dict[str, dict[str, int]]
"""Provider uuid -> resource class -> amount."""


@dataclass(frozen=True)
class _Entry:
    """One claim of this process."""

    provider: str
    """The root provider (compute node) it lands on."""
    resources: Mapping[str, int]
    """Resource class -> amount."""
    done: int | None = None
    """Counter value when placement confirmed it; None while unconfirmed."""


class InFlightClaims:
    """Claims of this process, keyed by provider, until snapshots include them."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._seq = 0
        self._entries: dict[int, _Entry] = {}
        self._open: Counter[int] = Counter()

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    @contextmanager
    def deciding(self) -> Iterator[None]:
        """Hold while reading :meth:`usage_since` and reserving the chosen host."""
        with self._lock:
            yield

    def open_snapshot(self) -> int:
        """Take a token before asking placement for candidates."""
        with self._lock:
            token = self._next()
            self._open[token] += 1
            return token

    def join_snapshot(self, token: int) -> None:
        """Share the snapshot another request opened at ``token`` (still open)."""
        with self._lock:
            if self._open[token] <= 0:
                raise ValueError(f"snapshot {token} is not open")
            self._open[token] += 1

    def close_snapshot(self, token: int) -> None:
        """The request holding ``token`` is done with its snapshot."""
        with self._lock:
            self._open[token] -= 1
            if self._open[token] <= 0:
                del self._open[token]
            self._prune()

    def usage_since(self, token: int) -> Usage:
        """What the snapshot taken at ``token`` does not show: provider -> rc -> amount."""
        with self._lock:
            usage: Usage = {}
            for entry in self._entries.values():
                if entry.done is None or entry.done > token:
                    per_rc = usage.setdefault(entry.provider, {})
                    for rc, amount in entry.resources.items():
                        per_rc[rc] = per_rc.get(rc, 0) + amount
            return usage

    def reserve(self, provider: str, resources: Mapping[str, int]) -> int:
        """Record a claim about to be written; return its id for confirm/cancel."""
        with self._lock:
            entry_id = self._next()
            self._entries[entry_id] = _Entry(provider, dict(resources))
            return entry_id

    def confirm(self, entry_id: int) -> None:
        """Placement accepted the claim."""
        with self._lock:
            entry = self._entries.get(entry_id)
            if entry is not None:
                self._entries[entry_id] = replace(entry, done=self._next())
            self._prune()

    def cancel(self, entry_id: int) -> None:
        """The claim was not written (or was released again)."""
        with self._lock:
            self._entries.pop(entry_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _prune(self) -> None:
        # A snapshot opened after ``done`` includes the claim; new ones all will.
        oldest = min(self._open, default=self._seq)
        stale = [i for i, e in self._entries.items() if e.done is not None and e.done <= oldest]
        for entry_id in stale:
            del self._entries[entry_id]
