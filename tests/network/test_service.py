"""The network service on every backend: default network, allocation, release, bindings."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tessera.network.errors import (
    InvalidNetworkRequest,
    NetworkExhausted,
    NetworkNotFound,
    PortNotFound,
)
from tessera.network.records import PortStatus
from tessera.network.schema import port_bindings, ports
from tessera.network.service import DEFAULT_NETWORK_ID, NetworkService
from tests.network.conftest import EngineFactory


def new_uuid() -> str:
    return str(uuid.uuid4())


def port_rows(service: NetworkService) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(ports)).scalar_one())


# --------------------------------------------------------------------------- schema and default


def test_schema_creation_is_repeatable(service: NetworkService, new_engine: EngineFactory) -> None:
    again = NetworkService(new_engine())
    assert again.ensure_default_network() == service.ensure_default_network()


def test_default_network_is_created_once(service: NetworkService) -> None:
    first = service.ensure_default_network()
    second = service.ensure_default_network(cidr="192.168.5.0/24")
    assert second == first
    assert (first.name, first.shared, first.project_id) == ("default", True, None)
    assert len(first.subnet_ids) == 1


def test_default_network_subnet_layout(service: NetworkService) -> None:
    network = service.ensure_default_network(cidr="10.9.0.0/24")
    port = service.allocate_for_instance(new_uuid(), "p1", "auto")[0]
    assert port.network_id == network.id
    assert port.subnet_id == network.subnet_ids[0]
    # .0 is the network address and .1 the gateway: the pool starts at .2.
    assert port.ip_address == "10.9.0.2"


def test_auto_creates_the_default_network_when_missing(service: NetworkService) -> None:
    assert service.get_network(DEFAULT_NETWORK_ID) is None
    (port,) = service.allocate_for_instance(new_uuid(), "p1", "auto")
    assert (port.network_id, port.ip_address) == (DEFAULT_NETWORK_ID, "10.0.0.2")
    assert service.ensure_default_network().id == DEFAULT_NETWORK_ID


# --------------------------------------------------------------------------- allocation


def test_auto_gives_one_port_with_lowest_free_address(service: NetworkService) -> None:
    instance = new_uuid()
    (port,) = service.allocate_for_instance(instance, "p1", "auto", availability_zone="az1")
    assert port.ip_address == "10.0.0.2"
    assert port.mac_address.startswith("fa:16:3e:")
    assert (port.device_id, port.device_index, port.device_owner) == (instance, 0, "compute:az1")
    assert (port.status, port.binding_host, port.project_id) == (PortStatus.DOWN, None, "p1")
    second = service.allocate_for_instance(new_uuid(), "p1", "auto")
    assert second[0].ip_address == "10.0.0.3"


def test_allocation_is_idempotent_per_instance(service: NetworkService) -> None:
    instance = new_uuid()
    first = service.allocate_for_instance(instance, "p1", "auto")
    assert service.allocate_for_instance(instance, "p1", "auto") == first
    assert service.ports_of(instance) == first
    assert port_rows(service) == 1


def test_none_gives_nothing(service: NetworkService) -> None:
    instance = new_uuid()
    assert service.allocate_for_instance(instance, "p1", "none") == []
    assert service.allocate_for_instance(instance, "p1", []) == []
    assert service.ports_of(instance) == []
    assert service.addresses(instance) == {}
    assert port_rows(service) == 0


def test_explicit_networks_one_port_each_in_order(service: NetworkService) -> None:
    default = service.ensure_default_network()
    mine = service.create_network("mine", "172.16.0.0/28", project_id="p1")
    instance = new_uuid()
    request = [{"uuid": mine.id}, {"uuid": default.id}, {"uuid": mine.id, "tag": "b"}]
    made = service.allocate_for_instance(instance, "p1", request)
    assert [(p.network_id, p.ip_address) for p in made] == [
        (mine.id, "172.16.0.2"),
        (default.id, "10.0.0.2"),
        (mine.id, "172.16.0.3"),
    ]
    assert [p.device_index for p in service.ports_of(instance)] == [0, 1, 2]


def test_unknown_network_is_not_found(service: NetworkService) -> None:
    missing = new_uuid()
    instance = new_uuid()
    with pytest.raises(NetworkNotFound) as caught:
        service.allocate_for_instance(instance, "p1", [{"uuid": missing}])
    assert caught.value.status == 404
    assert missing in caught.value.message
    with pytest.raises(NetworkNotFound):
        service.validate_request("p1", [{"uuid": missing}])
    assert port_rows(service) == 0


def test_other_projects_private_network_is_not_found(service: NetworkService) -> None:
    private = service.create_network("theirs", "172.16.1.0/28", project_id="p2")
    with pytest.raises(NetworkNotFound):
        service.allocate_for_instance(new_uuid(), "p1", [{"uuid": private.id}])
    assert service.allocate_for_instance(new_uuid(), "p2", [{"uuid": private.id}])


@pytest.mark.parametrize(
    "request_value",
    ["bogus", [{"port": str(uuid.uuid4())}], [{"uuid": "not-a-uuid"}], [{"fixed_ip": "1.2.3.4"}]],
)
def test_malformed_requests_are_refused(service: NetworkService, request_value: object) -> None:
    with pytest.raises(InvalidNetworkRequest):
        service.allocate_for_instance(new_uuid(), "p1", request_value)  # type: ignore[arg-type]


def test_exhaustion_of_a_small_pool(service: NetworkService) -> None:
    tiny = service.create_network("tiny", "192.168.0.0/29", shared=True)
    # A /29 has six hosts; the first is the gateway, leaving five for ports.
    addresses = [
        service.allocate_for_instance(new_uuid(), "p1", [{"uuid": tiny.id}])[0].ip_address
        for _ in range(5)
    ]
    assert addresses == [f"192.168.0.{n}" for n in range(2, 7)]
    with pytest.raises(NetworkExhausted) as caught:
        service.allocate_for_instance(new_uuid(), "p1", [{"uuid": tiny.id}])
    assert tiny.id in caught.value.message
    assert caught.value.status == 409


def test_failed_allocation_removes_the_ports_it_made(service: NetworkService) -> None:
    tiny = service.create_network("tiny", "192.168.0.0/29", shared=True)
    for _ in range(5):
        service.allocate_for_instance(new_uuid(), "p1", [{"uuid": tiny.id}])
    default = service.ensure_default_network()
    instance = new_uuid()
    with pytest.raises(NetworkExhausted):
        service.allocate_for_instance(instance, "p1", [{"uuid": default.id}, {"uuid": tiny.id}])
    assert service.ports_of(instance) == []
    # The default network's first address was handed back.
    assert service.allocate_for_instance(new_uuid(), "p1", "auto")[0].ip_address == "10.0.0.2"


# --------------------------------------------------------------------------- release


def test_deallocate_frees_addresses_for_reuse(service: NetworkService) -> None:
    first, second = new_uuid(), new_uuid()
    service.allocate_for_instance(first, "p1", "auto")
    service.allocate_for_instance(second, "p1", "auto")
    assert service.deallocate_for_instance(first) == 1
    assert service.ports_of(first) == []
    assert service.deallocate_for_instance(first) == 0
    third = service.allocate_for_instance(new_uuid(), "p1", "auto")
    assert third[0].ip_address == "10.0.0.2"  # the freed one, the lowest again
    assert service.ports_of(second)[0].ip_address == "10.0.0.3"


def test_deallocate_unknown_instance_is_zero(service: NetworkService) -> None:
    assert service.deallocate_for_instance(new_uuid()) == 0


def test_deallocate_removes_bindings(service: NetworkService) -> None:
    instance = new_uuid()
    (port,) = service.allocate_for_instance(instance, "p1", "auto")
    service.bind(port.id, "host-a")
    assert service.deallocate_for_instance(instance) == 1
    with service.engine.connect() as conn:
        assert conn.execute(sa.select(port_bindings)).all() == []


# --------------------------------------------------------------------------- views and bindings


def test_addresses_shape(service: NetworkService) -> None:
    default = service.ensure_default_network()
    mine = service.create_network("mine", "172.16.0.0/28", project_id="p1")
    instance = new_uuid()
    request = [{"uuid": default.id}, {"uuid": mine.id}, {"uuid": default.id}]
    made = service.allocate_for_instance(instance, "p1", request)
    mac = [port.mac_address for port in made]
    expected = {
        "default": [
            {
                "version": 4,
                "addr": "10.0.0.2",
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": mac[0],
            },
            {
                "version": 4,
                "addr": "10.0.0.3",
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": mac[2],
            },
        ],
        "mine": [
            {
                "version": 4,
                "addr": "172.16.0.2",
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": mac[1],
            }
        ],
    }
    assert service.addresses(instance) == expected
    other = new_uuid()
    assert service.addresses_many([instance, other]) == {instance: expected, other: {}}


def test_bind_activates_one_host(service: NetworkService) -> None:
    (port,) = service.allocate_for_instance(new_uuid(), "p1", "auto")
    bound = service.bind(port.id, "host-a")
    assert (bound.binding_host, bound.status) == ("host-a", PortStatus.ACTIVE)
    service.bind(port.id, "host-b")
    service.bind(port.id, "host-b")  # again: still one binding per host
    with service.engine.connect() as conn:
        rows = conn.execute(
            sa.select(port_bindings.c.host, port_bindings.c.status).order_by(port_bindings.c.host)
        ).all()
    assert [tuple(row) for row in rows] == [("host-a", "INACTIVE"), ("host-b", "ACTIVE")]
    assert service.ports_of(port.device_id or "")[0].binding_host == "host-b"


def test_bind_unknown_port(service: NetworkService) -> None:
    with pytest.raises(PortNotFound):
        service.bind(new_uuid(), "host-a")
