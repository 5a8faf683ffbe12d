"""Benchmark: boot a burst of servers through the REST API and time them to ACTIVE.

Usage::

    python -m benchmarks.boot [--mode embedded|multiprocess|all] [--servers 500]
        [--hosts-per-cell 10] [--concurrency 16] [--baseline 20] [--poll-rate 20]
        [--profile FILE]

A cloud of 2 cells x ``--hosts-per-cell`` fake hosts (64 vCPU, 256 GiB, 4000 GB
each; zero spawn time) boots, per mode and in this order:

1. one warm-up server (not counted);
2. the in-run baseline: ``--baseline`` servers one at a time (POST, poll every
   20 ms until ACTIVE, next);
3. the burst: ``--servers`` POSTs from ``--concurrency`` client threads, each
   issuing its next POST as soon as the last was accepted; a single poller
   thread GETs the pending servers round-robin, at most ``--poll-rate`` GETs/s.

Time-to-ACTIVE is POST sent -> the ``launched_at`` the compute wrote, read from
the cell database after the run: microseconds on SQLite (embedded); on MariaDB
the column keeps whole seconds, so the instant is narrowed to that second and
the interval between the last GET that saw BUILD and the first that saw ACTIVE
(midpoint, error < 0.5 s). Throughput is ACTIVE servers over the time from the
first POST to the last ACTIVE. The poller only has to notice completion, so it
is kept cheap (a GET costs the API ~3 ms of CPU).

After the run every server's allocation is checked in placement (ACTIVE: one
provider; ERROR: none; project usage = ACTIVE servers).

CPU: embedded mode has one process for every service and the benchmark's own
client threads (their CPU is measured per thread and subtracted); multiprocess
mode reads each service's ``/proc/<pid>/stat``. Both report the rest of the
machine's busy CPU, since other work on a 2-core machine skews every figure.

``--profile FILE`` runs every thread under cProfile (much slower: use it for
where time goes, not for the figures), dumps the merged stats to FILE and
prints the top tessera/placement functions.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from prettytable import PrettyTable

from benchmarks import boot_probes as probes
from benchmarks.boot_client import Boot, RestClient
from benchmarks.boot_phases import (
    FAKE_HOST,
    Fill,
    Harness,
    ModeResult,
    Options,
    Phase,
    audit,
    finish,
    log,
    percentile,
    run_phases,
)
from tessera.context import RequestContext
from tessera.deploy.cloud import EmbeddedCloud
from tessera.deploy.embedded import EmbeddedLayout, prepare
from tessera.placement.client import PlacementClient

REFERENCE_BURST = 0.57
"""Servers/s the reference reached on a 200-server open-loop burst (same machine kind)."""
REFERENCE_ONE = 0.79
"""Seconds per server the reference took one at a time."""
POST_P99_GOAL = 0.2
"""Seconds: the goal for POST accept latency at p99."""
ADMIN = RequestContext(user_id="admin", project_id="admin", roles=("admin",), is_admin=True)
EMBEDDED_CPU_NOTE = (
    "one process: every service AND the benchmark's client threads share it; "
    "'services' = process CPU minus the client threads' own CPU (time.thread_time); "
    "'rest of machine' = machine busy CPU outside this process (other users' work)"
)


# --------------------------------------------------------------------------- embedded


def process_cpu() -> float:
    """User + system CPU seconds of this process so far."""
    times = os.times()
    return times.user + times.system


def embedded_cpu() -> dict[str, float]:
    """This process's CPU, and the rest of the machine's."""
    own = process_cpu()
    return {"whole process": own, "rest of machine": probes.machine_busy() - own}


def embedded_filler(cloud: EmbeddedCloud) -> Fill:
    """Reads ``launched_at`` and host through the cloud's own ServerAPI (in-process)."""
    assert cloud.server_api is not None
    api = cloud.server_api

    def fill(boots: list[Boot]) -> str:
        for boot in boots:
            assert boot.server_id is not None
            record = api.get(ADMIN, boot.server_id).instance
            if record.launched_at is not None:
                boot.launched = record.launched_at.replace(tzinfo=datetime.UTC).timestamp()
            boot.host = boot.host or record.host
        return "launched_at (cell DB, microseconds)"

    return fill


def run_embedded(opts: Options, profiles: probes.ThreadProfiles | None) -> ModeResult:
    """Every service in this process, SQLite and in-process transports."""
    result = ModeResult("embedded", cpu_note=EMBEDDED_CPU_NOTE)
    with tempfile.TemporaryDirectory(prefix="tessera-boot-") as tmp:
        layout = EmbeddedLayout(
            Path(tmp) / "cloud", opts.cells, opts.hosts_per_cell, api_port=0, fake_driver=FAKE_HOST
        )
        cloud = EmbeddedCloud(layout)
        log(f"embedded: preparing {opts.cells} cells x {opts.hosts_per_cell} hosts in {tmp}")
        prepare(layout)
        placement, sql = probes.PlacementProbe(), probes.SQLProbe()
        sql.install()
        if profiles is not None:
            profiles.start()
        with placement.installed():
            cloud.start()
        try:
            cloud.discover_hosts()
            assert cloud.api_server is not None
            result.hosts = [h for cell in layout.plan().cells for h in cell.computes]
            client = RestClient(f"http://127.0.0.1:{cloud.api_server.port}/v2.1")
            run_phases(result, Harness(client, opts, embedded_cpu, placement, sql))
            finish(result, embedded_filler(cloud))
            assert cloud.placement is not None
            result.audit = audit(result, PlacementClient(cloud.placement.transport()))
            for phase in (result.baseline, result.burst):
                assert phase is not None
                own = phase.cpu["whole process"] - phase.cpu["benchmark client threads"]
                phase.cpu["services (process - client)"] = own
        finally:
            log("embedded: stopping")
            cloud.stop()
            sql.remove()
    return result


# --------------------------------------------------------------------------- multiprocess


def run_multiprocess(opts: Options) -> ModeResult:
    """Each service its own process on MariaDB + RabbitMQ (``tessera devstack``)."""
    if importlib.util.find_spec("tessera.deploy.devstack") is None:
        return ModeResult(
            "multiprocess",
            unavailable="not available yet: tessera/deploy/devstack.py does not exist",
        )
    try:
        from benchmarks import boot_multiprocess
    except ImportError as exc:
        return ModeResult("multiprocess", unavailable=f"not available yet: {exc}")
    try:
        return boot_multiprocess.run(opts)
    except Exception as exc:  # report it in the table; keep the embedded results
        log(f"multiprocess: failed: {exc!r}")
        return ModeResult("multiprocess", unavailable=f"failed: {type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- tables


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
            f"POST p99 < {POST_P99_GOAL * 1000:.0f} ms",
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


def cpu_table(results: list[ModeResult]) -> PrettyTable:
    """CPU seconds per server of each service (or of the shared process)."""
    table = PrettyTable(["mode", "phase", "who", "CPU s", "CPU s/server"])
    table.align["who"] = "l"
    for result in results:
        for phase in (result.baseline, result.burst):
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


# --------------------------------------------------------------------------- main


def parse(argv: Sequence[str] | None) -> Options:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("embedded", "multiprocess", "all"), default="all")
    parser.add_argument("--servers", type=int, default=500)
    parser.add_argument("--cells", type=int, default=2)
    parser.add_argument("--hosts-per-cell", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--baseline", type=int, default=20, help="one-at-a-time servers")
    parser.add_argument("--poll-rate", type=float, default=20.0, help="GETs/s, all servers")
    parser.add_argument("--idle-timeout", type=float, default=120.0)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile stats file")
    args = parser.parse_args(argv)
    modes = ("embedded", "multiprocess") if args.mode == "all" else (args.mode,)
    return Options(
        modes,
        args.servers,
        args.cells,
        args.hosts_per_cell,
        args.concurrency,
        args.baseline,
        args.poll_rate,
        args.idle_timeout,
        args.profile,
    )


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen modes and print the tables."""
    opts = parse(argv)
    load = "at start {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())
    logs = probes.LogCounter.install()
    results: list[ModeResult] = []
    profile = ""
    for mode in opts.modes:
        if mode == "embedded":
            profiles = probes.ThreadProfiles() if opts.profile else None
            results.append(run_embedded(opts, profiles))
            if profiles is not None and opts.profile is not None:
                profile = profile_summary(opts.profile, profiles.stop())
        else:
            results.append(run_multiprocess(opts))
    load += ", at end {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())
    report(opts, results, profile, load)
    if logs.counts:
        print()
        print("Log records at WARNING and above (level, logger, message template: count):")
        for (level, name, msg), count in logs.counts.most_common():
            print(f"  {level} {name}: {msg!r}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
