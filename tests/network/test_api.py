"""The Neutron-style REST subset, through Falcon's test client, on every backend."""

from __future__ import annotations

import uuid
from typing import Any

import falcon.testing
import pytest

from tessera.network.records import Network
from tessera.network.service import NetworkService

DEMO = {"X-Auth-Token": "demo:p1"}
OTHER = {"X-Auth-Token": "other:p2"}
ADMIN = {"X-Auth-Token": "admin:admin"}


@pytest.fixture
def nets(service: NetworkService) -> dict[str, Network]:
    """The default network, one private network of p1 and one of p2."""
    return {
        "default": service.ensure_default_network(),
        "mine": service.create_network("mine", "172.16.0.0/28", project_id="p1"),
        "theirs": service.create_network("theirs", "172.16.1.0/28", project_id="p2"),
    }


def get(
    client: falcon.testing.TestClient,
    path: str,
    headers: dict[str, str] | None = None,
    **query: Any,
) -> falcon.testing.Result:
    return client.simulate_get(path, headers=DEMO if headers is None else headers, params=query)


def names(body: list[dict[str, Any]]) -> list[str]:
    """Sorted: rows made in the same second have no defined order."""
    return sorted(item["name"] for item in body)


def test_version_document_needs_no_token(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/network")
    assert result.status_code == 200
    (version,) = result.json["versions"]
    assert (version["id"], version["status"]) == ("v2.0", "CURRENT")
    assert version["links"] == [{"rel": "self", "href": "http://falconframework.org/network/v2.0/"}]


def test_resources_document(client: falcon.testing.TestClient) -> None:
    result = get(client, "/network/v2.0/")
    assert result.status_code == 200
    collections = [item["collection"] for item in result.json["resources"]]
    assert collections == ["networks", "subnets", "ports"]


def test_lists_need_a_token(client: falcon.testing.TestClient) -> None:
    assert client.simulate_get("/network/v2.0/networks").status_code == 401


def test_networks_visible_to_a_project(
    client: falcon.testing.TestClient, nets: dict[str, Network]
) -> None:
    assert names(get(client, "/network/v2.0/networks").json["networks"]) == ["default", "mine"]
    assert names(get(client, "/network/v2.0/networks", OTHER).json["networks"]) == [
        "default",
        "theirs",
    ]
    every = get(client, "/network/v2.0/networks", ADMIN).json["networks"]
    assert names(every) == ["default", "mine", "theirs"]


def test_network_fields(client: falcon.testing.TestClient, nets: dict[str, Network]) -> None:
    body = get(client, f"/network/v2.0/networks/{nets['mine'].id}").json["network"]
    assert body["id"] == nets["mine"].id
    assert body["subnets"] == list(nets["mine"].subnet_ids)
    assert (body["shared"], body["status"], body["admin_state_up"]) == (False, "ACTIVE", True)
    assert (body["project_id"], body["tenant_id"]) == ("p1", "p1")
    assert body["created_at"].endswith("Z")


def test_network_filters(client: falcon.testing.TestClient, nets: dict[str, Network]) -> None:
    found = get(client, "/network/v2.0/networks", name="default").json["networks"]
    assert [item["id"] for item in found] == [nets["default"].id]
    shared = get(client, "/network/v2.0/networks", shared="false").json["networks"]
    assert names(shared) == ["mine"]
    both = client.simulate_get(
        "/network/v2.0/networks",
        headers=ADMIN,
        query_string=f"id={nets['mine'].id}&id={nets['theirs'].id}&fields=id",
    )
    assert names(both.json["networks"]) == ["mine", "theirs"]


def test_bad_filter_value(client: falcon.testing.TestClient, nets: dict[str, Network]) -> None:
    result = get(client, "/network/v2.0/networks", shared="maybe")
    assert result.status_code == 400
    assert result.json["NeutronError"]["type"] == "InvalidFilter"


def test_unknown_and_hidden_network_are_not_found(
    client: falcon.testing.TestClient, nets: dict[str, Network]
) -> None:
    for network_id in (str(uuid.uuid4()), nets["theirs"].id):
        result = get(client, f"/network/v2.0/networks/{network_id}")
        assert result.status_code == 404
        error = result.json["NeutronError"]
        assert error["type"] == "NetworkNotFound"
        assert error["message"] == f"Network {network_id} could not be found."
    assert get(client, f"/network/v2.0/networks/{nets['theirs'].id}", ADMIN).status_code == 200


def test_subnets(client: falcon.testing.TestClient, nets: dict[str, Network]) -> None:
    listed = get(client, "/network/v2.0/subnets").json["subnets"]
    expected = {nets["default"].id, nets["mine"].id}
    assert sorted(item["network_id"] for item in listed) == sorted(expected)
    (default,) = [item for item in listed if item["network_id"] == nets["default"].id]
    assert (default["cidr"], default["gateway_ip"], default["ip_version"]) == (
        "10.0.0.0/24",
        "10.0.0.1",
        4,
    )
    assert default["allocation_pools"] == [{"start": "10.0.0.2", "end": "10.0.0.254"}]
    only = get(client, "/network/v2.0/subnets", network_id=nets["mine"].id).json["subnets"]
    assert [item["cidr"] for item in only] == ["172.16.0.0/28"]
    subnet_id = nets["theirs"].subnet_ids[0]
    assert get(client, f"/network/v2.0/subnets/{subnet_id}").status_code == 404
    shown = get(client, f"/network/v2.0/subnets/{subnet_id}", OTHER).json["subnet"]
    assert shown["id"] == subnet_id


def test_ports_by_device(
    client: falcon.testing.TestClient, service: NetworkService, nets: dict[str, Network]
) -> None:
    instance, other = str(uuid.uuid4()), str(uuid.uuid4())
    (port,) = service.allocate_for_instance(instance, "p1", "auto", availability_zone="az1")
    service.allocate_for_instance(other, "p1", [{"uuid": nets["mine"].id}])
    service.bind(port.id, "host-a")

    (body,) = get(client, "/network/v2.0/ports", device_id=instance).json["ports"]
    assert body["id"] == port.id
    assert body["network_id"] == nets["default"].id
    assert body["fixed_ips"] == [{"subnet_id": port.subnet_id, "ip_address": "10.0.0.2"}]
    assert (body["mac_address"], body["device_owner"]) == (port.mac_address, "compute:az1")
    assert (body["status"], body["device_id"]) == ("ACTIVE", instance)
    assert "binding:host_id" not in body  # admins only

    admin_view = get(client, "/network/v2.0/ports", ADMIN, device_id=instance).json["ports"]
    assert admin_view[0]["binding:host_id"] == "host-a"
    both = client.simulate_get(
        "/network/v2.0/ports", headers=DEMO, query_string=f"device_id={instance}&device_id={other}"
    )
    assert len(both.json["ports"]) == 2
    assert get(client, "/network/v2.0/ports", OTHER, device_id=instance).json["ports"] == []


def test_port_item(
    client: falcon.testing.TestClient, service: NetworkService, nets: dict[str, Network]
) -> None:
    (port,) = service.allocate_for_instance(str(uuid.uuid4()), "p1", "auto")
    assert get(client, f"/network/v2.0/ports/{port.id}").json["port"]["id"] == port.id
    hidden = get(client, f"/network/v2.0/ports/{port.id}", OTHER)
    assert hidden.status_code == 404
    assert hidden.json["NeutronError"]["type"] == "PortNotFound"


def test_unknown_route_under_the_prefix(client: falcon.testing.TestClient) -> None:
    assert get(client, "/network/v2.0/routers").status_code == 404


def test_integer_filters_within_the_column_range(
    client: falcon.testing.TestClient, nets: dict[str, Network]
) -> None:
    for value in ("4", "+4", " 4", "0004"):
        found = get(client, "/network/v2.0/subnets", ip_version=value).json["subnets"]
        assert len(found) == 2, value
    for value in ("6", str(2**31 - 1), str(-(2**31))):
        assert get(client, "/network/v2.0/subnets", ip_version=value).json["subnets"] == []


@pytest.mark.parametrize(
    "value", [str(2**31), str(-(2**31) - 1), "99999999999999999999", "9" * 5000, "\u00b2", "1_0"]
)
def test_integer_filters_beyond_the_column_range_are_400(
    client: falcon.testing.TestClient, value: str
) -> None:
    """Every database answers alike: none is asked to compare with such a number."""
    result = get(client, "/network/v2.0/subnets", ip_version=value)
    assert result.status_code == 400, result.text
    error = result.json["NeutronError"]
    assert error["type"] == "InvalidFilter"
    assert error["message"].endswith("expected an integer from -2147483648 to 2147483647.")
    assert len(error["message"]) < 300  # a long value is cut short
