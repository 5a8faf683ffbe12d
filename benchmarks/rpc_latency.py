"""Benchmark: RPC ``call`` round-trip latency of ``inproc://`` against ``rabbit://`` and ``fake://``.

Usage::

    python -m benchmarks.rpc_latency [--inproc-calls 2000] [--rabbit-calls 500]
                                     [--fake-calls 100] [--rabbit-url URL] [--no-rabbit]

Per transport it starts one RPC server (threading executor) with a trivial
endpoint, warms up, then times sequential ``call``\\ s from the main thread through
the public oslo.messaging API, and prints p50/p99 latency, calls per second and
how many times ``inproc://``'s p50 latency each transport's p50 is. RabbitMQ must be running
at ``--rabbit-url`` (default: the ``/`` vhost on 127.0.0.1:5672 as guest).
``fake://`` is oslo.messaging's own test driver, which polls every 50 ms.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oslo_config import cfg
from prettytable import PrettyTable

from tessera.rpc.transports import messaging_conf

with warnings.catch_warnings():
    # oslo.messaging imports eventlet (never monkey-patched here), which warns on import.
    warnings.simplefilter("ignore")
    import oslo_messaging as om

DEFAULT_RABBIT_URL = "rabbit://guest:guest@127.0.0.1:5672/"


@dataclass(frozen=True)
class Result:
    """Timings of one transport."""

    transport: str
    calls: int
    p50_ms: float
    p99_ms: float
    calls_per_s: float


class _Endpoint:
    """The trivial RPC endpoint being called."""

    target = om.Target(version="1.0")

    def ping(self, ctxt: dict[str, Any], n: int) -> dict[str, int]:
        """Echo ``n`` back."""
        return {"n": n}


def _time_calls(client: Any, calls: int) -> list[float]:
    """Seconds taken by each of ``calls`` sequential calls."""
    samples = []
    for n in range(calls):
        started = time.perf_counter()
        client.call({}, "ping", n=n)
        samples.append(time.perf_counter() - started)
    return samples


def _percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``samples`` (inclusive method)."""
    return statistics.quantiles(samples, n=100, method="inclusive")[round(fraction * 100) - 1]


def measure(conf: cfg.ConfigOpts, name: str, url: str, calls: int, warmup: int) -> Result:
    """Time ``calls`` calls through a server on ``url`` after ``warmup`` untimed ones."""
    transport = om.get_rpc_transport(conf, url=url)
    topic = f"bench-{secrets.token_hex(4)}"
    server = om.get_rpc_server(transport, om.Target(topic=topic, server="bench"), [_Endpoint()])
    server.start()
    try:
        client = om.get_rpc_client(transport, om.Target(topic=topic, version="1.0"), timeout=30)
        _time_calls(client, warmup)
        wall = time.perf_counter()
        samples = _time_calls(client, calls)
        wall = time.perf_counter() - wall
    finally:
        server.stop()
        server.wait()
        transport.cleanup()
    return Result(
        name,
        calls,
        _percentile(samples, 0.50) * 1000,
        _percentile(samples, 0.99) * 1000,
        calls / wall,
    )


def render(results: list[Result]) -> str:
    """The results as a table; the ratio is each transport's p50 over inproc's p50."""
    baseline = next((r.p50_ms for r in results if r.transport == "inproc://"), None)
    table = PrettyTable(["transport", "calls", "p50 ms", "p99 ms", "calls/s", "ratio vs inproc"])
    for r in results:
        ratio = f"{r.p50_ms / baseline:.1f}x" if baseline else "-"
        row = [r.transport, r.calls, f"{r.p50_ms:.3f}", f"{r.p99_ms:.3f}", f"{r.calls_per_s:.0f}"]
        table.add_row([*row, ratio])
    table.align = "r"
    table.align["transport"] = "l"
    return str(table)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.rpc_latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--inproc-calls", type=int, default=2000)
    parser.add_argument("--rabbit-calls", type=int, default=500)
    parser.add_argument("--fake-calls", type=int, default=100)
    parser.add_argument("--rabbit-url", default=DEFAULT_RABBIT_URL)
    parser.add_argument("--no-rabbit", action="store_true", help="skip RabbitMQ")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every transport in turn and print the table."""
    args = parse_args(argv)
    conf = messaging_conf()
    plan = [("inproc://", "inproc:///bench", args.inproc_calls, 200)]
    if not args.no_rabbit:
        plan.append(("rabbit://", args.rabbit_url, args.rabbit_calls, 50))
    plan.append(("fake://", "fake:///bench", args.fake_calls, 2))
    results = []
    for name, url, calls, warmup in plan:
        print(f"timing {calls} calls on {name} ...", file=sys.stderr, flush=True)
        results.append(measure(conf, name, url, calls, warmup))
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
