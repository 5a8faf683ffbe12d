"""A build stuck on a compute that went down ends in ERROR, with its claim given back."""

from __future__ import annotations

import datetime
import time

import sqlalchemy as sa

from tessera.conductor.stuck_builds import StuckBuildSweeper
from tessera.db.engines import create_engine
from tessera.db.types import utcnow
from tessera.deploy.cloud import EmbeddedCloud
from tessera.objects import instance, instance_action, instance_fault
from tessera.objects import service as services
from tessera.placement.client import PlacementClient
from tests.functional.conftest import DEMO, StartCloud, wait_for
from tests.functional.inspect import cell_urls

HOUR = datetime.timedelta(hours=1)
SPAWN = 6
"""Seconds a spawn takes: long enough to catch the build in ``spawning``."""


def _boot_spawning(cloud: EmbeddedCloud) -> str:
    from tessera.compute.api import ServerRequest

    assert cloud.server_api is not None
    uuid = cloud.server_api.create(DEMO, ServerRequest("slow", "1", networks="none"))[0].uuid
    wait_for(
        lambda: cloud.server_api.get(DEMO, uuid).instance.task_state == "spawning",  # type: ignore[union-attr]
        what="the build to reach spawning",
    )
    return uuid


def _stop_compute(cloud: EmbeddedCloud) -> str:
    compute = next(s for s in cloud.services if s.binary == services.COMPUTE_BINARY)
    compute.stop()
    return compute.host


def _age(engine: sa.Engine, uuid: str, host: str | None, by: datetime.timedelta) -> None:
    """Pretend the build (and the host's last heartbeat) happened ``by`` ago."""
    then = utcnow() - by
    with engine.begin() as conn:
        conn.execute(
            sa.update(instance.TABLE)
            .where(instance.TABLE.c.uuid == uuid)
            .values(updated_at=then, created_at=then)
        )
        if host is not None:
            conn.execute(
                sa.update(services.TABLE)
                .where(services.TABLE.c.host == host)
                .values(last_seen_up=then)
            )


def test_a_build_on_a_dead_host_goes_to_error_with_a_fault(start_cloud: StartCloud) -> None:
    cloud = start_cloud(cells=1, computes_per_cell=1, fake_driver={"spawn_seconds": str(SPAWN)})
    assert cloud.placement is not None and cloud.server_api is not None
    placement = PlacementClient(cloud.placement.transport())
    uuid = _boot_spawning(cloud)
    spawning = time.monotonic()
    host = _stop_compute(cloud)
    engine = create_engine(cell_urls(cloud)["cell1"])
    sweeper = StuckBuildSweeper(engine, placement, "conductor-test", 600, 60)

    assert sweeper.run() == []  # the host was heard from seconds ago: not yet
    _age(engine, uuid, host, HOUR)
    assert placement.get_allocations(uuid).allocations  # still claimed before the sweep
    assert sweeper.run() == [uuid]
    assert sweeper.run() == []  # done once

    view = cloud.server_api.get(DEMO, uuid)
    assert (view.instance.vm_state, view.instance.task_state) == ("error", None)
    assert view.fault is not None and f"compute host {host} went down" in view.fault.message
    assert not placement.get_allocations(uuid).allocations
    with engine.connect() as conn:
        events = instance_action.events(conn, uuid, "create")
        assert instance_fault.latest(conn, uuid) is not None
    assert [(e.event, e.result) for e in events][-1] == ("compute_build_and_run_instance", "Error")
    engine.dispose()
    # The stopped compute's spawn thread still runs in this process; let it end (it
    # finds the build taken from it) before the cloud stops, or stopping waits for it.
    time.sleep(max(0.0, spawning + SPAWN + 1.0 - time.monotonic()))


def test_builds_on_live_hosts_are_left_alone(start_cloud: StartCloud) -> None:
    cloud = start_cloud(cells=1, computes_per_cell=1, fake_driver={"spawn_seconds": str(SPAWN)})
    assert cloud.placement is not None and cloud.server_api is not None
    placement = PlacementClient(cloud.placement.transport())
    uuid = _boot_spawning(cloud)
    engine = create_engine(cell_urls(cloud)["cell1"])
    _age(engine, uuid, None, HOUR)  # an old build, but its compute still heartbeats
    assert StuckBuildSweeper(engine, placement, "conductor-test", 600, 60).run() == []
    assert wait_for(
        lambda: cloud.server_api.get(DEMO, uuid).instance.vm_state == "active",  # type: ignore[union-attr]
        timeout=30,
        what="the build to finish",
    )
    engine.dispose()
