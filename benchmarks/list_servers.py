"""Benchmark: one sorted page of servers across two cells, against the bare SQL under it.

Usage::

    python -m benchmarks.list_servers [--servers 10000] [--runs 50]

On SQLite files, one project's servers are spread evenly over two cells
(cell0 mapped and empty, about 2% in ERROR with a fault). It times, as p50/p90 of
``--runs`` calls:

- the lister (:class:`~tessera.compute.multi_cell_list.ServerLister`) for a
  100-server page: first page, a page deep in the list (marker), by name;
- the same page through HTTP (``GET /v2.1/servers/detail?limit=100``,
  Falcon's test client: validation, lister and the full server views);
- the floor: the page query the lister sends, as bare SQL text, once per
  cell for its share of the page, sequentially, with and without the flavor
  and metadata reads for those rows.

Every lister page is checked against the expected order; a mismatch aborts.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import statistics
import sys
import tempfile
import time
import uuid as uuidlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from falcon import testing
from oslo_config import cfg
from prettytable import PrettyTable
from sqlalchemy.engine import Engine

from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.api.server_list import install
from tessera.cells.targets import CellTargets
from tessera.compute.api import ServerAPI
from tessera.compute.list_query import ListQuery, SortKey
from tessera.compute.multi_cell_list import ServerLister
from tessera.conductor.rpcapi import SuperConductorAPI
from tessera.context import RequestContext
from tessera.db import migration
from tessera.db.engines import Databases, create_engine
from tessera.objects import cell_mapping, instance_mapping
from tessera.objects import instance as instances
from tessera.objects.cell_mapping import CELL0_UUID, URLBases
from tessera.objects.instance_fault import TABLE as FAULTS
from tessera.placement.client import PlacementClient
from tessera.rpc.registry import TransportRegistry

PROJECT = "bench"
CTX = RequestContext(user_id="bench-user", project_id=PROJECT, roles=("member",))
T0 = datetime.datetime(2024, 1, 1)
PAGE = 100
FLOOR_SQL = (
    "SELECT {columns} FROM instances WHERE hidden IS NOT 1 AND project_id = :project "
    "AND deleted = 0 ORDER BY {order} LIMIT :size"
)
BY_CREATION = "created_at DESC, uuid ASC"
BY_NAME = "display_name ASC, uuid ASC"


class BenchmarkError(Exception):
    """A page came back other than it should have."""


@dataclass(frozen=True)
class Row:
    """One line of the result table."""

    step: str
    """What was timed."""
    p50_ms: float
    """Median, milliseconds."""
    p90_ms: float
    """90th percentile, milliseconds."""
    note: str = ""
    """Remark."""


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the table."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(step: str, call: Callable[[], object], runs: int, note: str = "") -> Row:
    """Time ``runs`` calls after one warm-up call."""
    call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    p90 = statistics.quantiles(samples, n=10)[-1] if len(samples) > 1 else samples[0]
    return Row(step, statistics.median(samples), p90, note)


# --------------------------------------------------------------------------- the cloud


def migrated(directory: Path, name: str, schema: migration.Schema) -> tuple[str, Engine]:
    url = f"sqlite:///{directory / name}.db"
    engine = create_engine(url)
    migration.upgrade(engine, schema)
    return url, engine


def server_rows(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` servers of one project; creation times with ties, shuffled names."""
    rng = random.Random(seed)
    names = [f"server-{n:05d}" for n in range(count)]
    rng.shuffle(names)
    return [
        {
            "uuid": str(uuidlib.UUID(int=rng.getrandbits(128), version=4)),
            "project_id": PROJECT,
            "user_id": "bench-user",
            "display_name": names[n],
            "vm_state": "error" if n % 49 == 0 else "active",
            "power_state": 1,
            "image_ref": "image",
            "instance_type_id": 1,
            "reservation_id": "r-bench",
            "launch_index": 0,
            "locked": False,
            "progress": 0,
            "hidden": False,
            "host": f"host-{n % 20}",
            "created_at": T0 + datetime.timedelta(seconds=n // 2),
            "deleted": 0,
        }
        for n in range(count)
    ]


def fill_cell(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    flavor = json.dumps({"flavorid": "1", "name": "m1.tiny", "vcpus": 1, "memory_mb": 512})
    with engine.begin() as conn:
        conn.execute(sa.insert(instances.TABLE), list(rows))
        conn.execute(
            sa.insert(instances.EXTRA),
            [{"instance_uuid": r["uuid"], "flavor": flavor} for r in rows],
        )
        conn.execute(
            sa.insert(instances.METADATA),
            [{"instance_uuid": r["uuid"], "key": "role", "value": "web"} for r in rows],
        )
        faults = [r for r in rows if r["vm_state"] == "error"]
        if faults:
            conn.execute(
                sa.insert(FAULTS),
                [{"instance_uuid": r["uuid"], "code": 500, "message": "boom"} for r in faults],
            )


@dataclass(frozen=True)
class Cloud:
    """The benchmark's databases and the lister over them."""

    cells: list[Engine]
    """cell1 and cell2."""
    lister: ServerLister
    """The lister under test."""
    greedy: ServerLister
    """A lister asking every cell for the whole page in one round."""
    client: testing.TestClient
    """An HTTP client of the API app with the listing routes installed."""
    expected: list[str]
    """Every uuid in the default order (created_at desc, uuid asc)."""
    by_name: list[str]
    """Every uuid by display name."""


def build(directory: Path, count: int) -> Cloud:
    _, api = migrated(directory, "api", "api")
    urls, cells = {}, []
    for name in ("cell0", "cell1", "cell2"):
        urls[name], engine = migrated(directory, name, "main")
        cells.append(engine)
    rows = server_rows(count)
    with api.begin() as conn:
        ids = {}
        for name in ("cell0", "cell1", "cell2"):
            made = cell_mapping.create(
                conn,
                name=name,
                transport_url="none:///",
                database_connection=urls[name],
                uuid=CELL0_UUID if name == "cell0" else None,
            )
            ids[name] = cell_mapping.get_by_uuid(conn, made, URLBases(None, None)).id
        for half, name in enumerate(("cell1", "cell2")):
            mappings = [
                instance_mapping.NewMapping(r["uuid"], PROJECT, "bench-user") for r in rows[half::2]
            ]
            instance_mapping.create_many(conn, ids[name], mappings)
    fill_cell(cells[1], rows[0::2])
    fill_cell(cells[2], rows[1::2])
    targets = CellTargets(
        api, Databases(), TransportRegistry(cfg.ConfigOpts()), URLBases(None, None)
    )
    lister = ServerLister(targets)
    servers = ServerAPI(targets, cast(SuperConductorAPI, None), cast(PlacementClient, None))
    deps = APIDeps(servers, api)
    app = build_app(deps)
    install(app, deps, lister)
    by_uuid = sorted(rows, key=lambda r: str(r["uuid"]))
    # Stable sorts: uuid ascending stays the order among equal creation times.
    expected = [r["uuid"] for r in sorted(by_uuid, key=lambda r: r["created_at"], reverse=True)]
    by_name = [r["uuid"] for r in sorted(rows, key=lambda r: r["display_name"])]
    greedy = ServerLister(targets, spread=2.0)
    return Cloud(cells[1:], lister, greedy, testing.TestClient(app), expected, by_name)


# --------------------------------------------------------------------------- steps


def page_of(
    lister: ServerLister, query: ListQuery, expected: list[str], start: int
) -> Callable[[], None]:
    def call() -> None:
        got = [str(v.instance.uuid) for v in lister.page(CTX, query).views]
        if got != expected[start : start + PAGE]:
            raise BenchmarkError(f"page at {start} is not in the expected order")

    return call


def http_page(cloud: Cloud) -> Callable[[], None]:
    headers = {"X-Auth-Token": f"bench-user:{PROJECT}", "OpenStack-API-Version": "compute 2.100"}

    def call() -> None:
        result = cloud.client.simulate_get(
            "/v2.1/servers/detail", query_string=f"limit={PAGE}", headers=headers
        )
        if [s["id"] for s in result.json["servers"]] != cloud.expected[:PAGE]:
            raise BenchmarkError("HTTP page is not in the expected order")

    return call


def floor(
    cloud: Cloud, size: int, with_records: bool, order: str = BY_CREATION
) -> Callable[[], None]:
    columns = ", ".join(instances.COLUMNS)
    sql = sa.text(FLOOR_SQL.format(columns=columns, order=order))

    def call() -> None:
        for engine in cloud.cells:
            with engine.connect() as conn:
                rows = conn.execute(sql, {"project": PROJECT, "size": size}).all()
                if with_records:
                    uuids = [r.uuid for r in rows]
                    extra, meta = instances.EXTRA, instances.METADATA
                    conn.execute(sa.select(extra).where(extra.c.instance_uuid.in_(uuids))).all()
                    conn.execute(sa.select(meta).where(meta.c.instance_uuid.in_(uuids))).all()

    return call


def run(count: int, runs: int, directory: Path) -> list[Row]:
    log(f"creating {count} servers over 2 cells in {directory}")
    cloud = build(directory, count)
    deep = count // 2
    marker = cloud.expected[deep - 1]
    first = ListQuery(limit=PAGE)
    by_name = ListQuery(limit=PAGE, sort=(SortKey("display_name"),))
    share = (PAGE * 11 + 19) // 20  # what the lister asks each of 2 cells for
    log(f"timing {runs} runs per step")
    return [
        timed(
            "lister: first page",
            page_of(cloud.lister, first, cloud.expected, 0),
            runs,
            f"asks each cell for {share}",
        ),
        timed(
            "lister: first page, whole page per cell",
            page_of(cloud.greedy, first, cloud.expected, 0),
            runs,
            f"asks each cell for {PAGE}",
        ),
        timed(
            f"lister: page at {deep} (marker)",
            page_of(cloud.lister, ListQuery(limit=PAGE, marker=marker), cloud.expected, deep),
            runs,
            "marker's mapping + row read first",
        ),
        timed("lister: first page by name", page_of(cloud.lister, by_name, cloud.by_name, 0), runs),
        timed("HTTP GET /servers/detail?limit=100", http_page(cloud), runs, "views rendered"),
        timed(
            f"floor: page SQL, {share} rows x 2 cells",
            floor(cloud, share, with_records=False),
            runs,
            "bare text SQL, sequential",
        ),
        timed(
            f"floor: + flavor, metadata, {share} x 2",
            floor(cloud, share, with_records=True),
            runs,
            "what a lister round reads",
        ),
        timed(
            f"floor: by name, + records, {share} x 2",
            floor(cloud, share, with_records=True, order=BY_NAME),
            runs,
            "no index on display_name: sorts",
        ),
    ]


def render(rows: Sequence[Row], count: int) -> str:
    table = PrettyTable(["step", "p50 ms", "p90 ms", "note"])
    table.align["step"] = table.align["note"] = "l"
    for r in rows:
        table.add_row([r.step, f"{r.p50_ms:.2f}", f"{r.p90_ms:.2f}", r.note])
    return f"{count} servers, 2 cells (SQLite), page of {PAGE}\n{table}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tessera-list-") as directory:
        try:
            rows = run(args.servers, args.runs, Path(directory))
        except BenchmarkError as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 1
    print(render(rows, args.servers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
