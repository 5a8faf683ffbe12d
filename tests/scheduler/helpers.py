"""Building a small cloud for the scheduler: cells, computes, providers, aggregates, specs."""

from __future__ import annotations

import datetime
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg

from tessera.db.api.models import ApiBase
from tessera.db.main.models import MainBase
from tessera.db.types import utcnow
from tessera.objects import cell_mapping, host_mapping
from tessera.objects.cell_mapping import CELL0_UUID
from tessera.objects.flavor import Flavor
from tessera.placement.client import Inventory, PlacementClient, Response, Transport
from tessera.placement.records import JSONObject
from tessera.scheduler.manager import SchedulerManager, build_manager
from tests.conftest import CloudDBs

CELL1_UUID = "11111111-1111-4111-8111-111111111111"
CELL2_UUID = "22222222-2222-4222-8222-222222222222"
CELL_UUIDS = {"cell1": CELL1_UUID, "cell2": CELL2_UUID}

COMPUTE_NODES = MainBase.metadata.tables["compute_nodes"]
SERVICES = MainBase.metadata.tables["services"]
AGGREGATES = ApiBase.metadata.tables["aggregates"]
AGGREGATE_HOSTS = ApiBase.metadata.tables["aggregate_hosts"]
AGGREGATE_METADATA = ApiBase.metadata.tables["aggregate_metadata"]

TINY = Flavor(1, "1", "m1.tiny", vcpus=1, memory_mb=512, root_gb=1)


def inventory(vcpus: int = 16, ram: int = 65536, disk: int = 1000) -> dict[str, Inventory]:
    """A compute node's inventory (no overcommit, so capacities are exact)."""
    return {"VCPU": Inventory(vcpus), "MEMORY_MB": Inventory(ram), "DISK_GB": Inventory(disk)}


def spec(flavor: Flavor = TINY, **extra: Any) -> dict[str, Any]:
    """A request spec dict as the conductor sends it."""
    values: dict[str, Any] = {
        "project_id": "project1",
        "user_id": "user1",
        "flavor": flavor.to_dict(),
        "num_instances": 1,
    }
    values.update(extra)
    return values


def new_uuids(count: int) -> list[str]:
    return [str(uuidlib.uuid4()) for _ in range(count)]


class CountingTransport:
    """A placement transport that records every request's method and path."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []

    def request(
        self, method: str, path: str, body: JSONObject | None = None, version: str = "1.39"
    ) -> Response:
        self.calls.append((method, path.split("?")[0]))
        return self.inner.request(method, path, body, version)


@dataclass
class Cloud:
    """The scheduler's view of a test cloud: API DB, cell DBs and placement."""

    dbs: CloudDBs
    placement: PlacementClient
    conf: cfg.ConfigOpts
    nodes: dict[str, str] = field(default_factory=dict)
    """Host -> node uuid of every compute added."""

    def add_cell(self, name: str, url: str | None, uuid: str, disabled: bool = False) -> str:
        with self.dbs.engine("api").begin() as conn:
            return cell_mapping.create(
                conn,
                name=name,
                transport_url="none:///",
                database_connection=url,
                disabled=disabled,
                uuid=uuid,
            )

    def map_cells(self, disabled: tuple[str, ...] = ()) -> None:
        """cell0, cell1 and cell2 (those in ``disabled`` disabled)."""
        self.add_cell("cell0", self.dbs.cell0, CELL0_UUID)
        for name, uuid in CELL_UUIDS.items():
            self.add_cell(name, self.dbs.url(name), uuid, disabled=name in disabled)

    def disable(self, cell: str) -> None:
        with self.dbs.engine("api").begin() as conn:
            cell_mapping.update(conn, CELL_UUIDS[cell], {"disabled": True})

    def add_compute(
        self,
        cell: str,
        host: str,
        inv: Mapping[str, Inventory] | None = None,
        *,
        up: bool = True,
        disabled: bool = False,
        mapped: bool = True,
    ) -> str:
        """A compute service, its node, its host mapping and its resource provider."""
        node = str(uuidlib.uuid4())
        inv = inv or inventory()
        seen = utcnow() - datetime.timedelta(seconds=0 if up else 3600)
        with self.dbs.engine(cell).begin() as conn:
            conn.execute(
                sa.insert(SERVICES).values(
                    uuid=str(uuidlib.uuid4()),
                    host=host,
                    binary="tessera-compute",
                    topic="compute",
                    disabled=disabled,
                    last_seen_up=seen,
                    deleted=0,
                )
            )
            conn.execute(
                sa.insert(COMPUTE_NODES).values(
                    uuid=node,
                    host=host,
                    hypervisor_hostname=f"{host}.node",
                    vcpus=inv["VCPU"].total,
                    memory_mb=inv["MEMORY_MB"].total,
                    local_gb=inv["DISK_GB"].total,
                    mapped=1 if mapped else 0,
                    deleted=0,
                )
            )
        if mapped:
            self.map_host(cell, host)
        generation = self.placement.ensure_resource_provider(node, host)
        self.placement.set_inventory(node, dict(inv), generation)
        self.nodes[host] = node
        return node

    def map_host(self, cell: str, host: str) -> None:
        with self.dbs.engine("api").begin() as conn:
            cell_id = cell_mapping.get_by_uuid(
                conn, CELL_UUIDS[cell], cell_mapping.URLBases(None, None)
            ).id
            host_mapping.create_many(conn, cell_id, [host])

    def add_aggregate(self, name: str, hosts: list[str], metadata: dict[str, str]) -> None:
        with self.dbs.engine("api").begin() as conn:
            inserted = conn.execute(
                sa.insert(AGGREGATES).values(uuid=str(uuidlib.uuid4()), name=name)
            ).inserted_primary_key
            assert inserted is not None
            agg_id = inserted[0]
            for host in hosts:
                conn.execute(sa.insert(AGGREGATE_HOSTS).values(host=host, aggregate_id=agg_id))
            for key, value in metadata.items():
                conn.execute(
                    sa.insert(AGGREGATE_METADATA).values(aggregate_id=agg_id, key=key, value=value)
                )

    def manager(self, placement: PlacementClient | None = None) -> SchedulerManager:
        manager = build_manager(self.conf, self.dbs.engine("api"), placement or self.placement)
        manager.init_host()
        return manager

    def mapped_hosts(self) -> list[str]:
        """Hosts with a host mapping, sorted."""
        with self.dbs.engine("api").connect() as conn:
            stmt = sa.select(host_mapping.TABLE.c.host).order_by(host_mapping.TABLE.c.host)
            return list(conn.execute(stmt).scalars())

    def used(self, host: str, rc: str = "VCPU") -> int:
        """How much of ``rc`` is allocated on the host's provider."""
        return self.placement.get_provider_usages(self.nodes[host]).get(rc, 0)

    def held(self, consumer: str) -> dict[str, dict[str, int]]:
        """The consumer's allocations."""
        return self.placement.get_allocations(consumer).allocations
