"""Scatter-gather outcomes and the request context's wire form."""

from __future__ import annotations

import threading
import time

from tessera.context import Failed, Ok, RequestContext, TimedOut, scatter_gather


def _key(name: str) -> str:
    return name


def test_every_cell_answers() -> None:
    results = scatter_gather(["a", "b", "c"], _key, str.upper, timeout=5)
    assert results == {"a": Ok("A"), "b": Ok("B"), "c": Ok("C")}


def test_a_failing_cell_is_reported_not_raised() -> None:
    def fn(cell: str) -> int:
        if cell == "down":
            raise ConnectionError("cell database unreachable")
        return 1

    results = scatter_gather(["up", "down"], _key, fn, timeout=5)
    assert results["up"] == Ok(1)
    failed = results["down"]
    assert isinstance(failed, Failed)
    assert isinstance(failed.error, ConnectionError)


def test_a_slow_cell_times_out_without_delaying_the_others() -> None:
    release = threading.Event()

    def fn(cell: str) -> str:
        if cell == "slow":
            release.wait(10)
        return cell

    started = time.monotonic()
    results = scatter_gather(["fast", "slow"], _key, fn, timeout=0.2)
    elapsed = time.monotonic() - started
    release.set()
    assert results["fast"] == Ok("fast")
    assert isinstance(results["slow"], TimedOut)
    assert elapsed < 5  # bounded by the deadline, not by the hung cell


def test_cells_run_concurrently() -> None:
    barrier = threading.Barrier(4, timeout=5)

    def fn(cell: str) -> str:
        barrier.wait()  # deadlocks (and times out) unless all four run at once
        return cell

    results = scatter_gather(list("wxyz"), _key, fn, timeout=5)
    assert all(isinstance(r, Ok) for r in results.values())


def test_context_round_trips_through_its_wire_form() -> None:
    ctx = RequestContext(user_id="u", project_id="p", roles=("member",))
    assert RequestContext.from_dict(ctx.to_dict()) == ctx
    elevated = ctx.elevated()
    assert elevated.is_admin and "admin" in elevated.roles
    assert elevated.request_id == ctx.request_id
