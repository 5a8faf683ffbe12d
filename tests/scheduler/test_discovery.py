"""Host discovery from the scheduler: interval, notification endpoint, retries, down cells."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from oslo_config import cfg

from tessera.context import RequestContext
from tessera.objects import host_mapping
from tessera.objects.cell_mapping import URLBases
from tessera.scheduler.cell_engines import CellEngines
from tessera.scheduler.delayed_retries import DelayedRetries
from tessera.scheduler.discovery import ComputeServiceEvents, HostDiscovery, discovery_interval
from tessera.scheduler.errors import NoValidHost
from tessera.scheduler.manager import SchedulerManager
from tests.rpc.helpers import wait_until
from tests.scheduler.helpers import COMPUTE_NODES, Cloud, new_uuids, spec

CTX = RequestContext(user_id="user1", project_id="project1")


def discovery_for(cloud: Cloud, manager: SchedulerManager) -> HostDiscovery:
    return HostDiscovery(
        cloud.dbs.engine("api"), URLBases(None, None), CellEngines(), manager.hosts.cells
    )


def mapped_hosts(cloud: Cloud) -> list[str]:
    with cloud.dbs.engine("api").connect() as conn:
        return [m.host for m in host_mapping.get_all(conn, URLBases(None, None))]


def schedule(manager: SchedulerManager) -> str:
    return str(manager.select_destinations(CTX, spec(), new_uuids(1))[0][0]["service_host"])


@pytest.mark.parametrize(("value", "seconds"), [(-1, None), (0, 60.0), (5, 5.0)])
def test_interval(conf: cfg.ConfigOpts, value: int, seconds: float | None) -> None:
    conf.set_override("discover_hosts_in_cells_interval", value, group="scheduler")
    assert discovery_interval(conf) == seconds


def test_a_new_compute_is_mapped_on_its_service_event(scloud: Cloud) -> None:
    scloud.add_compute("cell2", "new", mapped=False)
    manager = scloud.manager()
    with pytest.raises(NoValidHost):
        schedule(manager)  # not mapped yet: not a usable host
    events = ComputeServiceEvents(discovery_for(scloud, manager))

    events.info(CTX, "tessera-api:api1", "service.update", {"host": "new"}, {})
    events.info(CTX, "tessera-compute:new", "instance.update", {}, {})
    assert mapped_hosts(scloud) == []  # neither event is a compute service event

    events.info(CTX, "tessera-compute:new", "service.create", {"host": "new"}, {})
    assert mapped_hosts(scloud) == ["new"]
    assert schedule(manager) == "new"  # the cache was refreshed too


def test_a_compute_announced_before_its_node_is_retried(scloud: Cloud) -> None:
    manager = scloud.manager()
    discovery = discovery_for(scloud, manager)
    retries = DelayedRetries(discovery.run, discovery.is_mapped, delays=[0.05] * 100)
    events = ComputeServiceEvents(discovery, retries)
    events.info(CTX, "tessera-compute:late", "service.create", {}, {})
    assert mapped_hosts(scloud) == []
    scloud.add_compute("cell1", "late", mapped=False)
    assert wait_until(lambda: discovery.is_mapped("late"))
    assert schedule(manager) == "late"
    events.stop()


def test_two_discoveries_at_once_map_each_host_once(scloud: Cloud) -> None:
    for i in range(20):
        scloud.add_compute("cell1" if i % 2 else "cell2", f"h{i:02d}", mapped=False)
    manager = scloud.manager()
    runs = [discovery_for(scloud, manager) for _ in range(2)]
    found: list[list[str]] = []
    threads = [threading.Thread(target=lambda d=d: found.append(d.run())) for d in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {h for run in found for h in run} == {
        f"{'cell1' if i % 2 else 'cell2'}:h{i:02d}" for i in range(20)
    }
    assert len(mapped_hosts(scloud)) == 20
    with scloud.dbs.engine("cell1").connect() as conn:
        assert set(conn.execute(sa.select(COMPUTE_NODES.c.mapped)).scalars()) == {1}


def test_a_down_cell_does_not_stop_discovery(scloud: Cloud, tmp_path: Path) -> None:
    scloud.add_cell("dead", f"sqlite:///{tmp_path}/no/such/dir.db", new_uuids(1)[0])
    scloud.add_compute("cell1", "fine", mapped=False)
    assert discovery_for(scloud, scloud.manager()).run() == ["cell1:fine"]
