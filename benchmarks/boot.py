"""Benchmark: boot a burst of servers through the REST API and time them to ACTIVE.

Usage::

    python -m benchmarks.boot [--mode embedded|multiprocess|all] [--servers 500]
        [--hosts-per-cell 10] [--concurrency 16] [--baseline 20] [--poll-rate 20]
        [--steady 200] [--rate 6] [--profile FILE]

A cloud of 2 cells x ``--hosts-per-cell`` fake hosts (64 vCPU, 256 GiB, 4000 GB
each; zero spawn time) boots, per mode and in this order:

1. one warm-up server (not counted);
2. the in-run baseline: ``--baseline`` servers one at a time (POST, poll every
   20 ms until ACTIVE, next);
3. the open loop: ``--steady`` servers, one POST due every ``1/--rate`` s
   whatever the answers (the shape of the reference's measurement, at 10x
   its throughput by default); POST latency counts from the due instant;
4. the burst: ``--servers`` POSTs from ``--concurrency`` client threads, each
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
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks import boot_probes as probes
from benchmarks.boot_client import Boot, RestClient
from benchmarks.boot_phases import (
    FAKE_HOST,
    Fill,
    Harness,
    ModeResult,
    Options,
    audit,
    finish,
    log,
    run_phases,
)
from benchmarks.boot_report import profile_summary, report
from tessera.context import RequestContext
from tessera.deploy.cloud import EmbeddedCloud
from tessera.deploy.embedded import EmbeddedLayout, prepare
from tessera.placement.client import PlacementClient

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
            for phase in (result.baseline, result.steady, result.burst):
                if phase is None:
                    continue
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
    parser.add_argument("--steady", type=int, default=200, help="open-loop servers (0: skip)")
    parser.add_argument("--rate", type=float, default=6.0, help="open-loop POSTs/s")
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
        args.steady,
        args.rate,
        args.idle_timeout,
        args.profile,
    )


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
