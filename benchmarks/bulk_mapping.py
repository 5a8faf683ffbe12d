"""Benchmark: set-based ``map_instances`` / ``discover_hosts`` against a row-at-a-time baseline.

Usage::

    python -m benchmarks.bulk_mapping [--backend sqlite|mysql|postgresql|all]
                                      [--instances 1000000] [--nodes 10000]

Per backend it creates uniquely named databases (API, cell1, cell2), migrates
them, maps both cells, bulk-loads the instances and compute nodes (half per
cell), lets the server write the load out (MariaDB: waits up to 2 min for
the buffer pool's dirty pages to drain; SQLite/PostgreSQL: a checkpoint), then
times the real code paths:

- ``instance_backfill.backfill`` and ``host_discovery.discover_in_cell`` per cell;
- the real CLI once each (``tessera-manage cell_v2 map_instances`` and
  ``discover_hosts`` for cell1, in-process, against a fresh API database that
  maps the same cell databases, cell1's nodes reset to unmapped), so the
  command's own overhead shows.

The baseline is measured in the same run: a row-at-a-time implementation of
what the reference does (page the instances, then per instance look up its
mapping and insert it in its own transaction; per compute node look up the
host mapping, insert it, then mark the node mapped, each in its own
transaction). Being so slow it runs on a sample (fresh databases with
``--baseline-instances`` / ``--baseline-nodes`` rows), where the set-based
code is timed again (on a fresh API database) so the two also compare at equal size.

Every timed run is verified (a mapping per instance in the right cell, every
node marked mapped, one host mapping per node); a mismatch aborts the run.
Databases are dropped at the end, also on failure.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.cells import host_discovery, instance_backfill
from tessera.cmd import manage
from tessera.db import migration
from tessera.db.engines import create_engine
from tessera.objects import (
    cell_mapping,
    compute_node,
    host_mapping,
    instance,
    instance_mapping,
)
from tessera.objects.cell_mapping import CellMapping, URLBases

SERVERS = {
    "mysql": "mysql+pymysql://root@127.0.0.1:3306",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432",
}
# Where CREATE/DROP DATABASE are issued (AUTOCOMMIT: PostgreSQL refuses them in a transaction).
ADMIN_URLS = {"mysql": f"{SERVERS['mysql']}/", "postgresql": f"{SERVERS['postgresql']}/postgres"}
BACKENDS = ("sqlite", "mysql", "postgresql")
DEFAULT_BACKENDS = ("sqlite", "mysql")

LOAD_CHUNK = 10_000
"""Rows per executemany (the drivers turn it into multi-row INSERTs or a pipeline)."""
REFERENCE_PAGE = 50
"""The reference's ``map_instances`` batch size."""
DELETED_SHARE = 0.05
PROJECTS = 2_000
USERS_PER_PROJECT = 3
NO_BASES = URLBases(None, None)


def say(message: str) -> None:
    """Progress on stderr, so the table on stdout stays clean."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchmarkError(Exception):
    """A timed run left the databases in a wrong state."""


# --------------------------------------------------------------------------- servers


class Server:
    """Creates and drops databases on one backend (SQLite: files in a temp dir)."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.prefix = f"tbench_{secrets.token_hex(4)}_"
        self.directory = Path(tempfile.mkdtemp(prefix="tessera-bench-"))
        self.admin: Engine | None = None
        if backend != "sqlite":
            self.admin = sa.create_engine(ADMIN_URLS[backend], isolation_level="AUTOCOMMIT")
        self.created: set[str] = set()

    def url(self, label: str) -> str:
        name = self.prefix + label
        if self.backend == "sqlite":
            return f"sqlite:///{self.directory / name}.db"
        return f"{SERVERS[self.backend]}/{name}"

    def create(self, label: str) -> str:
        name = self.prefix + label
        if self.backend == "mysql":
            self._admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        elif self.backend == "postgresql":
            self._admin(f'CREATE DATABASE "{name}"')
        self.created.add(label)
        return self.url(label)

    def drop(self, label: str) -> None:
        name = self.prefix + label
        if self.backend == "sqlite":
            for suffix in (".db", ".db-wal", ".db-shm"):
                (self.directory / f"{name}{suffix}").unlink(missing_ok=True)
        elif self.backend == "mysql":
            self._admin(f"DROP DATABASE IF EXISTS `{name}`")
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.discard(label)

    def close(self) -> None:
        """Drop whatever is left; remove the temp dir."""
        for label in sorted(self.created):
            self.drop(label)
        if self.admin is not None:
            self.admin.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _admin(self, statement: str) -> None:
        assert self.admin is not None
        with self.admin.connect() as conn:
            conn.execute(sa.text(statement))


# --------------------------------------------------------------------------- deployment


@dataclass
class Cell:
    """One benchmark cell: its mapping and its database."""

    name: str
    url: str
    engine: Engine
    record: CellMapping


@dataclass
class Deployment:
    """An API database and two cell databases, migrated and mapped."""

    server: Server
    tag: str
    api_url: str
    api: Engine
    cells: list[Cell] = field(default_factory=list)

    def config_file(self) -> Path:
        """A tessera-manage config pointing at this deployment's API database."""
        path = self.server.directory / f"{self.tag}-manage.conf"
        path.write_text(f"[api_database]\nconnection = {self.api_url}\n")
        return path


@contextlib.contextmanager
def deployment(server: Server, tag: str) -> Iterator[Deployment]:
    """Create, migrate and map api/cell1/cell2; drop them afterwards, also on failure."""
    labels = [f"{tag}_api", f"{tag}_cell1", f"{tag}_cell2"]
    engines: list[Engine] = []
    try:
        api_url = server.create(labels[0])
        engines.append(api := _migrated(api_url, "api"))
        dep = Deployment(server, tag, api_url, api)
        for number, label in enumerate(labels[1:], start=1):
            url = server.create(label)
            engines.append(engine := _migrated(url, "main"))
            dep.cells.append(_map_cell(api, f"cell{number}", url, engine))
        yield dep
    finally:
        for engine in engines:
            engine.dispose()
        for label in labels:
            server.drop(label)


@contextlib.contextmanager
def fresh_api(dep: Deployment, cells: Sequence[Cell]) -> Iterator[Deployment]:
    """A new API database mapping the same cell databases (a fresh copy for the CLI)."""
    label = f"{dep.tag}_cli_api"
    api: Engine | None = None
    try:
        url = dep.server.create(label)
        api = _migrated(url, "api")
        copy = Deployment(dep.server, f"{dep.tag}_cli", url, api)
        for cell in cells:
            copy.cells.append(_map_cell(api, cell.name, cell.url, cell.engine, cell.record.uuid))
        yield copy
    finally:
        if api is not None:
            api.dispose()
        dep.server.drop(label)


def _migrated(url: str, schema: migration.Schema) -> Engine:
    engine = create_engine(url)
    migration.upgrade(engine, schema)
    return engine


def _map_cell(
    api: Engine, name: str, url: str, engine: Engine, cell_uuid: str | None = None
) -> Cell:
    with api.begin() as conn:
        cell_uuid = cell_mapping.create(
            conn, name=name, transport_url="none:///", database_connection=url, uuid=cell_uuid
        )
        record = cell_mapping.get_by_uuid(conn, cell_uuid, NO_BASES)
    return Cell(name, url, engine, record)


# --------------------------------------------------------------------------- loading

INSTANCE_COLUMNS = (
    *("id", "uuid", "user_id", "project_id", "display_name", "hostname", "vm_state"),
    *("power_state", "memory_mb", "vcpus", "root_gb", "host", "node", "availability_zone"),
    *("created_at", "launched_at", "deleted", "deleted_at", "hidden", "cleaned"),
)
NODE_COLUMNS = (
    *("id", "uuid", "host", "hypervisor_hostname", "hypervisor_type", "vcpus", "memory_mb"),
    *("local_gb", "vcpus_used", "memory_mb_used", "local_gb_used", "created_at", "deleted"),
    *("mapped", "stats"),
)
EPOCH = datetime.datetime(2019, 1, 1)


def _insert_sql(engine: Engine, table: str, columns: Sequence[str]) -> str:
    # Driver-native placeholders: executemany goes straight to the DBAPI, where
    # PyMySQL rewrites it into multi-row INSERTs and psycopg pipelines it.
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"


def _stamp(seconds: float) -> str:
    return (EPOCH + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True)
class Owners:
    """Keystone-like project and user ids shared by both cells."""

    projects: list[str]
    users: dict[str, list[str]]

    @classmethod
    def make(cls, rng: random.Random) -> Owners:
        projects = [f"{rng.getrandbits(128):032x}" for _ in range(PROJECTS)]
        users = {
            p: [f"{rng.getrandbits(128):032x}" for _ in range(USERS_PER_PROJECT)] for p in projects
        }
        return cls(projects, users)


def _instance_row(
    id_: int, rng: random.Random, owners: Owners, hosts: Sequence[str]
) -> tuple[Any, ...]:
    project = rng.choice(owners.projects)
    host = rng.choice(hosts)
    created = id_ * 30.0
    deleted = rng.random() < DELETED_SHARE
    return (
        id_,
        _uuid(rng),
        rng.choice(owners.users[project]),
        project,
        f"server-{id_}",
        f"server-{id_}",
        "deleted" if deleted else "active",
        0 if deleted else 1,
        2048,
        2,
        20,
        host,
        host,
        "nova",
        _stamp(created),
        _stamp(created + 40),
        id_ if deleted else 0,  # soft delete sets ``deleted`` to the row id
        _stamp(created + 86_400) if deleted else None,
        False,
        0,
    )


def _node_row(id_: int, cell: str, rng: random.Random) -> tuple[Any, ...]:
    host = f"{cell}-compute-{id_:06d}"
    return (
        id_, _uuid(rng), host, f"{host}.example.org", "QEMU",
        64, 262_144, 2_000, 0, 0, 0, _stamp(id_), 0, 0, "{}",
    )  # fmt: skip


def _executemany(engine: Engine, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(sql, list(rows))


def load_cell(cell: Cell, instances: int, nodes: int, owners: Owners, rng: random.Random) -> None:
    """Bulk-load a cell's compute nodes, then its instances placed on them."""
    node_sql = _insert_sql(cell.engine, "compute_nodes", NODE_COLUMNS)
    node_rows = [_node_row(i, cell.name, rng) for i in range(1, nodes + 1)]
    for start in range(0, len(node_rows), LOAD_CHUNK):
        _executemany(cell.engine, node_sql, node_rows[start : start + LOAD_CHUNK])
    hosts = [row[2] for row in node_rows] or [f"{cell.name}-compute-none"]
    sql = _insert_sql(cell.engine, "instances", INSTANCE_COLUMNS)
    for start in range(1, instances + 1, LOAD_CHUNK):
        stop = min(start + LOAD_CHUNK, instances + 1)
        _executemany(
            cell.engine, sql, [_instance_row(i, rng, owners, hosts) for i in range(start, stop)]
        )
        if (stop - 1) % 100_000 == 0:
            say(f"  {cell.name}: {stop - 1:,} instances loaded")


def load(dep: Deployment, instances: int, nodes: int) -> float:
    """Load instances and nodes, half per cell; return seconds taken."""
    rng = random.Random(f"{dep.tag}-{instances}-{nodes}")
    owners = Owners.make(rng)
    started = time.perf_counter()
    for index, cell in enumerate(dep.cells):
        load_cell(cell, _share(instances, index), _share(nodes, index), owners, rng)
    return time.perf_counter() - started


SETTLE_TIMEOUT = 120.0
SETTLE_DIRTY_SHARE = 0.25


def settle(dep: Deployment) -> float:
    """Let the server write out the bulk load before anything is timed; return seconds.

    A real cell's instances were written long ago. Right after a bulk load
    the server is still flushing it (MariaDB's buffer pool is mostly dirty
    pages, written back at ``innodb_io_capacity``), which a timed run would
    otherwise pay for. Only waits and checkpoints: no server setting changes.
    """
    started = time.perf_counter()
    backend = dep.server.backend
    if backend == "sqlite":
        for cell in dep.cells:
            with cell.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    elif backend == "postgresql":
        with dep.api.connect() as conn:
            conn.exec_driver_sql("CHECKPOINT")
    else:
        _wait_for_innodb_flush(dep.api)
    return time.perf_counter() - started


def _wait_for_innodb_flush(api: Engine) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        with api.connect() as conn:
            rows = conn.exec_driver_sql(
                "SHOW GLOBAL STATUS WHERE Variable_name IN "
                "('Innodb_buffer_pool_pages_dirty', 'Innodb_buffer_pool_pages_total')"
            )
            status = {str(name): int(value) for name, value in rows}
        dirty = status["Innodb_buffer_pool_pages_dirty"]
        if dirty <= SETTLE_DIRTY_SHARE * status["Innodb_buffer_pool_pages_total"]:
            return
        time.sleep(1)
    say("  (InnoDB still flushing after the settle timeout; timing anyway)")


def _share(total: int, index: int) -> int:
    """Cell ``index``'s half of ``total`` (the first cell takes an odd one)."""
    return total // 2 + (total % 2 if index == 0 else 0)


# --------------------------------------------------------------------------- baseline

IM = instance_mapping.TABLE
HM = host_mapping.TABLE
INSTANCES = instance.TABLE
NODES = compute_node.TABLE


def baseline_map_instances(api: Engine, cell_db: Engine, cell_id: int) -> int:
    """Row at a time, as the reference: page the instances, then per instance
    look its mapping up and insert it in a transaction of its own."""
    created, after = 0, 0
    while True:
        with cell_db.connect() as conn:
            page = instance.page_after(conn, after, REFERENCE_PAGE)
        if not page:
            return created
        for row in page:
            created += _baseline_map_one(api, cell_id, row)
        after = page[-1].id


def _baseline_map_one(api: Engine, cell_id: int, row: Any) -> int:
    with api.connect() as conn:
        found = conn.execute(sa.select(IM.c.id).where(IM.c.instance_uuid == row.uuid)).first()
    if found is not None:
        return 0
    with api.begin() as conn:
        instance_mapping.create(conn, row.uuid, row.project_id or "", row.user_id, cell_id)
    return 1


def baseline_discover(api: Engine, cell_db: Engine, cell_id: int) -> int:
    """Row at a time, as the reference: per unmapped node look up its host's
    mapping, create it, then save the node as mapped, each in its own transaction."""
    with cell_db.connect() as conn:
        nodes = compute_node.get_unmapped(conn)
    for node in nodes:
        with api.connect() as conn:
            known = conn.execute(sa.select(HM.c.id).where(HM.c.host == node.host)).first()
        if known is None:
            with api.begin() as conn:
                host_mapping.create_many(conn, cell_id, [node.host])
        with cell_db.begin() as conn:
            conn.execute(sa.update(NODES).where(NODES.c.id == node.id).values(mapped=1))
    return len(nodes)


# --------------------------------------------------------------------------- the code under test


def backfill_all(dep: Deployment) -> int:
    """``map_instances`` through the library, cell by cell; return mappings created."""
    created = 0
    for cell in dep.cells:
        result = instance_backfill.backfill(dep.api, cell.engine, cell.record.id)
        if result.more:
            raise BenchmarkError(f"backfill of {cell.name} stopped early: {result}")
        created += result.created
    return created


def discover_all(dep: Deployment) -> int:
    """``discover_hosts`` through the library, cell by cell; return hosts mapped."""
    created = 0
    for cell in dep.cells:
        with dep.api.connect() as conn:
            record = cell_mapping.get_by_uuid(conn, cell.record.uuid, NO_BASES)
        created += len(host_discovery.discover_in_cell(dep.api, cell.engine, record).created)
    return created


def baseline_map_all(dep: Deployment) -> int:
    return sum(baseline_map_instances(dep.api, c.engine, c.record.id) for c in dep.cells)


def baseline_discover_all(dep: Deployment) -> int:
    return sum(baseline_discover(dep.api, c.engine, c.record.id) for c in dep.cells)


def cli(dep: Deployment, *argv: str) -> None:
    """Run ``tessera-manage`` in-process; a non-zero exit aborts the benchmark."""
    out = io.StringIO()
    args = ["--config-file", str(dep.config_file()), *argv]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = manage.main(args)
    if code != 0:
        raise BenchmarkError(f"tessera-manage {' '.join(argv)} exited {code}: {out.getvalue()}")


def cli_map_instances(dep: Deployment, cell: Cell) -> None:
    cli(dep, "cell_v2", "map_instances", "--cell_uuid", cell.record.uuid)


def cli_discover_hosts(dep: Deployment, cell: Cell) -> None:
    cli(dep, "cell_v2", "discover_hosts", "--cell_uuid", cell.record.uuid)


# --------------------------------------------------------------------------- verification

SPOT_CHECKS = 200


def verify_instances(dep: Deployment) -> None:
    """Every instance (deleted ones too) is mapped to its own cell with its owner."""
    for cell in dep.cells:
        with cell.engine.connect() as conn:
            count = instance.count_all(conn)
            sample = _random_instances(conn, count)
        with dep.api.connect() as conn:
            mapped = instance_mapping.count_by_cell(conn, cell.record.id)
            if mapped != count:
                raise BenchmarkError(f"{cell.name}: {count} instances but {mapped} mappings")
            for row in sample:
                _check_mapping(conn, cell, row)


def _random_instances(conn: sa.Connection, count: int) -> Sequence[Any]:
    ids = random.sample(range(1, count + 1), min(SPOT_CHECKS, count))
    stmt = sa.select(INSTANCES.c.uuid, INSTANCES.c.project_id).where(INSTANCES.c.id.in_(ids))
    return conn.execute(stmt).all()


def _check_mapping(conn: sa.Connection, cell: Cell, row: Any) -> None:
    stmt = sa.select(IM.c.cell_id, IM.c.project_id).where(IM.c.instance_uuid == row.uuid)
    found = conn.execute(stmt).first()
    if found is None or (found.cell_id, found.project_id) != (cell.record.id, row.project_id):
        raise BenchmarkError(f"{cell.name}: instance {row.uuid} mapped wrongly: {found}")


def verify_hosts(dep: Deployment) -> None:
    """Every node is marked mapped and its (unique) host is mapped to its cell."""
    total_nodes = 0
    for cell in dep.cells:
        with cell.engine.connect() as conn:
            nodes = compute_node.count(conn)
            unmapped = len(compute_node.get_unmapped(conn))
        with dep.api.connect() as conn:
            hosts = host_mapping.count_by_cell(conn, cell.record.id)
        if unmapped or hosts != nodes:
            raise BenchmarkError(
                f"{cell.name}: {nodes} nodes, {unmapped} unmapped, {hosts} host mappings"
            )
        total_nodes += nodes
    with dep.api.connect() as conn:
        all_hosts = conn.execute(sa.select(sa.func.count()).select_from(HM)).scalar_one()
    if all_hosts != total_nodes:
        raise BenchmarkError(f"{all_hosts} host mappings for {total_nodes} nodes")


# --------------------------------------------------------------------------- timing and table


@dataclass(frozen=True)
class Row:
    """One line of the result table."""

    backend: str
    operation: str
    rows: int
    seconds: float
    baseline: float | None = None
    """Baseline rows/s of the same operation, measured in this run."""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def timed(action: Callable[[], object], verify: Callable[[], None]) -> float:
    """Seconds ``action`` took; then check the result (not timed)."""
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    verify()
    return seconds


HEADER = ("backend", "operation", "rows", "seconds", "rows/s", "baseline rows/s", "ratio")


def _cells(row: Row) -> tuple[str, ...]:
    base = f"{row.baseline:,.0f}" if row.baseline else "-"
    ratio = f"{row.rate / row.baseline:,.1f}x" if row.baseline else "-"
    return (row.backend, row.operation, f"{row.rows:,}", f"{row.seconds:.2f}",
            f"{row.rate:,.0f}", base, ratio)  # fmt: skip


def render(rows: Sequence[Row]) -> str:
    """A plain-text table, numbers right-aligned."""
    lines = [HEADER, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]

    def fmt(line: Sequence[str]) -> str:
        parts = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(lines[0]), rule, *(fmt(line) for line in lines[1:])])


# --------------------------------------------------------------------------- per backend


@dataclass
class Report:
    """What a run prints after the table."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sizes:
    instances: int
    nodes: int
    baseline_instances: int
    baseline_nodes: int


def run_baseline(server: Server, sizes: Sizes, report: Report) -> tuple[float, float]:
    """Row-at-a-time rates on a fresh sample, and the set-based code on the same sample."""
    n_inst, n_nodes = sizes.baseline_instances, sizes.baseline_nodes
    with deployment(server, "base") as dep:
        say(f"{server.backend}: loading baseline sample ({n_inst:,} instances, {n_nodes:,} nodes)")
        load(dep, n_inst, n_nodes)
        say(f"{server.backend}: baseline map_instances (row at a time)")
        inst_rate = n_inst / timed(lambda: baseline_map_all(dep), lambda: verify_instances(dep))
        say(f"{server.backend}: baseline discover_hosts (row at a time)")
        host_rate = n_nodes / timed(lambda: baseline_discover_all(dep), lambda: verify_hosts(dep))
        with fresh_api(dep, dep.cells) as copy:
            for cell in copy.cells:
                with cell.engine.begin() as conn:
                    compute_node.reset_mapped(conn)
            seconds = timed(lambda: backfill_all(copy), lambda: verify_instances(copy))
            report.rows.append(
                Row(server.backend, "map_instances @sample", n_inst, seconds, inst_rate)
            )
            seconds = timed(lambda: discover_all(copy), lambda: verify_hosts(copy))
            report.rows.append(
                Row(server.backend, "discover_hosts @sample", n_nodes, seconds, host_rate)
            )
    return inst_rate, host_rate


def run_full(server: Server, sizes: Sizes, rates: tuple[float, float], report: Report) -> None:
    """The set-based code on the full data set: library paths, then the CLI."""
    inst_rate, host_rate = rates
    backend = server.backend
    with deployment(server, "full") as dep:
        say(f"{backend}: loading {sizes.instances:,} instances and {sizes.nodes:,} nodes")
        seconds = load(dep, sizes.instances, sizes.nodes)
        total = sizes.instances + sizes.nodes
        say(f"{backend}: letting the server write out the load")
        settled = settle(dep)
        report.notes.append(
            f"{backend}: load of {sizes.instances:,} instances + {sizes.nodes:,} nodes: "
            f"{seconds:.1f} s ({total / seconds:,.0f} rows/s; not the measure), "
            f"then {settled:.1f} s settling (flush/checkpoint) before timing"
        )
        say(f"{backend}: map_instances (backfill, both cells)")
        before = os.getloadavg()[0]
        seconds = timed(lambda: backfill_all(dep), lambda: verify_instances(dep))
        report.rows.append(Row(backend, "map_instances", sizes.instances, seconds, inst_rate))
        report.notes.append(
            f"{backend}: host 1-min load average {before:.1f} -> {os.getloadavg()[0]:.1f} "
            f"around the timed map_instances ({os.cpu_count()} CPUs, shared)"
        )
        say(f"{backend}: discover_hosts (discover_in_cell, both cells)")
        seconds = timed(lambda: discover_all(dep), lambda: verify_hosts(dep))
        report.rows.append(Row(backend, "discover_hosts", sizes.nodes, seconds, host_rate))
        run_cli(dep, sizes, rates, report)


def run_cli(dep: Deployment, sizes: Sizes, rates: tuple[float, float], report: Report) -> None:
    """``tessera-manage`` on cell1, against a fresh API database (and cell1's nodes reset)."""
    backend = dep.server.backend
    with fresh_api(dep, dep.cells[:1]) as copy:
        cell = copy.cells[0]
        settle(copy)
        say(f"{backend}: tessera-manage cell_v2 map_instances --cell_uuid <cell1>")
        seconds = timed(lambda: cli_map_instances(copy, cell), lambda: verify_instances(copy))
        rows = _share(sizes.instances, 0)
        report.rows.append(Row(backend, "CLI map_instances (cell1)", rows, seconds, rates[0]))
        with cell.engine.begin() as conn:
            compute_node.reset_mapped(conn)
        say(f"{backend}: tessera-manage cell_v2 discover_hosts --cell_uuid <cell1>")
        seconds = timed(lambda: cli_discover_hosts(copy, cell), lambda: verify_hosts(copy))
        rows = _share(sizes.nodes, 0)
        report.rows.append(Row(backend, "CLI discover_hosts (cell1)", rows, seconds, rates[1]))


def run_backend(backend: str, sizes: Sizes, report: Report) -> None:
    server = Server(backend)
    try:
        rates = run_baseline(server, sizes, report)
        run_full(server, sizes, rates, report)
    finally:
        server.close()


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bulk_mapping",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--backend", choices=[*BACKENDS, "all"], default="all", help="all = sqlite and mysql"
    )
    parser.add_argument("--instances", type=int, default=1_000_000)
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--baseline-instances", type=int, default=5_000)
    parser.add_argument("--baseline-nodes", type=int, default=1_000)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    backends = DEFAULT_BACKENDS if args.backend == "all" else (args.backend,)
    sizes = Sizes(
        args.instances,
        args.nodes,
        min(args.baseline_instances, args.instances),
        min(args.baseline_nodes, args.nodes),
    )
    report = Report()
    try:
        for backend in backends:
            run_backend(backend, sizes, report)
    except BenchmarkError as exc:
        print(render(report.rows))
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 1
    print(render(report.rows))
    print()
    print(
        f"baseline = row-at-a-time (reference's algorithm, page {REFERENCE_PAGE}, one transaction "
        f"per row) on fresh databases with {sizes.baseline_instances:,} instances / "
        f"{sizes.baseline_nodes:,} nodes; '@sample' rows time the set-based code on that sample."
    )
    for note in report.notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
