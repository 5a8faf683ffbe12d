"""A cloud for listing tests: cell mappings over the ``cloud`` databases, servers put
straight into cells (with their mappings), build requests, and targets that count
which cells were queried. No tests here; the listing test modules share it.
"""

from __future__ import annotations

import datetime
import json
import threading
import time
import uuid as uuidlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from oslo_config import cfg
from sqlalchemy.engine import Engine

from tessera.cells.targets import CellTargets
from tessera.compute.multi_cell_list import ServerLister
from tessera.conf.database import DatabaseSettings
from tessera.db.engines import Databases
from tessera.objects import build_request, cell_mapping, instance_fault, instance_mapping
from tessera.objects import flavor as flavors
from tessera.objects import instance as instances
from tessera.objects.build_request import BuildRequest
from tessera.objects.cell_mapping import CELL0_UUID, CellMapping, URLBases
from tessera.objects.instance import Instance
from tessera.rpc.registry import TransportRegistry
from tests.conftest import CloudDBs

T0 = datetime.datetime(2024, 1, 1, 12, 0, 0)
# Nothing listens on the discard port: connecting is refused at once.
UNREACHABLE_DB = "mysql+pymysql://root@127.0.0.1:9/nowhere"


class CountingTargets(CellTargets):
    """CellTargets that record every cell whose engines were asked for (and can stall one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asked: list[str] = []
        self.stall: dict[str, float] = {}
        self._asked_lock = threading.Lock()

    def engine(self, cell: CellMapping) -> Engine:
        self._ask(cell)
        return super().engine(cell)

    def reader(self, cell: CellMapping) -> Engine:
        self._ask(cell)
        return super().reader(cell)

    def _ask(self, cell: CellMapping) -> None:
        with self._asked_lock:
            self.asked.append(cell.uuid)
        if cell.uuid in self.stall:
            time.sleep(self.stall[cell.uuid])

    def take_asked(self) -> list[str]:
        """Cells asked for since the last call."""
        with self._asked_lock:
            asked, self.asked = self.asked, []
        return asked


@dataclass
class ListingCloud:
    """The ``cloud`` databases mapped as cell0, cell1 and cell2, and helpers to fill them."""

    dbs: CloudDBs
    targets: CountingTargets
    databases: Databases
    cells: dict[str, CellMapping] = field(default_factory=dict)
    servers: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Every server added, by uuid: its values plus ``cell`` (None for build requests)."""
    flavor_ids: dict[str, int] = field(default_factory=dict)

    def lister(self, **kwargs: Any) -> ServerLister:
        """A lister over these cells."""
        return ServerLister(self.targets, **kwargs)

    def add_cell(self, name: str, url: str, uuid: str | None = None) -> CellMapping:
        """Map a cell (its database at ``url``)."""
        with self.dbs.engine("api").begin() as conn:
            made = cell_mapping.create(
                conn, name=name, transport_url="none:///", database_connection=url, uuid=uuid
            )
            cell = cell_mapping.get_by_uuid(conn, made, self.targets.bases)
        self.targets.reload()
        self.cells[name] = cell
        return cell

    def add_flavor(self, flavorid: str) -> int:
        """Create a flavor; return its primary key (the instances' ``instance_type_id``)."""
        with self.dbs.engine("api").begin() as conn:
            flavors.create(conn, flavorid, f"flavor-{flavorid}", 1, 512, 1)
            size = flavors.get_by_flavorid(conn, flavorid)
        self.flavor_ids[flavorid] = size.id
        return size.id

    def add_server(self, cell: str, project: str = "p1", **values: Any) -> str:
        """Create an instance in ``cell`` (its DB) with a mapping; return its uuid."""
        record = _values(project, values)
        with self.dbs.engine(cell).begin() as conn:
            instances.create(conn, Instance(record, {"flavorid": "1"}, {"k": "v"}))
        with self.dbs.engine("api").begin() as conn:
            instance_mapping.create(
                conn, record["uuid"], project, record["user_id"], self.cells[cell].id
            )
        self.servers[record["uuid"]] = {**record, "cell": cell, "deleted": False}
        return str(record["uuid"])

    def add_build_request(self, project: str = "p1", **values: Any) -> str:
        """A server still being scheduled: a build request and a mapping without a cell."""
        record = _values(project, {"vm_state": "building", "task_state": "scheduling", **values})
        payload = json.dumps(Instance(record, {"flavorid": "1"}, {}).to_dict())
        with self.dbs.engine("api").begin() as conn:
            build_request.create(conn, BuildRequest(record["uuid"], project, payload))
            instance_mapping.create(conn, record["uuid"], project, record["user_id"], None)
        self.servers[record["uuid"]] = {**record, "cell": None, "deleted": False}
        return str(record["uuid"])

    def delete_server(self, uuid: str) -> None:
        """Soft-delete it in its cell (as a finished delete leaves it)."""
        cell = self.servers[uuid]["cell"]
        with self.dbs.engine(cell).begin() as conn:
            instances.soft_delete(conn, uuid)
        self.servers[uuid].update(deleted=True, vm_state="deleted", task_state=None)

    def update_server(self, uuid: str, **values: Any) -> None:
        """Change columns of a live instance."""
        cell = self.servers[uuid]["cell"]
        with self.dbs.engine(cell).begin() as conn:
            instances.update(conn, uuid, values)
        self.servers[uuid].update(values)

    def record_fault(self, uuid: str, message: str) -> None:
        """Store a fault for the server."""
        cell = self.servers[uuid]["cell"]
        with self.dbs.engine(cell).begin() as conn:
            instance_fault.record(conn, uuid, RuntimeError(message), None, code=400)

    def close(self) -> None:
        """Dispose of this test's engines."""
        self.databases.dispose()


def _values(project: str, values: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "uuid": str(uuidlib.uuid4()),
        "user_id": f"user-{project}",
        "project_id": project,
        "display_name": "server",
        "vm_state": "active",
        "task_state": None,
        "power_state": 1,
        "created_at": T0,
        "hidden": False,
        "image_ref": "image-a",
        "reservation_id": "r-1",
        "instance_type_id": 999,  # no flavor has this id unless a test makes one
        "launch_index": 0,
        "locked": False,
        "progress": 0,
    }
    record.update(values)
    return record


def open_listing_cloud(dbs: CloudDBs, cell_timeout_retries: int = 0) -> ListingCloud:
    """Map cell0, cell1 and cell2 of ``dbs`` and return the helpers over them."""
    databases = Databases(DatabaseSettings(None, max_retries=cell_timeout_retries))
    targets = CountingTargets(
        dbs.engine("api"), databases, TransportRegistry(cfg.ConfigOpts()), URLBases(None, None)
    )
    cloud = ListingCloud(dbs, targets, databases)
    cloud.add_cell("cell0", dbs.cell0, uuid=CELL0_UUID)
    cloud.add_cell("cell1", dbs.cell1)
    cloud.add_cell("cell2", dbs.cell2)
    return cloud


def expected_order(
    servers: Sequence[dict[str, Any]], keys: Sequence[tuple[str, bool]]
) -> list[str]:
    """Uuids in the order ``keys`` ((column, descending) pairs, then uuid) ask for.

    Written independently of the lister: stable sorts from the last key to the
    first, NULL as the smallest value, strings by code point.
    """
    ordered = sorted(servers, key=lambda s: str(s["uuid"]))
    for column, descending in reversed(keys):
        ordered.sort(key=_null_first(column), reverse=descending)
    return [s["uuid"] for s in ordered]


def _null_first(column: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    def key(server: dict[str, Any]) -> tuple[Any, ...]:
        value = server.get(column)
        return (0,) if value is None else (1, value)

    return key


def cell_servers(cloud: ListingCloud, project: str | None = None) -> list[dict[str, Any]]:
    """Live servers in cells (not build requests), optionally of one project."""
    return [
        s
        for s in cloud.servers.values()
        if s["cell"] is not None
        and not s["deleted"]
        and (project is None or s["project_id"] == project)
    ]
