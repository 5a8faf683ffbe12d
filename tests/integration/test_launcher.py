"""``tessera devstack`` as a command: it comes up, serves, and SIGTERM leaves nothing behind.

Runs the smallest devstack (1 cell x 1 compute) on PostgreSQL, so that backend
(and placement on psycopg2) is covered too, and stops it as Ctrl-C would.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tessera.deploy import provision
from tessera.deploy.devstack import STATE_FILE
from tessera.deploy.provision import Servers
from tessera.placement.process import free_port, group_members
from tests.integration.conftest import unique_prefix
from tests.integration.rest import Cloud

READY_LINE = "Ctrl-C stops every service."
SERVICES = {"scheduler", "super-conductor", "cell1-conductor", "cell1-compute1", "api"}
PG = Servers(backend="postgresql")


def _wait_ready(launcher: subprocess.Popen[bytes], output: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = output.read_text(errors="replace") if output.exists() else ""
        if READY_LINE in text:
            return
        assert launcher.poll() is None, f"launcher exited {launcher.returncode}:\n{text}"
        time.sleep(0.25)
    raise AssertionError(f"not ready in {timeout}s:\n{output.read_text(errors='replace')}")


def _names_left(prefix: str) -> tuple[list[str], list[str]]:
    """Databases and vhosts whose names start with ``prefix``."""
    admin = sa.create_engine(f"{PG.postgresql}/postgres", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            rows = conn.execute(sa.text("SELECT datname FROM pg_database"))
            databases = [r[0] for r in rows if r[0].startswith(prefix)]
    finally:
        admin.dispose()
    listed = subprocess.run(
        ["rabbitmqctl", "list_vhosts", "-q"], capture_output=True, text=True, check=True
    )
    vhosts = [line for line in listed.stdout.split() if line.startswith(prefix)]
    return databases, vhosts


def _runs_from(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is alive and one of this devstack's (not a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return str(data_dir) in cmdline and state[state.rindex(")") + 2] != "Z"


def _boot_one(state: dict[str, Any], prefix: str, port: int) -> None:
    cloud = Cloud(
        f"http://127.0.0.1:{port}/v2.1", state["placement"], PG.database_url(f"{prefix}_api")
    )
    assert cloud.boot("it-pg", "pg-1").status_code == 202
    (uuid,) = cloud.server_uuids("it-pg")
    views = cloud.wait_all([uuid], lambda view: view["status"] != "BUILD", timeout=60)
    assert views[uuid]["status"] == "ACTIVE"
    assert cloud.allocations(uuid), "placement (psycopg2) holds the server's allocation"


def _stop(launcher: subprocess.Popen[bytes]) -> None:
    if launcher.poll() is None:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(90)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait()


def test_sigterm_stops_every_process_of_the_group(tmp_path: Path) -> None:
    prefix, port, data_dir = unique_prefix(), free_port(), tmp_path / "devstack"
    output = tmp_path / "launcher.out"
    command = [
        str(Path(sys.executable).parent / "tessera"),
        "devstack",
        *("--backend", "postgresql", "--cells", "1", "--computes", "1"),
        *("--port", str(port), "--prefix", prefix, "--data-dir", str(data_dir), "--cleanup"),
    ]
    with output.open("wb") as out:
        # Its own session, as a shell would start it; the services get a group of their own.
        launcher = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_ready(launcher, output, timeout=150)
        state = json.loads((data_dir / STATE_FILE).read_text())
        pids: dict[str, int] = state["processes"]
        assert set(pids) == SERVICES
        assert set(pids.values()) <= set(group_members(state["pgid"]))
        _boot_one(state, prefix, port)

        launcher.send_signal(signal.SIGTERM)  # What Ctrl-C does to the launcher.
        assert launcher.wait(90) == 0, output.read_text()

        assert group_members(state["pgid"]) == []
        assert group_members(state["placement_pgid"]) == []
        assert group_members(launcher.pid) == []
        assert [name for name, pid in pids.items() if _runs_from(pid, data_dir)] == []
        assert _names_left(prefix) == ([], [])
    finally:
        _stop(launcher)
        # Whatever a failure left behind.
        provision.drop_databases(
            PG, [f"{prefix}_{n}" for n in ("api", "cell0", "cell1", "placement", "network")]
        )
        provision.delete_vhosts(PG, [f"{prefix}_{n}" for n in ("api", "notifications", "cell1")])
