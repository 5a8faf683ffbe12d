"""Concurrent requests for the same resources share one placement read."""

from __future__ import annotations

import threading

import pytest

from tessera.scheduler.in_flight import InFlightClaims
from tessera.scheduler.shared_reads import SharedReads, read_key

KEY = read_key({"VCPU": 1, "MEMORY_MB": 512})


class BlockingRead:
    """A read that waits until released, counting its calls."""

    def __init__(self, answer: str = "candidates", error: Exception | None = None) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        self._answer, self._error = answer, error

    def __call__(self) -> str:
        self.calls += 1
        self.started.set()
        assert self.release.wait(10)
        if self._error is not None:
            raise self._error
        return self._answer


def _take(reads: SharedReads[str], read: BlockingRead, out: list[object]) -> None:
    try:
        with reads.snapshot(KEY, read) as taken:
            out.append(taken)
    except Exception as exc:
        out.append(exc)


def _run_pair(reads: SharedReads[str], read: BlockingRead) -> list[object]:
    out: list[object] = []
    first = threading.Thread(target=_take, args=(reads, read, out))
    first.start()
    assert read.started.wait(10)
    second = threading.Thread(target=_take, args=(reads, read, out))
    second.start()
    while reads.shared < 1:  # the second request has joined the read under way
        threading.Event().wait(0.001)
    read.release.set()
    first.join(10)
    second.join(10)
    return out


def test_a_request_arriving_during_a_read_uses_its_answer_and_token() -> None:
    ledger = InFlightClaims()
    reads: SharedReads[str] = SharedReads(ledger)
    read = BlockingRead()
    out = _run_pair(reads, read)
    assert read.calls == 1 and reads.reads == 1 and reads.shared == 1
    assert len(out) == 2 and out[0] == out[1]
    token, answer = out[0]  # type: ignore[misc]
    assert answer == "candidates" and token >= 1


def test_the_shared_token_keeps_claims_deducted_until_every_sharer_is_done() -> None:
    ledger = InFlightClaims()
    reads: SharedReads[str] = SharedReads(ledger)
    entered = threading.Event()
    leave = threading.Event()

    def long_request() -> None:
        with reads.snapshot(KEY, lambda: "answer"):
            entry = ledger.reserve("node-1", {"VCPU": 1})
            ledger.confirm(entry)
            entered.set()
            assert leave.wait(10)

    worker = threading.Thread(target=long_request)
    worker.start()
    assert entered.wait(10)
    # The claim confirmed after the token was taken is still deducted for that token.
    with reads.snapshot(KEY, lambda: "later") as (later_token, answer):
        assert answer == "later" and later_token > 1
    assert ledger.usage_since(1) == {"node-1": {"VCPU": 1}}
    leave.set()
    worker.join(10)
    assert len(ledger) == 0  # pruned once no snapshot is older than the claim


def test_a_failed_read_fails_every_sharer_and_the_next_request_reads_again() -> None:
    ledger = InFlightClaims()
    reads: SharedReads[str] = SharedReads(ledger)
    failing = BlockingRead(error=RuntimeError("placement is down"))
    out = _run_pair(reads, failing)
    assert [type(e) for e in out] == [RuntimeError, RuntimeError]
    with reads.snapshot(KEY, lambda: "fresh") as (_, answer):
        assert answer == "fresh"
    assert reads.reads == 2


def test_different_resources_are_read_separately() -> None:
    reads: SharedReads[str] = SharedReads(InFlightClaims())
    with (
        reads.snapshot(read_key({"VCPU": 1}), lambda: "one"),
        reads.snapshot(read_key({"VCPU": 2}), lambda: "two") as (_, answer),
    ):
        assert answer == "two"
    assert reads.reads == 2 and reads.shared == 0


def test_joining_a_closed_snapshot_is_refused() -> None:
    ledger = InFlightClaims()
    token = ledger.open_snapshot()
    ledger.close_snapshot(token)
    with pytest.raises(ValueError):
        ledger.join_snapshot(token)
