"""The measured phases of ``benchmarks.boot``, shared by every mode.

Per mode: one warm-up server (not counted), then the in-run baseline (servers
one at a time), then the open loop (a POST every ``1/rate`` s), then the burst.
A :class:`Harness` tells a phase how to reach the API and how to read the CPU
of whatever runs the services.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import boot_client as rest
from benchmarks import boot_probes as probes
from benchmarks.boot_client import Boot, Poller, RestClient, ThreadCPU
from tessera.placement.client import PlacementClient

FAKE_HOST = {"vcpus": "64", "memory_mb": "262144", "disk_gb": "4000", "spawn_seconds": "0"}
"""``[fake_driver]`` of every compute: room for 500 m1.tiny on any host, zero spawn time."""
BASELINE_POLL = 0.02
"""Seconds between GETs of the one server in flight during the baseline."""


@dataclass(frozen=True)
class Options:
    """What to run."""

    modes: tuple[str, ...]
    """``embedded`` and/or ``multiprocess``."""
    servers: int
    """Servers in the burst."""
    cells: int
    """Real cells."""
    hosts_per_cell: int
    """Fake computes per cell."""
    concurrency: int
    """POST client threads of the burst."""
    baseline: int
    """Servers booted one at a time."""
    poll_rate: float
    """Most GETs per second the burst's poller spends."""
    steady: int
    """Servers of the open-loop phase (0: skip it)."""
    rate: float
    """POSTs per second of the open-loop phase."""
    idle_timeout: float
    """Give up when no server became final for this long."""
    profile: Path | None
    """Where to dump cProfile stats (embedded only); None: no profiling."""


@dataclass
class Phase:
    """One measured phase (baseline or burst) of one mode."""

    name: str
    """``one-at-a-time`` or ``burst``."""
    boots: list[Boot]
    """Every server of the phase."""
    wall: float = 0.0
    """Seconds from the first POST to the last final server."""
    cpu: dict[str, float] = field(default_factory=dict)
    """Who -> CPU seconds during the phase."""
    placement: dict[str, probes.Tally] = field(default_factory=dict)
    """Placement request kind -> tally (embedded only)."""
    sql: dict[str, probes.Tally] = field(default_factory=dict)
    """``database VERB`` -> tally (embedded only)."""
    gets: int = 0
    """GETs the poller spent."""
    stuck: int = 0
    """Servers still in BUILD when the phase gave up waiting."""

    @property
    def active(self) -> list[Boot]:
        """Servers that reached ACTIVE."""
        return [b for b in self.boots if b.status == "ACTIVE"]

    @property
    def throughput(self) -> float:
        """ACTIVE servers per second of wall time."""
        return len(self.active) / self.wall if self.wall else 0.0


@dataclass
class ModeResult:
    """Both phases of one mode, or why the mode did not run."""

    mode: str
    """``embedded`` or ``multiprocess``."""
    hosts: list[str] = field(default_factory=list)
    """Every compute host of the cloud."""
    baseline: Phase | None = None
    """Servers one at a time."""
    steady: Phase | None = None
    """Open loop: one POST every ``1/rate`` s."""
    burst: Phase | None = None
    """The closed-loop burst."""
    unavailable: str | None = None
    """Why the mode did not run, if it did not."""
    time_source: str = ""
    """Where time-to-ACTIVE comes from."""
    cpu_note: str = ""
    """How to read the CPU rows."""
    warmup: Boot | None = None
    """The uncounted first server."""
    audit: Audit | None = None
    """Placement's view of every server after the run."""

    def all_boots(self) -> list[Boot]:
        """Warm-up, baseline and burst servers."""
        boots = [] if self.warmup is None else [self.warmup]
        for phase in (self.baseline, self.steady, self.burst):
            if phase is not None:
                boots += phase.boots
        return boots


@dataclass
class Audit:
    """Do placement's allocations match the servers' final states?"""

    active_unallocated: int = 0
    """ACTIVE servers without an allocation."""
    active_multi: int = 0
    """ACTIVE servers allocated on more than one provider."""
    leaked: int = 0
    """ERROR (or stuck) servers still holding an allocation."""
    project_vcpu: int = 0
    """VCPU placement counts as used by the benchmark's project."""
    expected_vcpu: int = 0
    """VCPU of the ACTIVE servers (m1.tiny: 1 each)."""

    def summary(self) -> str:
        """One line for the report."""
        ok = not (self.active_unallocated or self.active_multi or self.leaked)
        ok = ok and self.project_vcpu == self.expected_vcpu
        return (
            f"{'consistent' if ok else 'INCONSISTENT'}: "
            f"{self.active_unallocated} ACTIVE without allocation, "
            f"{self.active_multi} ACTIVE on >1 provider, "
            f"{self.leaked} ERROR/BUILD still allocated; "
            f"project VCPU usage {self.project_vcpu} vs {self.expected_vcpu} ACTIVE"
        )


Fill = Callable[[list[Boot]], str]
"""Sets ``launched``/``host`` of ACTIVE servers from the cell DBs; returns the time source."""


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the tables."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (``pct`` in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Harness:
    """What a mode's phases need: the REST client, CPU readers and the in-process probes."""

    client: RestClient
    """The compute API."""
    options: Options
    """The run's options."""
    cpu_of: Callable[[], dict[str, float]]
    """Who -> CPU seconds so far (services of this mode, this process, the machine)."""
    placement: probes.PlacementProbe | None = None
    """Placement request timing (embedded only)."""
    sql: probes.SQLProbe | None = None
    """SQL statement timing (embedded only)."""

    @contextmanager
    def measured(self, phase: Phase) -> Iterator[ThreadCPU]:
        """Collect CPU and probe tallies of whatever runs inside into ``phase``."""
        for probe in (self.placement, self.sql):
            if probe is not None:
                probe.tallies.take()
        client_cpu = ThreadCPU()
        before = self.cpu_of()
        yield client_cpu
        after = self.cpu_of()
        phase.cpu = {who: after[who] - before.get(who, 0.0) for who in after}
        phase.cpu["benchmark client threads"] = client_cpu.seconds
        if self.placement is not None:
            phase.placement = self.placement.tallies.take()
        if self.sql is not None:
            phase.sql = self.sql.tallies.take()


def run_baseline(harness: Harness) -> Phase:
    """``--baseline`` servers one at a time."""
    opts = harness.options
    phase = Phase("one-at-a-time", [Boot(i) for i in range(opts.baseline)])
    log(f"baseline: {len(phase.boots)} servers one at a time")
    with harness.measured(phase) as cpu:
        rest.one_at_a_time(harness.client, phase.boots, BASELINE_POLL, opts.idle_timeout, cpu)
    phase.stuck = sum(not b.done.is_set() for b in phase.boots)
    return phase


def run_burst(harness: Harness) -> Phase:
    """``--servers`` servers from ``--concurrency`` clients, polled by one thread."""
    opts = harness.options
    phase = Phase("burst", [Boot(i) for i in range(opts.servers)])
    log(f"burst: {opts.servers} servers from {opts.concurrency} clients")
    with harness.measured(phase) as cpu:
        poller = Poller(harness.client, cpu, opts.poll_rate)
        poller.start()
        rest.burst(harness.client, phase.boots, opts.concurrency, poller, cpu)
        log("burst: all POSTs answered; waiting for ACTIVE")
        rest.wait_all(phase.boots, opts.idle_timeout, lambda n: log(f"  {n}/{opts.servers} final"))
        phase.stuck = len(poller.stop())
        phase.gets = poller.gets
    return phase


def run_steady(harness: Harness) -> Phase:
    """``--steady`` servers open loop at ``--rate`` POSTs/s, polled by one thread."""
    opts = harness.options
    phase = Phase("open-loop", [Boot(i) for i in range(opts.steady)])
    log(f"open loop: {opts.steady} servers at {opts.rate:g} POSTs/s")
    with harness.measured(phase) as cpu:
        poller = Poller(harness.client, cpu, opts.poll_rate)
        poller.start()
        rest.open_loop(harness.client, phase.boots, opts.rate, poller, cpu)
        rest.wait_all(phase.boots, opts.idle_timeout, lambda n: log(f"  {n}/{opts.steady} final"))
        phase.stuck = len(poller.stop())
        phase.gets = poller.gets
    return phase


def audit(result: ModeResult, placement: PlacementClient, settle: float = 5.0) -> Audit:
    """Compare placement's allocations with every server's state (after ``settle`` s)."""
    time.sleep(settle)  # a claim still in flight when its caller gave up lands now
    found = Audit()
    for boot in result.all_boots():
        if boot.server_id is None:
            continue
        providers = len(placement.get_allocations(boot.server_id).allocations)
        if boot.status == "ACTIVE":
            found.expected_vcpu += 1
            found.active_unallocated += providers == 0
            found.active_multi += providers > 1
        else:
            found.leaked += providers > 0
    found.project_vcpu = placement.get_usages(rest.DEMO_TOKEN.split(":")[1]).get("VCPU", 0)
    return found


def run_phases(result: ModeResult, harness: Harness) -> None:
    """Warm up, then the baseline, then the burst."""
    warm = result.warmup = Boot(-1)
    opts = harness.options
    harness.client.lift_quota(rest.DEMO_TOKEN.split(":")[1])
    rest.one_at_a_time(harness.client, [warm], BASELINE_POLL, opts.idle_timeout, ThreadCPU())
    log(f"warm-up server: {warm.status}")
    result.baseline = run_baseline(harness)
    if opts.steady:
        result.steady = run_steady(harness)
    result.burst = run_burst(harness)


def finish(result: ModeResult, fill: Fill) -> None:
    """Fill in ``launched_at`` of ACTIVE servers; compute each phase's wall time."""
    for phase in (result.baseline, result.steady, result.burst):
        if phase is None:
            continue
        result.time_source = fill(phase.active)
        ends = [b.finished for b in phase.boots if b.finished is not None]
        starts = [b.sent for b in phase.boots if b.sent]
        phase.wall = max(ends) - min(starts) if ends and starts else 0.0
