"""Benchmark: what placement costs the scheduler, in-process on SQLite.

Usage::

    python -m benchmarks.placement_costs [--providers 1000] [--runs 5]

With N compute-node providers (VCPU 16 at ratio 4, MEMORY_MB 65536, DISK_GB
1000) it times, through the real client and the embedded placement app:

- creating the providers and their inventories (``ensure_resource_provider``
  then ``set_inventory``: 3 requests per provider);
- ``GET /allocation_candidates`` for VCPU:2, MEMORY_MB:2048, DISK_GB:20, in
  full (every provider matches) and with ``limit=10``;
- a single ``claim`` (``PUT /allocations/{consumer}``);
- ``claim_many`` of 10 and 50 consumers (one ``POST /allocations``) against
  as many single claims, with the ratio.

Every step is checked (candidate counts, final usages); a mismatch aborts the run.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path

from prettytable import PrettyTable

from tessera.placement.client import Claim, Inventory, PlacementClient
from tessera.placement.embedded import open_embedded

INVENTORY = {
    "VCPU": Inventory(16, allocation_ratio=4.0),
    "MEMORY_MB": Inventory(65536),
    "DISK_GB": Inventory(1000),
}
FLAVOR = {"VCPU": 2, "MEMORY_MB": 2048, "DISK_GB": 20}
PROJECT, USER = "bench-project", "bench-user"


class BenchmarkError(Exception):
    """A timed step returned something other than what it should have."""


@dataclass(frozen=True)
class Row:
    """One line of the result table."""

    step: str
    """What was timed."""
    runs: int
    """How many times."""
    best_ms: float
    """Fastest run, milliseconds."""
    median_ms: float
    """Median run, milliseconds."""
    note: str = ""
    """Per-request cost, ratio or other remark."""


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the table."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(call: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of each of ``runs`` calls."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def row(step: str, samples: Sequence[float], note: str = "") -> Row:
    """A table row from timing samples."""
    return Row(step, len(samples), min(samples), statistics.median(samples), note)


def create_providers(client: PlacementClient, count: int) -> tuple[list[str], Row]:
    """Create ``count`` providers with inventory; return their uuids and the timing."""
    uuids = [str(uuid.uuid4()) for _ in range(count)]
    start = time.perf_counter()
    for index, rp in enumerate(uuids):
        generation = client.ensure_resource_provider(rp, f"compute{index:05d}")
        client.set_inventory(rp, INVENTORY, generation)
    elapsed = (time.perf_counter() - start) * 1000
    per_request = elapsed / (3 * count)
    return uuids, Row(
        f"ensure + inventory x{count}", 1, elapsed, elapsed, f"{per_request:.1f} ms/request"
    )


def candidates_rows(client: PlacementClient, count: int, runs: int) -> list[Row]:
    """Time allocation candidates in full and with limit=10."""
    found = client.get_allocation_candidates(FLAVOR)
    if len(found.requests) != count:
        raise BenchmarkError(f"expected {count} candidates, got {len(found.requests)}")
    full = timed(lambda: client.get_allocation_candidates(FLAVOR), runs)
    limited = timed(lambda: client.get_allocation_candidates(FLAVOR, limit=10), runs)
    if len(client.get_allocation_candidates(FLAVOR, limit=10).requests) != 10:
        raise BenchmarkError("limit=10 did not return 10 candidates")
    return [
        row(f"GET allocation_candidates ({count} results)", full),
        row("GET allocation_candidates limit=10", limited),
    ]


class Claims:
    """Makes claims for fresh consumers, spread round-robin over the providers."""

    def __init__(self, client: PlacementClient, providers: Sequence[str]) -> None:
        self._client = client
        self._providers = cycle(providers)
        self.made = 0

    def next_claim(self) -> Claim:
        """A claim of one flavor for a new consumer on the next provider."""
        self.made += 1
        return Claim(str(uuid.uuid4()), {next(self._providers): FLAVOR}, PROJECT, USER)

    def single(self) -> None:
        """One ``PUT /allocations/{consumer}``."""
        claim = self.next_claim()
        if not self._client.claim(claim.consumer_uuid, claim.allocations, PROJECT, USER):
            raise BenchmarkError("a single claim did not fit")

    def singles(self, count: int) -> None:
        """``count`` single claims, one request each."""
        for _ in range(count):
            self.single()

    def many(self, count: int) -> None:
        """``count`` claims in one ``POST /allocations``."""
        self._client.claim_many([self.next_claim() for _ in range(count)])


def claim_rows(claims: Claims, runs: int) -> list[Row]:
    """Time single claims, and claim_many against as many single claims."""
    rows = [row("claim (PUT /allocations/{c})", timed(claims.single, runs))]
    for size in (10, 50):
        many = timed(functools.partial(claims.many, size), runs)
        singles = timed(functools.partial(claims.singles, size), runs)
        ratio = statistics.median(singles) / statistics.median(many)
        rows.append(row(f"claim_many x{size} (one POST)", many, f"{ratio:.1f}x faster"))
        rows.append(row(f"{size} single claims", singles))
    return rows


def check_usages(client: PlacementClient, claims: Claims) -> None:
    """Every claim made must show in the project's usages."""
    expected = {rc: amount * claims.made for rc, amount in FLAVOR.items()}
    usages = client.get_usages(PROJECT)
    if usages != expected:
        raise BenchmarkError(f"usages {usages} != expected {expected}")


def render(rows: Sequence[Row]) -> str:
    """The result table."""
    table = PrettyTable(["step", "runs", "best ms", "median ms", "note"])
    table.align = "r"
    table.align["step"] = "l"
    table.align["note"] = "l"
    for item in rows:
        table.add_row(
            [item.step, item.runs, f"{item.best_ms:,.1f}", f"{item.median_ms:,.1f}", item.note]
        )
    return table.get_string()


def run(providers: int, runs: int, directory: Path) -> list[Row]:
    """All steps against a fresh SQLite placement database in ``directory``."""
    with open_embedded(f"sqlite:///{directory / 'placement.db'}") as placement:
        client = PlacementClient(placement.transport())
        log(f"creating {providers} providers")
        uuids, create_row = create_providers(client, providers)
        log("allocation candidates")
        rows = [create_row, *candidates_rows(client, providers, runs)]
        log("claims")
        claims = Claims(client, uuids)
        rows.extend(claim_rows(claims, runs))
        check_usages(client, claims)
        return rows


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--providers", type=int, default=1000, help="resource providers (N)")
    parser.add_argument("--runs", type=int, default=5, help="repetitions per timed step")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="placement-bench-") as tmp:
        try:
            rows = run(args.providers, args.runs, Path(tmp))
        except BenchmarkError as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
    print(render(rows))
    print(
        f"\n{args.providers} providers, in-process WSGI on a SQLite file; "
        "ratio = median of the single claims / median of claim_many."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
