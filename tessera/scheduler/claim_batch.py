"""Group commit of claims: one placement write for the claims of many requests.

Why: every request's claim is a placement write, and placement's writes run
one at a time (SQLite has a single writer; the embedded app serializes them).
Under a burst each request queued behind every other request's write, so the
wait grew with the burst while the database did little per write.

Here a request's claims join a queue. Whoever finds no write in progress
becomes the writer: it writes everything queued (its own claims first) with
one all-or-nothing ``POST /allocations``. Requests arriving meanwhile queue up,
and when the write is done the oldest of them becomes the next writer. There
is no timer: a batch is whatever arrived while the previous one was written,
so a lone request is written at once and a burst shares few writes.

All or nothing holds per request, not per batch: when placement refuses a
batch (one claim no longer fits, say), each request's claims are written again
on their own, so the bad claim fails only its own request.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from tessera.placement.client import Claim, PlacementClient
from tessera.placement.errors import Conflict, PlacementError

LOG = logging.getLogger(__name__)

MAX_BATCH_CLAIMS = 64
"""Claims per write; keeps one placement transaction (and its lock hold) short."""


@dataclass(eq=False)
class _Pending:
    """One request's claims waiting in the queue, and then their outcome."""

    claims: tuple[Claim, ...]
    consumers: frozenset[str]
    ready: threading.Event = field(default_factory=threading.Event)
    """Set when ``outcome``/``error`` is known, or when this request must write next."""
    outcome: bool | None = None
    """True: written; False: placement refused them as not fitting."""
    error: PlacementError | None = None
    """Placement failed otherwise (unreachable, 5xx, malformed)."""

    @property
    def settled(self) -> bool:
        return self.outcome is not None or self.error is not None

    def result(self) -> bool:
        """The outcome, or this request's own copy of the error raised."""
        if self.error is not None:
            # Several requests may share one error; each raises its own instance
            # so concurrent raises do not rewrite one traceback.
            raise copy.copy(self.error) from self.error
        assert self.outcome is not None, "result() before the claims were written"
        return self.outcome


class ClaimBatcher:
    """Writes concurrent requests' claims together; each request gets its own answer."""

    def __init__(self, placement: PlacementClient, max_claims: int = MAX_BATCH_CLAIMS) -> None:
        self._placement = placement
        self._max_claims = max_claims
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        # Invariant: the queue is non-empty only while a write is in progress,
        # so a request arriving at an idle batcher is always at the queue's head.
        self._writing = False

    @property
    def queued(self) -> int:
        """Requests whose claims wait for a write to start."""
        with self._lock:
            return len(self._queue)

    def claim(self, claims: Sequence[Claim]) -> bool:
        """Write the claims, all or nothing; False when placement refused them as not fitting.

        Raises PlacementError when placement failed otherwise, as a lone write would.
        """
        if not claims:
            return True
        consumers = frozenset(c.consumer_uuid for c in claims)
        if len(consumers) != len(claims):
            raise ValueError("claim: a consumer appears more than once")
        pending = _Pending(tuple(claims), consumers)
        if not self._enqueue(pending):
            pending.ready.wait()
        if not pending.settled:
            # Either the batcher was idle or the last writer handed over to us.
            self._lead()
        return pending.result()

    def _enqueue(self, pending: _Pending) -> bool:
        """Queue the request; True when it must write now (no write was in progress)."""
        with self._lock:
            self._queue.append(pending)
            if self._writing:
                return False
            self._writing = True
            return True

    def _lead(self) -> None:
        """Write one batch headed by this thread's own request, then hand over."""
        batch: list[_Pending] = []
        try:
            batch = self._take()
            self._write(batch)
        finally:
            # Whatever happened, nobody in the batch may wait forever and the
            # queue must get a writer.
            for pending in batch:
                if not pending.settled:
                    pending.error = PlacementError("The claim batch's writer failed")
            self._hand_over()
            for pending in batch:
                pending.ready.set()

    def _take(self) -> list[_Pending]:
        """The queue's head plus whatever else fits one write; the rest stays queued in order."""
        with self._lock:
            head = self._queue[0]
            batch, rest = [head], []
            consumers = set(head.consumers)
            size = len(head.claims)
            for pending in self._queue[1:]:
                # One consumer twice in a write is malformed; it waits for the next.
                fits = size + len(pending.claims) <= self._max_claims
                if fits and consumers.isdisjoint(pending.consumers):
                    batch.append(pending)
                    consumers |= pending.consumers
                    size += len(pending.claims)
                else:
                    rest.append(pending)
            self._queue = rest
            return batch

    def _hand_over(self) -> None:
        """Make the oldest queued request the next writer, or go idle."""
        with self._lock:
            if not self._queue:
                self._writing = False
                return
            head = self._queue[0]
        # Not settled, so its thread wakes up as the writer.
        head.ready.set()

    def _write(self, batch: list[_Pending]) -> None:
        if len(batch) == 1:
            self._write_alone(batch[0])
            return
        claims = [claim for pending in batch for claim in pending.claims]
        try:
            self._placement.claim_many(claims)
        except PlacementError as exc:
            if not _refused(exc):
                # Unreachable or failing: writing each again would fail the same way.
                for pending in batch:
                    pending.error = exc
                return
            LOG.info(
                "Placement refused %d claims of %d requests together (%s); "
                "writing each request's claims on their own",
                len(claims),
                len(batch),
                exc,
            )
            for pending in batch:
                self._write_alone(pending)
            return
        LOG.debug("Wrote %d claims of %d requests in one request", len(claims), len(batch))
        for pending in batch:
            pending.outcome = True

    def _write_alone(self, pending: _Pending) -> None:
        """Write one request's claims; "does not fit" is an outcome, other failures errors."""
        try:
            self._placement.claim_many(pending.claims)
        except Conflict as exc:
            LOG.info("Claiming %d instances at once conflicted: %s", len(pending.claims), exc)
            pending.outcome = False
        except PlacementError as exc:
            pending.error = exc
        else:
            pending.outcome = True


def _refused(exc: PlacementError) -> bool:
    """Placement answered 4xx: it wrote nothing, and the cause may be one request's claims."""
    return 400 <= exc.status < 500
