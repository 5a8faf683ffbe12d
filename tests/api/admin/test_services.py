"""``/os-services`` across cells: listing, filters, updates, deletes, down cells."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from tests.api.admin.conftest import (
    AGGREGATE_HOSTS,
    COMPUTE,
    CONDUCTOR,
    SCHEDULER,
    SETTINGS,
    AdminCloud,
    build_client,
)
from tests.manage.helpers import COMPUTE_NODES as NODES
from tests.manage.helpers import SERVICES

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


@pytest.fixture
def hosts(admin_cloud: AdminCloud) -> dict[str, Any]:
    """cell0: a conductor; cell1: compute1 (up, in az1), a conductor;
    cell2: compute2 (down, disabled), a scheduler."""
    c = admin_cloud
    found = {
        "cell0-conductor": c.service("cell0", "control0", CONDUCTOR),
        "compute1": c.compute("cell1", "compute1")[0],
        "cell1-conductor": c.service("cell1", "control1", CONDUCTOR),
        "compute2": c.compute("cell2", "compute2", up=False, disabled=True, reason="broken")[0],
        "scheduler": c.service("cell2", "control2", SCHEDULER),
    }
    c.aggregate("rack1", zone="az1", hosts=("compute1",))
    return found


def _by_host_binary(services: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["host"], s["binary"]): s for s in services}


def test_lists_every_cell_with_zones_states_and_uuids(
    admin_cloud: AdminCloud, hosts: dict[str, Any]
) -> None:
    got = admin_cloud.get("/os-services", "2.53")
    assert got.status_code == 200, got.text
    listed = got.json["services"]
    # Cell order (cell0, cell1, cell2), then id order within a cell.
    assert [(s["host"], s["binary"]) for s in listed] == [
        ("control0", CONDUCTOR),
        ("compute1", COMPUTE),
        ("control1", CONDUCTOR),
        ("compute2", COMPUTE),
        ("control2", SCHEDULER),
    ]
    by = _by_host_binary(listed)
    compute1 = by[("compute1", COMPUTE)]
    assert compute1 == {
        "id": hosts["compute1"]["uuid"],
        "binary": COMPUTE,
        "host": "compute1",
        "zone": "az1",
        "status": "enabled",
        "state": "up",
        "updated_at": compute1["updated_at"],
        "disabled_reason": None,
        "forced_down": False,
    }
    assert TIMESTAMP.match(compute1["updated_at"])
    compute2 = by[("compute2", COMPUTE)]
    assert (compute2["zone"], compute2["status"], compute2["state"]) == ("nova", "disabled", "down")
    assert compute2["disabled_reason"] == "broken"
    assert {by[k]["zone"] for k in by if k[1] != COMPUTE} == {"internal"}


def test_ids_are_integers_before_2_53_and_forced_down_appears_at_2_11(
    admin_cloud: AdminCloud, hosts: dict[str, Any]
) -> None:
    old = admin_cloud.get("/os-services").json["services"]
    assert {type(s["id"]) for s in old} == {int}
    assert all("forced_down" not in s for s in old)
    at_2_11 = admin_cloud.get("/os-services", "2.11").json["services"]
    assert all(s["forced_down"] is False for s in at_2_11)
    assert _by_host_binary(at_2_11)[("compute1", COMPUTE)]["id"] == hosts["compute1"]["id"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"host": "compute1"}, [("compute1", COMPUTE)]),
        ({"binary": CONDUCTOR}, [("control0", CONDUCTOR), ("control1", CONDUCTOR)]),
        ({"host": "control2", "binary": SCHEDULER}, [("control2", SCHEDULER)]),
        ({"host": "control2", "binary": COMPUTE}, []),
        ({"host": "nowhere"}, []),
    ],
)
def test_filters_by_host_and_binary(
    admin_cloud: AdminCloud,
    hosts: dict[str, Any],
    params: dict[str, str],
    expected: list[tuple[str, str]],
) -> None:
    got = admin_cloud.get("/os-services", "2.53", params=params)
    assert [(s["host"], s["binary"]) for s in got.json["services"]] == expected


# --------------------------------------------------------------------------- PUT (2.53+)


def test_disable_with_reason_then_enable(admin_cloud: AdminCloud, hosts: dict[str, Any]) -> None:
    uuid = hosts["compute1"]["uuid"]
    got = admin_cloud.put(
        f"/os-services/{uuid}", "2.53", body={"status": "disabled", "disabled_reason": "maint"}
    )
    assert got.status_code == 200, got.text
    service = got.json["service"]
    assert (service["id"], service["status"], service["disabled_reason"]) == (
        uuid,
        "disabled",
        "maint",
    )
    assert service["zone"] == "az1" and service["state"] == "up"
    row = admin_cloud.row("cell1", SERVICES, hosts["compute1"]["id"])
    assert row["disabled"] and row["disabled_reason"] == "maint"

    got = admin_cloud.put(f"/os-services/{uuid}", "2.53", body={"status": "enabled"})
    assert got.json["service"]["status"] == "enabled"
    assert got.json["service"]["disabled_reason"] is None


def test_forced_down_makes_the_service_down(admin_cloud: AdminCloud, hosts: dict[str, Any]) -> None:
    uuid = hosts["compute1"]["uuid"]
    got = admin_cloud.put(f"/os-services/{uuid}", "2.53", body={"forced_down": True})
    assert got.status_code == 200, got.text
    assert got.json["service"]["forced_down"] is True
    assert got.json["service"]["state"] == "down"
    listed = admin_cloud.get("/os-services", "2.53", params={"host": "compute1"})
    assert listed.json["services"][0]["state"] == "down"
    got = admin_cloud.put(f"/os-services/{uuid}", "2.53", body={"forced_down": False})
    assert got.json["service"]["state"] == "up"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"disabled_reason": "why"},
        {"status": "enabled", "disabled_reason": "why"},
        {"status": "paused"},
        {"status": "disabled", "disabled_reason": ""},
        {"forced_down": "yes"},
        {"status": "disabled", "color": "red"},
    ],
)
def test_bad_update_bodies_are_400(
    admin_cloud: AdminCloud, hosts: dict[str, Any], body: dict[str, Any]
) -> None:
    got = admin_cloud.put(f"/os-services/{hosts['compute1']['uuid']}", "2.53", body=body)
    assert got.status_code == 400, got.text
    assert got.json["badRequest"]["code"] == 400


def test_update_refuses_non_computes_unknown_and_malformed_ids(
    admin_cloud: AdminCloud, hosts: dict[str, Any]
) -> None:
    body = {"status": "disabled"}
    got = admin_cloud.put(f"/os-services/{hosts['scheduler']['uuid']}", "2.53", body=body)
    assert got.status_code == 400 and "tessera-compute" in got.json["badRequest"]["message"]
    got = admin_cloud.put("/os-services/9b7d3bd6-8d5e-4d55-9d4c-2f6d22f1a111", "2.53", body=body)
    assert got.status_code == 404 and got.json["itemNotFound"]["code"] == 404
    got = admin_cloud.put("/os-services/not-a-uuid", "2.53", body=body)
    assert got.status_code == 400


# --------------------------------------------------------------------------- legacy actions


def test_legacy_disable_enable_and_log_reason(
    admin_cloud: AdminCloud, hosts: dict[str, Any]
) -> None:
    target = {"host": "compute1", "binary": COMPUTE}
    got = admin_cloud.put("/os-services/disable", body=target)
    assert got.status_code == 200, got.text
    assert got.json == {"service": {**target, "status": "disabled"}}
    got = admin_cloud.put(
        "/os-services/disable-log-reason", body={**target, "disabled_reason": "disk"}
    )
    assert got.json == {"service": {**target, "status": "disabled", "disabled_reason": "disk"}}
    row = admin_cloud.row("cell1", SERVICES, hosts["compute1"]["id"])
    assert row["disabled"] and row["disabled_reason"] == "disk"
    got = admin_cloud.put("/os-services/enable", body=target)
    assert got.json == {"service": {**target, "status": "enabled"}}
    assert not admin_cloud.row("cell1", SERVICES, hosts["compute1"]["id"])["disabled"]


def test_legacy_force_down_needs_2_11(admin_cloud: AdminCloud, hosts: dict[str, Any]) -> None:
    body = {"host": "compute2", "binary": COMPUTE, "forced_down": True}
    assert admin_cloud.put("/os-services/force-down", "2.10", body=body).status_code == 404
    got = admin_cloud.put("/os-services/force-down", "2.11", body=body)
    assert got.status_code == 200, got.text
    assert got.json == {"service": body}
    assert admin_cloud.row("cell2", SERVICES, hosts["compute2"]["id"])["forced_down"]


def test_legacy_errors(admin_cloud: AdminCloud, hosts: dict[str, Any]) -> None:
    unknown = admin_cloud.put("/os-services/disable", body={"host": "ghost", "binary": COMPUTE})
    assert unknown.status_code == 404 and "ghost" in unknown.json["itemNotFound"]["message"]
    other = admin_cloud.put("/os-services/disable", body={"host": "control1", "binary": CONDUCTOR})
    assert other.status_code == 400
    assert admin_cloud.put("/os-services/disable", body={"host": "x"}).status_code == 400
    assert admin_cloud.put("/os-services/reboot", body={}).status_code == 404


# --------------------------------------------------------------------------- DELETE


def test_delete_refused_while_the_compute_hosts_servers(
    admin_cloud: AdminCloud, hosts: dict[str, Any]
) -> None:
    admin_cloud.instance("cell1", "compute1", "compute1.example")
    got = admin_cloud.delete(f"/os-services/{hosts['compute1']['uuid']}", "2.53")
    assert got.status_code == 409, got.text
    assert got.json["conflictingRequest"]["code"] == 409
    assert admin_cloud.row("cell1", SERVICES, hosts["compute1"]["id"])["deleted"] == 0
    assert admin_cloud.host_mapped("compute1")


def test_delete_compute_removes_service_nodes_mapping_and_aggregate_membership(
    admin_cloud: AdminCloud, hosts: dict[str, Any]
) -> None:
    admin_cloud.instance("cell1", "compute1", "compute1.example", deleted=True)
    got = admin_cloud.delete(f"/os-services/{hosts['compute1']['uuid']}", "2.53")
    assert got.status_code == 204, got.text
    assert admin_cloud.row("cell1", SERVICES, hosts["compute1"]["id"])["deleted"] != 0
    with admin_cloud.dbs.engine("cell1").connect() as conn:
        live = conn.execute(NODES.select().where(NODES.c.deleted == 0)).all()
    assert live == []
    assert not admin_cloud.host_mapped("compute1")
    with admin_cloud.dbs.engine("api").connect() as conn:
        assert conn.execute(AGGREGATE_HOSTS.select()).all() == []
    listed = admin_cloud.get("/os-services", "2.53").json["services"]
    assert ("compute1", COMPUTE) not in _by_host_binary(listed)
    again = admin_cloud.delete(f"/os-services/{hosts['compute1']['uuid']}", "2.53")
    assert again.status_code == 404


def test_delete_by_id_before_2_53(admin_cloud: AdminCloud, hosts: dict[str, Any]) -> None:
    # Each cell numbers its own services: an id found in two cells is ambiguous.
    admin_cloud.service("cell1", "control1b", SCHEDULER, row_id=900001)
    admin_cloud.service("cell2", "control2b", SCHEDULER, row_id=900001)
    ambiguous = admin_cloud.delete("/os-services/900001")
    assert ambiguous.status_code == 400, ambiguous.text
    admin_cloud.service("cell2", "control2c", SCHEDULER, row_id=900002)
    unique = admin_cloud.delete("/os-services/900002")
    assert unique.status_code == 204, unique.text
    assert admin_cloud.delete("/os-services/424242").status_code == 404
    assert admin_cloud.delete("/os-services/abc").status_code == 400
    assert admin_cloud.delete("/os-services/abc", "2.53").status_code == 400


def test_delete_non_compute(admin_cloud: AdminCloud, hosts: dict[str, Any]) -> None:
    got = admin_cloud.delete(f"/os-services/{hosts['scheduler']['uuid']}", "2.53")
    assert got.status_code == 204, got.text
    assert admin_cloud.row("cell2", SERVICES, hosts["scheduler"]["id"])["deleted"] != 0


# --------------------------------------------------------------------------- down cells


def test_down_cell_gives_partial_records_from_2_69(
    admin_cloud: AdminCloud, hosts: dict[str, Any]
) -> None:
    admin_cloud.add_down_cell("compute3a", "compute3b")
    started = time.monotonic()
    got = admin_cloud.get("/os-services", "2.69")
    assert time.monotonic() - started < 4.0  # failed fast, not waited out
    assert got.status_code == 200, got.text
    listed = got.json["services"]
    assert listed[-2:] == [
        {"binary": COMPUTE, "host": "compute3a", "status": "UNKNOWN"},
        {"binary": COMPUTE, "host": "compute3b", "status": "UNKNOWN"},
    ]
    assert len(listed) == 7

    only = admin_cloud.get("/os-services", "2.69", params={"host": "compute3b"})
    assert only.json["services"] == [{"binary": COMPUTE, "host": "compute3b", "status": "UNKNOWN"}]
    conductors = admin_cloud.get("/os-services", "2.69", params={"binary": CONDUCTOR})
    assert [s["host"] for s in conductors.json["services"]] == ["control0", "control1"]


def test_down_cell_is_omitted_before_2_69(admin_cloud: AdminCloud, hosts: dict[str, Any]) -> None:
    admin_cloud.add_down_cell("compute3a")
    got = admin_cloud.get("/os-services", "2.68")
    assert got.status_code == 200, got.text
    assert [s["host"] for s in got.json["services"]] == [
        "control0",
        "compute1",
        "control1",
        "compute2",
        "control2",
    ]


def test_updates_still_work_with_a_cell_down(
    admin_cloud: AdminCloud, hosts: dict[str, Any]
) -> None:
    admin_cloud.add_down_cell("compute3a")
    uuid = hosts["compute2"]["uuid"]
    got = admin_cloud.put(f"/os-services/{uuid}", "2.53", body={"status": "enabled"})
    assert got.status_code == 200, got.text
    down_host = admin_cloud.put(
        "/os-services/disable", body={"host": "compute3a", "binary": COMPUTE}
    )
    assert down_host.status_code == 503


@pytest.fixture
def silent_database() -> Iterator[str]:
    """A database URL whose server accepts connections and then never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel completes handshakes; nobody ever accepts
    port = listener.getsockname()[1]
    yield f"mysql+pymysql://root@127.0.0.1:{port}/silent"
    listener.close()


def test_a_cell_that_never_answers_is_cut_off_at_the_deadline(
    admin_cloud: AdminCloud, hosts: dict[str, Any], silent_database: str
) -> None:
    admin_cloud.add_down_cell("compute3a", url=silent_database)
    client, databases = build_client(admin_cloud.dbs, replace(SETTINGS, cell_timeout=1.0))
    started = time.monotonic()
    got = client.simulate_get(
        "/v2.1/os-services",
        headers={"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "compute 2.69"},
    )
    elapsed = time.monotonic() - started
    databases.dispose()
    assert got.status_code == 200, got.text
    assert 1.0 <= elapsed < 3.0
    assert got.json["services"][-1] == {"binary": COMPUTE, "host": "compute3a", "status": "UNKNOWN"}
    assert len(got.json["services"]) == 6


# --------------------------------------------------------------------------- policy


@pytest.mark.parametrize(
    ("method", "path", "body", "rule"),
    [
        ("GET", "/os-services", None, "list"),
        ("PUT", "/os-services/disable", {"host": "compute1", "binary": COMPUTE}, "update"),
        ("DELETE", "/os-services/1", None, "delete"),
    ],
)
def test_non_admins_are_forbidden(
    admin_cloud: AdminCloud,
    hosts: dict[str, Any],
    method: str,
    path: str,
    body: Any,
    rule: str,
) -> None:
    got = admin_cloud.call(method, path, body=body, admin=False)
    assert got.status_code == 403
    assert got.json == {
        "forbidden": {
            "code": 403,
            "message": f"Policy doesn't allow os_compute_api:os-services:{rule} to be performed.",
        }
    }
