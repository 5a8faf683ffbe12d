"""The tables ``benchmarks.boot`` prints: throughput, latency, CPU, where time went."""

from __future__ import annotations

import os
import statistics
from collections import Counter
from pathlib import Path

from prettytable import PrettyTable

from benchmarks import boot_probes as probes
from benchmarks.boot_phases import ModeResult, Options, Phase, percentile

REFERENCE_BURST = 0.57
"""Servers/s the reference reached on a 200-server open-loop burst (same machine kind)."""
REFERENCE_ONE = 0.79
"""Seconds per server the reference took one at a time."""
POST_P99_GOAL = 0.2
"""Seconds: the goal for POST accept latency at p99."""


def fmt(value: float, digits: int = 2) -> str:
    """A number, or ``-`` for NaN."""
    return "-" if value != value else f"{value:.{digits}f}"


def per_host(phase: Phase, hosts: list[str]) -> tuple[int, int]:
    """Fewest and most ACTIVE servers of the phase on any host (hosts with none count)."""
    counts = Counter({h: 0 for h in hosts})
    counts.update(b.host for b in phase.active if b.host)
    return min(counts.values(), default=0), max(counts.values(), default=0)


def accept_rate(phase: Phase) -> float:
    """POSTs accepted per second, from the first POST sent to the last 202."""
    accepted = [b.accepted for b in phase.boots if b.accepted is not None]
    if not accepted:
        return float("nan")
    return len(accepted) / (max(accepted) - min(b.sent for b in phase.boots))


def errors(phase: Phase) -> str:
    """``POST failures / ERROR / stuck in BUILD``."""
    posts = sum(b.post_error is not None for b in phase.boots)
    failed = sum(b.status == "ERROR" for b in phase.boots)
    return f"{posts} POST / {failed} ERROR / {phase.stuck} BUILD"


def burst_table(results: list[ModeResult]) -> PrettyTable:
    """mode | servers | wall | servers/s | POST p50/p95/p99 | to-ACTIVE p50/p95 | host | errors."""
    table = PrettyTable(
        [
            "mode",
            "servers",
            "wall s",
            "servers/s to ACTIVE",
            "POST p50/p95/p99 ms",
            "POSTs/s accepted",
            "to-ACTIVE p50/p95 s",
            "per-host min/max",
            "errors",
        ]
    )
    for result in results:
        if result.unavailable is not None:
            table.add_row([result.mode, *["-"] * 7, result.unavailable[:40]])
            continue
        phase = result.burst
        assert phase is not None
        posts = [b.post_latency * 1000 for b in phase.boots if b.post_latency is not None]
        active = [b.to_active for b in phase.active if b.to_active is not None]
        low, high = per_host(phase, result.hosts)
        table.add_row(
            [
                result.mode,
                len(phase.boots),
                fmt(phase.wall, 1),
                fmt(phase.throughput),
                "/".join(fmt(percentile(posts, p), 0) for p in (50, 95, 99)),
                fmt(accept_rate(phase), 1),
                "/".join(fmt(percentile(active, p)) for p in (50, 95)),
                f"{low}/{high}",
                errors(phase),
            ]
        )
    return table


def ratio_table(results: list[ModeResult]) -> PrettyTable:
    """The closed-loop baseline of the same run, and the burst against it."""
    table = PrettyTable(
        [
            "mode",
            "one-at-a-time N",
            "s/server",
            "servers/s",
            "burst servers/s",
            "burst / one-at-a-time",
            f"burst / ref {REFERENCE_BURST}/s",
            f"ref {REFERENCE_ONE} s / ours",
            f"burst POST p99 < {POST_P99_GOAL * 1000:.0f} ms",
        ]
    )
    for result in results:
        if result.baseline is None or result.burst is None:
            continue
        base, burst = result.baseline, result.burst
        per_server = base.wall / len(base.active) if base.active else float("nan")
        posts = [b.post_latency for b in burst.boots if b.post_latency is not None]
        p99 = percentile(posts, 99)
        table.add_row(
            [
                result.mode,
                f"{len(base.active)}/{len(base.boots)}",
                fmt(per_server, 3),
                fmt(base.throughput),
                fmt(burst.throughput),
                f"{burst.throughput / base.throughput:.2f}x" if base.throughput else "-",
                f"{burst.throughput / REFERENCE_BURST:.1f}x",
                f"{REFERENCE_ONE / per_server:.1f}x" if per_server == per_server else "-",
                f"{'yes' if p99 < POST_P99_GOAL else 'NO'} ({p99 * 1000:.0f} ms)",
            ]
        )
    return table


def steady_table(results: list[ModeResult]) -> PrettyTable:
    """The open loop: did the cloud keep up, and how long did a POST wait?"""
    table = PrettyTable(
        [
            "mode",
            "servers",
            "POSTs/s offered",
            "servers/s to ACTIVE",
            "vs ref 0.57/s",
            "POST p50/p95/p99 ms",
            "to-ACTIVE p50/p95 s",
            f"POST p99 < {POST_P99_GOAL * 1000:.0f} ms",
            "errors",
        ]
    )
    for result in results:
        phase = result.steady
        if phase is None:
            continue
        posts = [b.post_latency for b in phase.boots if b.post_latency is not None]
        active = [b.to_active for b in phase.active if b.to_active is not None]
        offered = [b.scheduled for b in phase.boots if b.scheduled is not None]
        span = max(offered) - min(offered) if len(offered) > 1 else 0.0
        p99 = percentile(posts, 99)
        table.add_row(
            [
                result.mode,
                len(phase.boots),
                fmt((len(offered) - 1) / span if span else float("nan")),
                fmt(phase.throughput),
                f"{phase.throughput / REFERENCE_BURST:.1f}x",
                "/".join(fmt(percentile(posts, p) * 1000, 0) for p in (50, 95, 99)),
                "/".join(fmt(percentile(active, p)) for p in (50, 95)),
                f"{'yes' if p99 < POST_P99_GOAL else 'NO'} ({p99 * 1000:.0f} ms)",
                errors(phase),
            ]
        )
    return table


def cpu_table(results: list[ModeResult]) -> PrettyTable:
    """CPU seconds per server of each service (or of the shared process)."""
    table = PrettyTable(["mode", "phase", "who", "CPU s", "CPU s/server"])
    table.align["who"] = "l"
    for result in results:
        for phase in (result.baseline, result.steady, result.burst):
            if phase is None:
                continue
            count = max(len(phase.boots), 1)
            for who, seconds in sorted(phase.cpu.items()):
                table.add_row([result.mode, phase.name, who, fmt(seconds), fmt(seconds / count, 4)])
    return table


def tally_table(title: str, tallies: dict[str, probes.Tally], servers: int, wall: float) -> str:
    """Count, per server, total, mean and worst of each kind, biggest total first."""
    table = PrettyTable([title, "count", "per server", "total s", "mean ms", "max ms", "% of wall"])
    table.align[title] = "l"
    ordered = sorted(tallies.items(), key=lambda item: item[1].seconds, reverse=True)
    for kind, tally in ordered:
        table.add_row(
            [
                kind,
                tally.count,
                fmt(tally.count / servers, 1),
                fmt(tally.seconds),
                fmt(tally.seconds / tally.count * 1000, 1),
                fmt(tally.worst * 1000, 0),
                fmt(100 * tally.seconds / wall, 0) if wall else "-",
            ]
        )
    total = sum(t.seconds for t in tallies.values())
    count = sum(t.count for t in tallies.values())
    table.add_row(["(all)", count, fmt(count / servers, 1), fmt(total), "", "", ""])
    return table.get_string()


def breakdown(result: ModeResult) -> str:
    """Where the burst's time went (embedded): placement requests, SQL, polling."""
    phase = result.burst
    if phase is None or not (phase.placement or phase.sql):
        return ""
    count = max(len(phase.boots), 1)
    lag = [b.seen - b.launched for b in phase.active if b.seen and b.launched]
    lines = [
        f"Where the {result.mode} burst's time went ({count} servers, wall {phase.wall:.1f} s; "
        "request and statement times are summed over concurrent threads, so "
        "'% of wall' can exceed 100):",
        tally_table("placement request", phase.placement, count, phase.wall),
        tally_table("SQL statements (database, verb)", _by_database(phase.sql), count, phase.wall),
        tally_table("SQL statements by verb", phase.sql, count, phase.wall),
        f"poller: {phase.gets} GETs ({phase.gets / phase.wall:.0f}/s, "
        f"{phase.gets / count:.1f} per server); a GET saw ACTIVE "
        f"p50 {fmt(percentile(lag, 50))} s / p95 {fmt(percentile(lag, 95))} s after launched_at",
    ]
    return "\n".join(lines)


def _by_database(tallies: dict[str, probes.Tally]) -> dict[str, probes.Tally]:
    merged: dict[str, probes.Tally] = {}
    for key, tally in tallies.items():
        total = merged.setdefault(key.split(" ", 1)[0], probes.Tally())
        total.count += tally.count
        total.seconds += tally.seconds
        total.worst = max(total.worst, tally.worst)
    return merged


def spread(result: ModeResult) -> str:
    """Servers per host of the burst, as ``host:count`` sorted by host."""
    if result.burst is None:
        return ""
    counts = Counter({h: 0 for h in result.hosts})
    counts.update(b.host for b in result.burst.active if b.host)
    cells: dict[str, list[int]] = {}
    for host in sorted(counts, key=lambda h: (h.split("-")[0], int(h.rsplit("compute", 1)[-1]))):
        cells.setdefault(host.split("-")[0], []).append(counts[host])
    parts = [f"{cell}: {' '.join(map(str, values))}" for cell, values in cells.items()]
    spread_sd = statistics.pstdev(counts.values()) if counts else 0.0
    return (
        f"{result.mode} burst, ACTIVE servers per host (compute1..N per cell): "
        + "; ".join(parts)
        + f" (stdev {spread_sd:.1f})"
    )


def profile_summary(stats_file: Path, stats: object, limit: int = 25) -> str:
    """Top tessera/placement functions by cumulative time, and top functions by own time."""
    import pstats

    assert isinstance(stats, pstats.Stats)
    stats.dump_stats(str(stats_file))
    ours = probes.top_functions(
        stats, lambda f: "/tessera/" in f or "/placement/" in f, "cumtime", limit
    )
    own = probes.top_functions(stats, lambda _f: True, "tottime", limit)
    out = [f"cProfile of every thread, merged (stats in {stats_file}); times are CPU seconds"]
    for title, rows in (("tessera/placement by cumulative", ours), ("all by own time", own)):
        table = PrettyTable([title, "calls", "tottime s", "cumtime s"])
        table.align[title] = "l"
        for name, calls, tottime, cumtime in rows:
            table.add_row([name, calls, fmt(tottime), fmt(cumtime)])
        out.append(table.get_string())
    return "\n".join(out)


def report(opts: Options, results: list[ModeResult], profile: str, load: str) -> None:
    """Print every table to stdout."""
    hosts = opts.cells * opts.hosts_per_cell
    print(f"Machine: {os.cpu_count()} CPUs; load average (1/5/15 min) {load}")
    print(
        f"Boot: {opts.servers} x m1.tiny, {opts.cells} cells x {opts.hosts_per_cell} fake hosts "
        f"({hosts} hosts, zero spawn time), {opts.concurrency} POST clients, "
        f"poller <= {opts.poll_rate:.0f} GETs/s"
        + (" -- PROFILED (times inflated)" if opts.profile else "")
    )
    print(burst_table(results))
    for result in results:
        if result.unavailable:
            print(f"{result.mode}: {result.unavailable}")
        else:
            print(f"{result.mode}: time-to-ACTIVE from {result.time_source}")
        if result.audit is not None:
            print(f"{result.mode}: placement audit {result.audit.summary()}")
    print()
    print(ratio_table(results))
    if opts.steady:
        print()
        print(
            f"Open loop: {opts.steady} x m1.tiny, one POST due every {1 / opts.rate:.3g} s "
            "(latency from the due instant)"
        )
        print(steady_table(results))
    print()
    print(cpu_table(results))
    for result in results:
        if result.cpu_note:
            print(f"{result.mode}: {result.cpu_note}")
    for result in results:
        for text in (spread(result), breakdown(result)):
            if text:
                print()
                print(text)
    if profile:
        print()
        print(profile)
