"""``benchmarks.boot --mode multiprocess``: one OS process per service (``tessera devstack``).

Runs :class:`tessera.deploy.devstack.Devstack` on the local MariaDB and RabbitMQ
with databases and virtual hosts of a private prefix (dropped afterwards),
placement in its own gunicorn, and reads each service's CPU seconds from
``/proc/<pid>/stat`` (a process and its live descendants).

MariaDB and RabbitMQ are shared servers: their CPU rows include whatever else
uses them meanwhile. ``rest of machine`` is every busy CPU second of the
machine not accounted to a row above (other users' work).
"""

from __future__ import annotations

import datetime
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from benchmarks import boot_probes as probes
from benchmarks.boot_client import Boot, RestClient
from benchmarks.boot_phases import (
    FAKE_HOST,
    Harness,
    ModeResult,
    Options,
    audit,
    finish,
    log,
    run_phases,
)
from tessera.db.engines import create_engine
from tessera.deploy.devstack import Devstack, DevstackSettings
from tessera.objects import instance as instances
from tessera.placement.client import HTTPTransport, PlacementClient
from tessera.placement.process import free_port

CPU_NOTE = (
    "one process per service, CPU from /proc/<pid>/stat (process + live children); "
    "MariaDB and RabbitMQ rows are the shared servers' whole CPU (other users included); "
    "'rest of machine' = machine busy CPU not in any other row"
)


def cpu_reader(devstack: Devstack) -> Callable[[], dict[str, float]]:
    """Who -> CPU seconds so far: each service, the computes together, placement, servers."""
    mariadb = probes.pids_named("mariadbd") or probes.pids_named("mysqld")
    rabbit = probes.pids_named("beam.smp")

    def read() -> dict[str, float]:
        children = probes.children_of()
        usage: dict[str, float] = {}
        computes = 0.0
        for name, process in devstack.processes.items():
            seconds = probes.tree_cpu(process.pid, children)
            if "-compute" in name:
                computes += seconds
            else:
                usage[name] = seconds
        count = sum("-compute" in name for name in devstack.processes)
        usage[f"computes ({count} processes)"] = computes
        if devstack.placement.pid is not None:
            usage["placement (gunicorn)"] = probes.tree_cpu(devstack.placement.pid, children)
        usage["MariaDB (shared server)"] = sum(probes.pid_cpu(p) for p in mariadb)
        usage["RabbitMQ (shared broker)"] = sum(probes.pid_cpu(p) for p in rabbit)
        usage["benchmark process"] = probes.pid_cpu(os.getpid())
        ours = sum(usage.values())
        usage["rest of machine"] = probes.machine_busy() - ours
        return usage

    return read


def epoch(value: datetime.datetime) -> float:
    """Epoch seconds of a naive-UTC timestamp."""
    return value.replace(tzinfo=datetime.UTC).timestamp()


def cell_launches(urls: list[str], uuids: list[str]) -> dict[str, tuple[datetime.datetime, str]]:
    """uuid -> (launched_at, host) from every cell database."""
    found: dict[str, tuple[datetime.datetime, str]] = {}
    table = instances.TABLE
    for url in urls:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                for start in range(0, len(uuids), 200):
                    stmt = sa.select(table.c.uuid, table.c.launched_at, table.c.host).where(
                        table.c.uuid.in_(uuids[start : start + 200])
                    )
                    for row in conn.execute(stmt):
                        if row.launched_at is not None:
                            found[row.uuid] = (row.launched_at, row.host)
        finally:
            engine.dispose()
    return found


def estimate(boot: Boot, launched: float) -> float:
    """When a server whose ``launched_at`` has whole seconds became ACTIVE.

    It happened in ``[launched, launched + 1)`` and after the last GET that
    still saw BUILD, at or before the GET that saw ACTIVE: the middle of both.
    """
    seen = boot.seen if boot.seen is not None else launched + 1.0
    low, high = max(launched, boot.prev_poll), min(launched + 1.0, seen)
    return (low + high) / 2 if low <= high else seen


def filler(devstack: Devstack) -> Callable[[list[Boot]], str]:
    """Reads ``launched_at`` (and host) of ACTIVE servers from the cell databases."""
    urls = [cell.database for cell in devstack.plan.cells]

    def fill(boots: list[Boot]) -> str:
        rows = cell_launches(urls, [b.server_id for b in boots if b.server_id])
        precise = any(at.microsecond for at, _ in rows.values())
        for boot in boots:
            if boot.server_id in rows:
                at, host = rows[boot.server_id]
                boot.host = boot.host or host
                boot.launched = epoch(at) if precise else estimate(boot, epoch(at))
        if precise:
            return "launched_at (cell DB, microseconds)"
        return (
            "launched_at (cell DB keeps whole seconds) narrowed by the GETs before/at "
            "ACTIVE: midpoint, error < 0.5 s"
        )

    return fill


def run(opts: Options) -> ModeResult:
    """Start a devstack of ``opts.cells`` x ``opts.hosts_per_cell``, run the phases, clean up."""
    result = ModeResult("multiprocess", cpu_note=CPU_NOTE)
    with tempfile.TemporaryDirectory(prefix="tessera-boot-mp-") as tmp:
        settings = DevstackSettings(
            data_dir=Path(tmp),
            prefix=f"tsboot_{os.getpid()}",
            cells=opts.cells,
            computes_per_cell=opts.hosts_per_cell,
            api_port=free_port(),
            fake_driver=dict(FAKE_HOST),
        )
        devstack = Devstack(settings)
        log(f"multiprocess: starting devstack {settings.prefix} (MariaDB + RabbitMQ) in {tmp}")
        try:
            devstack.start()
            devstack.wait_ready()
            log(f"multiprocess: {len(devstack.processes)} service processes ready")
            result.hosts = [h for cell in devstack.plan.cells for h in cell.computes]
            harness = Harness(RestClient(f"{devstack.api_url}/v2.1"), opts, cpu_reader(devstack))
            run_phases(result, harness)
            finish(result, filler(devstack))
            result.audit = audit(result, PlacementClient(HTTPTransport(devstack.placement_url)))
        finally:
            log("multiprocess: stopping and dropping databases and vhosts")
            devstack.stop()
            devstack.cleanup()
    return result
