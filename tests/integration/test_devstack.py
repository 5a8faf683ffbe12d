"""A devstack of real processes: boots over HTTP, cell isolation, a compute killed mid-spawn.

The tests share one devstack (2 cells x 2 computes, MariaDB, RabbitMQ, placement
under gunicorn) and run in file order: the last one kills a compute.
"""

from __future__ import annotations

import configparser
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tessera.deploy.devstack import Devstack
from tests.integration.conftest import SLOW_HOST
from tests.integration.rest import Cloud, host_of

BOOT_PROJECT = "it-boot"


def _cell_of_host(devstack: Devstack) -> dict[str, str]:
    return {host: cell.name for cell in devstack.plan.cells for host in cell.computes}


# ------------------------------------------------------------------ (a) boot 50


def test_fifty_servers_boot_over_http_across_both_cells(cloud: Cloud, devstack: Devstack) -> None:
    for batch in range(5):
        resp = cloud.boot(BOOT_PROJECT, f"fifty-{batch}", count=10)
        assert resp.status_code == 202, resp.text
    uuids = cloud.server_uuids(BOOT_PROJECT)
    assert len(uuids) == 50

    views = cloud.wait_all(uuids, lambda view: view["status"] != "BUILD", timeout=150)

    assert Counter(view["status"] for view in views.values()) == {"ACTIVE": 50}
    cells = Counter(_cell_of_host(devstack)[host_of(view) or ""] for view in views.values())
    assert set(cells) == {"cell1", "cell2"}, cells


# ------------------------------------------------------------------ (b) isolation


def _read(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    assert parser.read(path) == [str(path)]
    return parser


def _values(parser: configparser.ConfigParser) -> list[str]:
    sections = [parser.defaults(), *(parser[name] for name in parser.sections())]
    return [value for section in sections for value in section.values()]


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def test_cell_services_run_without_the_api_database_or_transport(devstack: Devstack) -> None:
    plan = devstack.plan
    for cell in plan.cells:
        for service in (f"{cell.name}-conductor", *cell.computes):
            path = devstack.config_file(service)
            conf = _read(path)
            assert not conf.has_section("api_database"), service
            assert conf["DEFAULT"]["transport_url"] == cell.transport, service
            values = _values(conf)
            assert plan.api_transport not in values, service
            assert plan.api_database not in values, service
            expected_db = cell.database if service.endswith("-conductor") else None
            assert conf.get("database", "connection", fallback=None) == expected_db, service

            process = devstack.processes[service]
            assert process.running, process.describe_exit()
            assert str(path) in _cmdline(process.pid), service


# ------------------------------------------------------------------ (c) kill -9 mid-spawn

KILL_PROJECT = "it-kill"


def _boot_until_building_on(cloud: Cloud, host: str) -> list[str]:
    """Boot batches until a server is seen building on ``host``; return the batch's ids."""
    for batch in range(4):
        seen = set(cloud.server_uuids(KILL_PROJECT))
        assert cloud.boot(KILL_PROJECT, f"kill-{batch}", count=8).status_code == 202
        uuids = [u for u in cloud.server_uuids(KILL_PROJECT) if u not in seen]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            views = [cloud.show(uuid) or {} for uuid in uuids]
            if any(v.get("status") == "BUILD" and host_of(v) == host for v in views):
                return uuids
            if all(v.get("status") != "BUILD" for v in views):
                break  # This batch missed the host entirely; try another.
            time.sleep(0.1)
    raise AssertionError(f"no server was ever scheduled to {host}")


def _wait_reported_dead(devstack: Devstack, name: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(process.name == name for process in devstack.poll()):
            return
        time.sleep(0.1)
    raise AssertionError(f"the supervisor never reported {name} as dead")


def _on(views: dict[str, dict[str, Any]], host: str) -> list[str]:
    return [uuid for uuid, view in views.items() if host_of(view) == host]


def _wait_gone(cloud: Cloud, uuid: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cloud.show(uuid) is None:
            return True
        time.sleep(0.2)
    return False


def test_compute_killed_mid_spawn(cloud: Cloud, devstack: Devstack) -> None:
    """What a user sees when ``kill -9`` hits a compute while it spawns servers.

    The servers the dead host had been given stay ``BUILD`` (task state
    ``spawning``, or ``scheduling`` while the build waits in the dead host's
    queue) until the cell conductor sees the host silent for
    ``[conductor] down_host_build_timeout``: then they go to ERROR with a fault
    naming the host, and their placement allocations are given back. The API
    keeps answering, servers elsewhere are unaffected, and new ones avoid the
    host once its service is down. ``DELETE`` of such a server answers 204 and,
    the host being down, deletes it in the API at once.
    """
    victim = devstack.processes[SLOW_HOST]
    batch = _boot_until_building_on(cloud, SLOW_HOST)
    os.kill(victim.pid, signal.SIGKILL)
    _wait_reported_dead(devstack, SLOW_HOST)
    assert victim.returncode == -signal.SIGKILL

    # Everything not on the dead host settles normally.
    views = {uuid: cloud.show(uuid) or {} for uuid in batch}
    stuck = _on(views, SLOW_HOST)
    assert stuck
    others = [uuid for uuid in batch if uuid not in stuck]
    settled = cloud.wait_all(others, lambda view: view["status"] != "BUILD", timeout=60)
    assert {view["status"] for view in settled.values()} <= {"ACTIVE"}

    # The dead host's builds end in ERROR, with a fault, their claims given back.
    ended = cloud.wait_all(stuck, lambda view: view["status"] != "BUILD", timeout=90)
    for uuid, view in ended.items():
        assert (view["status"], host_of(view)) == ("ERROR", SLOW_HOST), view
        assert f"compute host {SLOW_HOST} went down" in view["fault"]["message"], view
        assert cloud.allocations(uuid) == {}

    # The API answers, the first test's servers are untouched, and new servers
    # (now that the dead compute counts as down) go to the other hosts.
    assert cloud.flavors_status() == 200
    earlier = cloud.server_uuids(BOOT_PROJECT)
    assert {(cloud.show(uuid) or {}).get("status") for uuid in earlier} == {"ACTIVE"}
    assert cloud.boot(KILL_PROJECT, "after-kill", count=4).status_code == 202
    fresh = [u for u in cloud.server_uuids(KILL_PROJECT) if u not in batch]
    after = cloud.wait_all(fresh, lambda view: view["status"] != "BUILD", timeout=60)
    assert {(view["status"], host_of(view) != SLOW_HOST) for view in after.values()} == {
        ("ACTIVE", True)
    }

    # Deleting a server of the dead host: 204, and because its compute is down
    # the API deletes it locally — nothing is left (the guest itself is
    # destroyed when that compute comes back).
    target = stuck[0]
    assert cloud.delete(target, KILL_PROJECT) == 204
    assert _wait_gone(cloud, target, timeout=15)
    assert cloud.allocations(target) == {}
