"""``GET /network/v2.0/quotas/{project_id}[/default|/details]``: read-only, Neutron-shaped."""

from __future__ import annotations

import uuid

import falcon.testing
import pytest

from tessera.network.quotas import RESOURCES
from tessera.network.service import NetworkService
from tests.network.test_api import ADMIN, DEMO, OTHER, get

UNLIMITED = dict.fromkeys(RESOURCES, -1)


@pytest.mark.parametrize("suffix", ["", "/default"])
def test_a_project_reads_its_own_limits(client: falcon.testing.TestClient, suffix: str) -> None:
    result = get(client, f"/network/v2.0/quotas/p1{suffix}")
    assert result.status_code == 200, result.text
    assert result.json == {"quota": UNLIMITED}
    assert set(UNLIMITED) == {
        "network",
        "subnet",
        "port",
        "router",
        "floatingip",
        "security_group",
        "security_group_rule",
    }


@pytest.mark.parametrize("suffix", ["", "/default", "/details"])
def test_another_projects_quota_is_refused_but_admins_read_any(
    client: falcon.testing.TestClient, suffix: str
) -> None:
    refused = get(client, f"/network/v2.0/quotas/p2{suffix}", DEMO)
    assert refused.status_code == 403, refused.text
    assert refused.json == {
        "NeutronError": {
            "type": "PolicyNotAuthorized",
            "message": "rule:get_quota is disallowed by policy",
            "detail": "",
        }
    }
    assert get(client, f"/network/v2.0/quotas/p2{suffix}", OTHER).status_code == 200
    assert get(client, f"/network/v2.0/quotas/p2{suffix}", ADMIN).status_code == 200


def test_quotas_need_a_token(client: falcon.testing.TestClient) -> None:
    assert client.simulate_get("/network/v2.0/quotas/p1").status_code == 401


def test_details_count_the_projects_own_resources(
    client: falcon.testing.TestClient, service: NetworkService
) -> None:
    service.ensure_default_network()  # shared, owned by no project
    service.create_network("mine", "172.16.0.0/28", project_id="p1")
    service.create_network("theirs", "172.16.1.0/28", project_id="p2")
    service.allocate_for_instance(str(uuid.uuid4()), "p1", "auto")
    service.allocate_for_instance(str(uuid.uuid4()), "p1", "auto")

    mine = get(client, "/network/v2.0/quotas/p1/details").json["quota"]
    used = {name: entry["used"] for name, entry in mine.items()}
    assert used == {**dict.fromkeys(RESOURCES, 0), "network": 1, "subnet": 1, "port": 2}
    assert {entry["limit"] for entry in mine.values()} == {-1}
    assert {entry["reserved"] for entry in mine.values()} == {0}
    theirs = get(client, "/network/v2.0/quotas/p2/details", ADMIN).json["quota"]
    assert (theirs["network"]["used"], theirs["port"]["used"]) == (1, 0)
