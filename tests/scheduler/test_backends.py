"""One scheduling round trip per database backend (SQLite, MariaDB, PostgreSQL)."""

from __future__ import annotations

import pytest
from oslo_config import cfg

from tessera.context import RequestContext
from tessera.placement.client import PlacementClient
from tessera.placement.embedded import EmbeddedPlacement
from tessera.scheduler.errors import NoValidHost
from tests.conftest import CloudDBs
from tests.scheduler.helpers import CELL1_UUID, CELL2_UUID, Cloud, inventory, new_uuids, spec

CTX = RequestContext(user_id="user1", project_id="project1")


def test_select_destinations_on_each_backend(
    cloud: CloudDBs, embedded: EmbeddedPlacement, conf: cfg.ConfigOpts
) -> None:
    sched = Cloud(cloud, PlacementClient(embedded.transport()), conf)
    sched.map_cells()
    for i, host in enumerate(["a1", "b1", "a2", "b2"]):
        sched.add_compute(
            "cell1" if host[0] == "a" else "cell2", host, inventory(vcpus=2, ram=8000 - 1000 * i)
        )
    sched.add_aggregate("agg", ["a1", "a2"], {"availability_zone": "az1"})
    manager = sched.manager()

    uuids = new_uuids(2)
    group = {"policy": "anti-affinity", "hosts": []}
    result = manager.select_destinations(CTX, spec(instance_group=group), uuids)
    assert [[s["service_host"] for s in hosts] for hosts in result] == [["a1", "a2"], ["b1", "b2"]]
    assert [hosts[0]["cell_uuid"] for hosts in result] == [CELL1_UUID, CELL2_UUID]
    assert [hosts[0]["availability_zone"] for hosts in result] == ["az1", "nova"]

    too_many = new_uuids(7)  # 8 vCPUs in all, 2 already taken
    with pytest.raises(NoValidHost):
        manager.select_destinations(CTX, spec(), too_many)
    assert all(sched.held(u) == {} for u in too_many)
    assert sum(sched.used(h) for h in ["a1", "b1", "a2", "b2"]) == 2
