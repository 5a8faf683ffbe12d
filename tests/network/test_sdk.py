"""openstacksdk, unchanged, against the network routes over real HTTP.

This is what ``openstack server create --nic net-id=...`` does first: discover the
network endpoint (``GET /network`` without a token), then look the network up.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import falcon
import openstack
import openstack.connection
import openstack.exceptions
import pytest

from tessera.api import errors
from tessera.api.server import APIServer
from tessera.db.engines import create_engine
from tessera.network import api
from tessera.network.service import NetworkService
from tests.network.conftest import NoAuthWithNetworkVersions

# The SDK warns about its own internals; nothing here to act on.
pytestmark = [
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning"),
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK60Warning"),
]


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[NetworkService]:
    engine = create_engine(f"sqlite:///{tmp_path / 'network.db'}")
    yield NetworkService(engine)
    engine.dispose()


@pytest.fixture
def endpoint(sqlite_service: NetworkService) -> Iterator[str]:
    app = falcon.App(middleware=[NoAuthWithNetworkVersions()])
    app.req_options.strip_url_path_trailing_slash = True
    errors.install(app)
    api.install(app, sqlite_service)
    server = APIServer(app, "127.0.0.1", 0, threads=2)
    server.start()
    yield f"http://127.0.0.1:{server.port}/network"
    server.stop()


def connect(endpoint: str, token: str) -> openstack.connection.Connection:
    return openstack.connect(
        auth_type="admin_token",
        auth={"token": token, "endpoint": endpoint},
        network_endpoint_override=endpoint,
    )


def test_sdk_finds_networks_and_ports(sqlite_service: NetworkService, endpoint: str) -> None:
    default = sqlite_service.ensure_default_network()
    instance = str(uuid.uuid4())
    (port,) = sqlite_service.allocate_for_instance(instance, "p1", "auto")
    conn = connect(endpoint, "demo:p1")

    assert conn.network.find_network("default", ignore_missing=False).id == default.id
    assert conn.network.find_network(default.id, ignore_missing=False).name == "default"
    (found,) = conn.network.ports(device_id=instance)
    assert (found.id, found.mac_address) == (port.id, port.mac_address)
    assert found.fixed_ips == [{"subnet_id": port.subnet_id, "ip_address": "10.0.0.2"}]
    assert [subnet.cidr for subnet in conn.network.subnets()] == ["10.0.0.0/24"]
    with pytest.raises(openstack.exceptions.NotFoundException):
        conn.network.get_network(str(uuid.uuid4()))
