"""Benchmark: read latency of the compute API on the multi-process deployment.

Usage::

    python -m benchmarks.api_latency [--servers 10000] [--shows 2000] [--pages 60] [--show-sql]

A ``tessera devstack`` (MariaDB + RabbitMQ, one process per service, 2 cells)
gets ``--servers`` servers of one project, spread evenly over both cells
(about 2% in ERROR with a fault) and written straight into the cell databases,
instance mappings and the network's ports (one each), as a boot leaves them. Then, at microversion
2.100 over keep-alive HTTP to ``tessera-api``:

- ``GET /servers/{id}`` of random servers;
- ``GET /servers/detail?limit=100``: the first page, and a page deep in the
  list (``marker`` half-way);

each next to its floor: the very SQL statements the API sends for that
request (captured by running the same request through the API's own app
in this process, against the same databases), replayed bare over raw
DB-API connections, one after the other. Figures are p50/p99 of the runs;
ratios compare with the floor measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from falcon import testing
from prettytable import PrettyTable

from benchmarks.list_servers import PAGE, PROJECT, fill_cell, server_rows
from tessera import conf as tessera_conf
from tessera.api.wiring import build_api_server, build_server_api, image_service
from tessera.db.engines import Databases, create_engine
from tessera.deploy.devstack import Devstack, DevstackSettings
from tessera.network.schema import ports, subnets
from tessera.network.service import NetworkService
from tessera.objects import instance_mapping
from tessera.placement.client import HTTPTransport, PlacementClient
from tessera.placement.process import free_port
from tessera.rpc.registry import TransportRegistry

VERSION = "compute 2.100"
TOKEN = f"bench-user:{PROJECT}"
REFERENCE = {"show": 51.0, "page": 1100.0}
"""The reference's p50 in ms on this machine kind (one process, SQLite, 2 cells)."""
GOALS = {"show": 5.0, "page": 50.0}
"""Our p50 goals in ms."""


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the table."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


# --------------------------------------------------------------------------- the cloud


def seed(devstack: Devstack, count: int) -> list[str]:
    """``count`` servers over the cells; every uuid, newest first (the listing's order)."""
    rows = server_rows(count)
    cells = devstack.plan.cells
    api = create_engine(devstack.plan.api_database)
    with api.begin() as conn:
        ids = dict(conn.execute(sa.text("SELECT name, id FROM cell_mappings")).all())
        for index, cell in enumerate(cells):
            share = rows[index :: len(cells)]
            mappings = [
                instance_mapping.NewMapping(r["uuid"], PROJECT, "bench-user") for r in share
            ]
            instance_mapping.create_many(conn, ids[cell.name], mappings)
    api.dispose()
    for index, cell in enumerate(cells):
        engine = create_engine(cell.database)
        fill_cell(engine, rows[index :: len(cells)])
        engine.dispose()
    seed_ports(devstack, [str(r["uuid"]) for r in rows])
    by_uuid = sorted(rows, key=lambda r: str(r["uuid"]))
    return [r["uuid"] for r in sorted(by_uuid, key=lambda r: r["created_at"], reverse=True)]


def seed_ports(devstack: Devstack, uuids: Sequence[str]) -> None:
    """One port per server on the default network, as ``networks: auto`` leaves them."""
    engine = create_engine(devstack.plan.network_database)
    NetworkService(engine).ensure_default_network()
    with engine.begin() as conn:
        subnet = conn.execute(sa.select(subnets.c.id, subnets.c.network_id)).one()
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        rows = [_port(subnet.network_id, subnet.id, uuid, i, now) for i, uuid in enumerate(uuids)]
        conn.execute(sa.insert(ports), rows)
    engine.dispose()


def _port(
    network: str, subnet: str, device: str, index: int, now: datetime.datetime
) -> dict[str, Any]:
    # Addresses and MACs from the index: unique without asking the allocator.
    low = index + 1000
    return {
        "id": str(uuidlib.uuid4()),
        "network_id": network,
        "subnet_id": subnet,
        "ip_address": f"10.{100 + (low >> 16)}.{(low >> 8) & 255}.{low & 255}",
        "mac_address": f"fa:16:3e:{low >> 16:02x}:{(low >> 8) & 255:02x}:{low & 255:02x}",
        "device_id": device,
        "device_index": 0,
        "device_owner": "compute:nova",
        "status": "ACTIVE",
        "project_id": PROJECT,
        "binding_host": "compute1",
        "created_at": now,
    }


def in_process_app(devstack: Devstack) -> testing.TestClient:
    """The API's own app, built from its configuration file, without serving it."""
    conf = tessera_conf.load(["--config-file", str(devstack.config_file("api"))], config_files=[])
    databases = Databases(tessera_conf.database.DatabaseSettings.from_conf(conf, "database"))
    placement = PlacementClient(HTTPTransport(devstack.placement_url))
    images = image_service(conf)
    servers = build_server_api(conf, TransportRegistry(conf), databases, placement, images)
    return testing.TestClient(build_api_server(conf, servers, images).app)


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Request:
    """One kind of request the benchmark times."""

    name: str
    """Row label."""
    kind: str
    """``show`` or ``page`` (which reference and goal apply)."""
    paths: Callable[[], str]
    """The next path (with query string) to GET."""


def requests_of(order: list[str]) -> list[Request]:
    """Show of a random server, the first page, and a page half-way down."""
    rng = random.Random(11)
    middle = order[len(order) // 2]
    return [
        Request("GET /servers/{id}", "show", lambda: f"/v2.1/servers/{rng.choice(order)}"),
        Request(
            f"GET /servers/detail?limit={PAGE} (first page)",
            "page",
            lambda: f"/v2.1/servers/detail?limit={PAGE}",
        ),
        Request(
            f"GET /servers/detail?limit={PAGE}&marker=<half-way>",
            "page",
            lambda: f"/v2.1/servers/detail?limit={PAGE}&marker={middle}",
        ),
    ]


def headers() -> dict[str, str]:
    """The benchmark user's token at microversion 2.100."""
    return {"X-Auth-Token": TOKEN, "OpenStack-API-Version": VERSION}


def time_http(session: requests.Session, base: str, request: Request, runs: int) -> list[float]:
    """Milliseconds per GET over keep-alive HTTP (each answer checked for 200)."""
    times = []
    for _ in range(runs):
        path = request.paths()
        started = time.perf_counter()
        resp = session.get(base + path, headers=headers(), timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {resp.status_code}: {resp.text[:200]}")
    return times


# --------------------------------------------------------------------------- the floor


Statement = tuple[str, str, Any]
"""(database URL, SQL text as sent, parameters as sent)."""


@contextmanager
def captured() -> Iterator[list[Statement]]:
    """Every statement any engine of this process sends inside the block."""
    found: list[Statement] = []

    def record(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any
    ) -> None:
        found.append((conn.engine.url.render_as_string(hide_password=False), statement, params))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def statements_of(app: testing.TestClient, request: Request, samples: int) -> list[list[Statement]]:
    """The statements the API's app sends for ``samples`` requests of this kind."""
    sets = []
    for _ in range(samples):
        path, _, query = request.paths().partition("?")
        app.simulate_get(path, query_string=query, headers=headers())  # warm caches
        with captured() as found:
            result = app.simulate_get(path, query_string=query, headers=headers())
        if result.status_code != 200:
            raise RuntimeError(f"in-process {path}: HTTP {result.status_code}")
        sets.append(found)
    return sets


class Replayer:
    """Replays captured statements over one raw DB-API connection per database."""

    def __init__(self) -> None:
        self._engines: dict[str, sa.Engine] = {}
        self._raw: dict[str, Any] = {}

    def _connection(self, url: str) -> Any:
        if url not in self._raw:
            self._engines[url] = create_engine(url)
            self._raw[url] = self._engines[url].raw_connection()
        return self._raw[url]

    def time(self, statements: list[Statement]) -> float:
        """Milliseconds to send them one after the other and fetch every row."""
        for url, _, _ in statements:
            self._connection(url)
        started = time.perf_counter()
        for url, sql, params in statements:
            cursor = self._raw[url].cursor()
            cursor.execute(sql, params)
            if cursor.description is not None:
                cursor.fetchall()
            cursor.close()
            self._raw[url].commit()
        return (time.perf_counter() - started) * 1000

    def close(self) -> None:
        """Close every connection."""
        for raw in self._raw.values():
            raw.close()
        for engine in self._engines.values():
            engine.dispose()


# --------------------------------------------------------------------------- run


@dataclass(frozen=True)
class Row:
    """One request kind's figures."""

    request: Request
    http: list[float]
    app: list[float]
    statements: int
    floor: list[float]


def measure(
    devstack: Devstack, order: list[str], shows: int, pages: int, show_sql: bool = False
) -> list[Row]:
    """Time each request kind over HTTP, in-process and as bare SQL."""
    app = in_process_app(devstack)
    session = requests.Session()
    session.trust_env = False
    replayer = Replayer()
    rows = []
    check_seeded(session, devstack.api_url, order[0])
    try:
        for request in requests_of(order):
            runs = shows if request.kind == "show" else pages
            log(f"{request.name}: {runs} runs")
            time_http(session, devstack.api_url, request, 10)  # warm up
            http = time_http(session, devstack.api_url, request, runs)
            app_times = in_process_times(app, request, max(runs // 4, 10))
            sets = statements_of(app, request, max(runs // 4, 10))
            floor = [replayer.time(s) for s in sets for _ in range(4)]
            counts = [len(s) for s in sets]
            if show_sql:
                describe(replayer, sets[0])
            rows.append(Row(request, http, app_times, round(statistics.median(counts)), floor))
    finally:
        replayer.close()
    return rows


def check_seeded(session: requests.Session, base: str, uuid: str) -> None:
    """A seeded server shows what a booted one does: metadata and an address."""
    body = session.get(f"{base}/v2.1/servers/{uuid}", headers=headers(), timeout=30).json()
    server = body["server"]
    if not server["addresses"] or not server["metadata"]:
        raise RuntimeError(f"seeded server {uuid} shows no address or metadata: {server}")


def describe(replayer: Replayer, statements: list[Statement]) -> None:
    """Each statement of one request with its bare time (``--show-sql``)."""
    for statement in statements:
        url, sql, _ = statement
        ms = statistics.median(replayer.time([statement]) for _ in range(5))
        log(f"  {ms:6.2f} ms {url.rsplit('/', 1)[-1][:24]} | {' '.join(sql.split())[:100]}")


def in_process_times(app: testing.TestClient, request: Request, runs: int) -> list[float]:
    """Milliseconds per request through the API's app in this process (no HTTP)."""
    times = []
    for _ in range(runs):
        path, _, query = request.paths().partition("?")
        started = time.perf_counter()
        app.simulate_get(path, query_string=query, headers=headers())
        times.append((time.perf_counter() - started) * 1000)
    return times


def table(rows: Sequence[Row]) -> PrettyTable:
    """request | HTTP p50/p99 | app p50 | statements | floor p50/p99 | ratios | goal."""
    out = PrettyTable(
        [
            "request",
            "HTTP p50/p99 ms",
            "in-process app p50 ms",
            "SQL statements",
            "bare SQL floor p50/p99 ms",
            "HTTP p50 / floor p50",
            "reference p50 ms",
            "reference / ours",
            "goal p50",
        ]
    )
    out.align["request"] = "l"
    for row in rows:
        p50, floor50 = percentile(row.http, 50), percentile(row.floor, 50)
        goal = GOALS[row.request.kind]
        out.add_row(
            [
                row.request.name,
                f"{p50:.1f}/{percentile(row.http, 99):.1f}",
                f"{percentile(row.app, 50):.1f}",
                row.statements,
                f"{floor50:.2f}/{percentile(row.floor, 99):.2f}",
                f"{p50 / floor50:.1f}x",
                f"{REFERENCE[row.request.kind]:.0f}",
                f"{REFERENCE[row.request.kind] / p50:.0f}x",
                f"{'yes' if p50 <= goal else 'NO'} (<= {goal:.0f} ms)",
            ]
        )
    return out


def run(count: int, shows: int, pages: int, show_sql: bool = False) -> list[Row]:
    """Deploy, seed, measure, tear down."""
    with tempfile.TemporaryDirectory(prefix="tessera-api-latency-") as tmp:
        settings = DevstackSettings(
            data_dir=Path(tmp),
            prefix=f"tsapi_{os.getpid()}",
            cells=2,
            computes_per_cell=1,
            api_port=free_port(),
        )
        devstack = Devstack(settings)
        log(f"starting devstack {settings.prefix} (MariaDB + RabbitMQ)")
        try:
            devstack.start()
            devstack.wait_ready()
            log(f"seeding {count} servers over {len(devstack.plan.cells)} cells")
            order = seed(devstack, count)
            return measure(devstack, order, shows, pages, show_sql)
        finally:
            log("stopping; dropping databases and vhosts")
            devstack.stop()
            devstack.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--shows", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--show-sql", action="store_true", help="log each statement's bare time")
    args = parser.parse_args(argv)
    load = "{:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())
    rows = run(args.servers, args.shows, args.pages, args.show_sql)
    print(f"Machine: {os.cpu_count()} CPUs; load average at start {load}")
    print(
        f"{args.servers} servers of one project over 2 cells (MariaDB), tessera-api as its own "
        f"process, microversion 2.100, keep-alive HTTP; floor = the same SQL replayed bare"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
