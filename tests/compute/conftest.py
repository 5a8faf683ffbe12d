"""A cell for compute tests: a unique ``inproc://`` vhost, the fake cell conductor
serving on it, the real embedded placement on a SQLite file, and real fake-driver
computes whose guests live under ``tmp_path``.
"""

from __future__ import annotations

import secrets
import threading
import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import falcon
import pytest

from tessera.api.server import APIServer
from tessera.compute.manager import ComputeManager
from tessera.compute.resource_tracker import AllocationRatios, ResourceTracker
from tessera.compute.rpcapi import TOPIC as COMPUTE_TOPIC
from tessera.compute.rpcapi import ComputeAPI
from tessera.conductor.rpcapi import TOPIC as CONDUCTOR_TOPIC
from tessera.conductor.rpcapi import CellConductorAPI
from tessera.context import admin_context
from tessera.image import ImageService, install
from tessera.objects.flavor import Flavor
from tessera.objects.instance import Instance
from tessera.objects.selection import Selection
from tessera.placement.client import PlacementClient
from tessera.placement.embedded import EmbeddedPlacement, open_embedded
from tessera.placement.transport import DEFAULT_VERSION, Response, Transport
from tessera.rpc.endpoint import start_server
from tessera.rpc.inproc_broker import PROCESS_REGISTRY
from tessera.rpc.registry import TransportRegistry
from tessera.rpc.transports import messaging_conf
from tessera.virt.fake import FakeDriver, FakeSettings
from tests.compute.fake_conductor import FakeCellConductor

CELL_UUID = "c0ffee00-0000-4000-8000-000000000001"
PROJECT = "project-a"
USER = "user-a"
TINY = Flavor(1, "1", "m1.tiny", vcpus=1, memory_mb=512, root_gb=1)
RATIOS = AllocationRatios(cpu=4.0, ram=1.5, disk=1.0)


class CountingTransport:
    """A placement transport that remembers every request it passes on."""

    def __init__(self, inner: Transport) -> None:
        self._inner = inner
        self.requests: list[tuple[str, str]] = []

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        version: str = DEFAULT_VERSION,
    ) -> Response:
        self.requests.append((method, path))
        return self._inner.request(method, path, body, version)

    def writes(self) -> list[tuple[str, str]]:
        """Requests that change placement."""
        return [r for r in self.requests if r[0] not in ("GET", "HEAD")]


@dataclass(frozen=True)
class Compute:
    """One started compute host of the test cell."""

    host: str
    driver: FakeDriver
    manager: ComputeManager
    tracker: ResourceTracker
    placement: CountingTransport

    @property
    def node_uuid(self) -> str:
        """The host's compute node (and resource provider) uuid."""
        uuid = self.tracker.node_uuid
        assert uuid is not None
        return uuid


@dataclass(frozen=True)
class Build:
    """An instance created in the cell and claimed on a host, ready to be cast."""

    instance: Instance
    request_spec: dict[str, Any]
    selection: Selection

    @property
    def uuid(self) -> str:
        return str(self.instance.uuid)


class Cell:
    """The test's cell; every server and transport it starts is stopped by :meth:`close`."""

    def __init__(self, tmp_path: Path, embedded: EmbeddedPlacement) -> None:
        self.tmp_path = tmp_path
        self.url = f"inproc:///t{secrets.token_hex(4)}-cell1"
        self.conf = messaging_conf()
        self.transports = TransportRegistry(self.conf)
        self.transport = self.transports.rpc(self.url)
        self.embedded = embedded
        self.placement = PlacementClient(embedded.transport())
        self.conductor = FakeCellConductor()
        self.compute_api = ComputeAPI(self.transport, timeout=10)
        self._servers: list[Any] = []
        self.serve(CONDUCTOR_TOPIC, "cell-conductor", self.conductor)

    def serve(self, topic: str, server: str, endpoint: Any) -> None:
        """Start an RPC server for ``endpoint`` on this cell's transport."""
        self._servers.append(start_server(self.transport, topic, server, [endpoint]))

    def fake_settings(self, host: str, **settings: Any) -> FakeSettings:
        """A simulated host whose guests live under this test's tmp_path."""
        return FakeSettings(host, self.tmp_path / "instances" / host, **settings)

    def start_compute(
        self, host: str, driver: FakeDriver | None = None, **settings: Any
    ) -> Compute:
        """Wire a compute host exactly as the service does and start serving it."""
        driver = driver or FakeDriver(self.fake_settings(host, **settings))
        counting = CountingTransport(self.embedded.transport())
        placement = PlacementClient(counting)
        conductor = CellConductorAPI(self.transport, timeout=10)
        tracker = ResourceTracker(host, driver, conductor, placement, RATIOS)
        manager = ComputeManager(host, driver, conductor, placement, tracker)
        manager.init_host()
        self.serve(COMPUTE_TOPIC, host, manager)
        return Compute(host, driver, manager, tracker, counting)

    def new_build(self, compute: Compute, flavor: Flavor = TINY) -> Build:
        """An instance in ``building``/``scheduling``, claimed on ``compute``'s node."""
        instance = new_instance(flavor)
        self.conductor.t_add_instance(instance)
        claimed = self.placement.claim(
            str(instance.uuid), {compute.node_uuid: flavor.resources()}, PROJECT, USER
        )
        assert claimed
        return Build(instance, request_spec(instance, flavor), selection(compute, flavor))

    def cast_build(self, build: Build, alternates: list[Selection] | None = None) -> None:
        """What the conductor does: cast ``build_and_run_instance`` to the selected host."""
        self.compute_api.build_and_run_instance(
            admin_context(),
            build.selection.service_host,
            build.instance,
            build.request_spec,
            build.selection,
            alternates or [],
        )

    def wait_vm_state(self, uuid: str, vm_state: str) -> bool:
        """Wait until the instance reaches ``vm_state`` in the fake conductor."""
        return self.conductor.t_wait(lambda s: s.instances[uuid]["values"]["vm_state"] == vm_state)

    def allocations(self, uuid: str) -> dict[str, dict[str, int]]:
        """What placement holds for ``uuid`` (provider -> resources)."""
        return self.placement.get_allocations(uuid).allocations

    def close(self) -> None:
        """Stop every server (in parallel: waiting takes about a second each)."""
        for server in self._servers:
            server.stop()
        waiters = [threading.Thread(target=s.wait) for s in self._servers]
        for waiter in waiters:
            waiter.start()
        for waiter in waiters:
            waiter.join()
        self.transports.cleanup()


def new_instance(flavor: Flavor = TINY) -> Instance:
    """An instance as the super conductor creates it in the cell before casting."""
    uuid = str(uuidlib.uuid4())
    values = {
        "uuid": uuid,
        "display_name": f"server-{uuid[:8]}",
        "project_id": PROJECT,
        "user_id": USER,
        "image_ref": "cirros",
        "vm_state": "building",
        "task_state": "scheduling",
        "power_state": 0,
        "host": None,
        "node": None,
        "vcpus": flavor.vcpus,
        "memory_mb": flavor.memory_mb,
        "root_gb": flavor.root_gb,
        "deleted": 0,
    }
    return Instance(values, flavor.to_dict(), {})


def request_spec(instance: Instance, flavor: Flavor) -> dict[str, Any]:
    """The request spec dict that travels with the build."""
    return {
        "instance_uuid": instance.uuid,
        "project_id": PROJECT,
        "user_id": USER,
        "flavor": flavor.to_dict(),
        "num_instances": 1,
        "image_ref": "cirros",
    }


def selection(compute: Compute, flavor: Flavor = TINY) -> Selection:
    """The scheduler's selection of ``compute`` for one server of ``flavor``."""
    node = compute.node_uuid
    request = {"allocations": {node: {"resources": flavor.resources()}}}
    return Selection(node, compute.host, compute.host, CELL_UUID, request)


def other_host_selection(template: Selection, host: str) -> Selection:
    """An alternate on a host that is not running in this test."""
    return replace(template, compute_node_uuid=str(uuidlib.uuid4()), service_host=host)


@pytest.fixture(autouse=True)
def _fresh_brokers() -> Iterator[None]:
    """Forget the in-process brokers after each test."""
    yield
    PROCESS_REGISTRY.reset()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedPlacement]:
    """The real placement app in-process on this test's SQLite file."""
    with open_embedded(f"sqlite:///{tmp_path / 'placement.db'}") as placement:
        yield placement


@pytest.fixture
def cell(tmp_path: Path, embedded: EmbeddedPlacement) -> Iterator[Cell]:
    """The test's cell with its fake conductor serving; torn down at the end."""
    harness = Cell(tmp_path, embedded)
    try:
        yield harness
    finally:
        harness.close()


# --------------------------------------------------------------------------- image service


@pytest.fixture
def images(tmp_path: Path) -> Iterator[ImageService]:
    """The built-in image service, storing under the test's folder."""
    service = ImageService(tmp_path / "images")
    yield service
    service.close()


@pytest.fixture
def image_api(images: ImageService) -> Iterator[str]:
    """The image API over real HTTP; yields its root URL."""
    app = falcon.App()
    install(app, images)
    server = APIServer(app, "127.0.0.1", 0, threads=4)
    server.start()
    yield f"http://127.0.0.1:{server.port}/image"
    server.stop()
