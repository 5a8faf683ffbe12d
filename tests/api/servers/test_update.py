"""``PUT /servers/{id}``: what may change at which microversion, and the body it answers with."""

from __future__ import annotations

import json

import pytest

from tessera.objects import build_request
from tests.api.servers.conftest import ServersCloud
from tests.api.servers.test_microversions import expected

# The reference's sample answer before 2.75 (doc/api_samples/servers/server-update-resp.json).
SHORT = {
    "OS-DCF:diskConfig",
    "accessIPv4",
    "accessIPv6",
    "addresses",
    "created",
    "flavor",
    "hostId",
    "id",
    "image",
    "links",
    "metadata",
    "name",
    "progress",
    "status",
    "tenant_id",
    "updated",
    "user_id",
}


def test_name_changes_in_the_cell_row(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.server("cell1")
    result = servers_cloud.update(uuid, "2.1", {"name": "renamed"})
    assert result.status_code == 200, result.text
    assert result.json["server"]["name"] == "renamed"
    row = servers_cloud.row("cell1", uuid)
    assert row["display_name"] == "renamed" and row["hostname"] == "web"
    assert row["updated_at"] is not None
    assert servers_cloud.show(uuid, "2.1")["name"] == "renamed"


def test_every_editable_attribute(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.server("cell1")
    change = {
        "name": "db",
        "description": "the database",
        "hostname": "db-1.example.org",
        "accessIPv4": "192.0.2.7",
        "accessIPv6": "2001:db8::7",
        "OS-DCF:diskConfig": "AUTO",
    }
    result = servers_cloud.update(uuid, "2.100", change)
    assert result.status_code == 200, result.text
    body = result.json["server"]
    assert body["name"] == "db" and body["description"] == "the database"
    assert body["OS-EXT-SRV-ATTR:hostname"] == "db-1.example.org"
    assert body["accessIPv4"] == "192.0.2.7" and body["accessIPv6"] == "2001:db8::7"
    assert body["OS-DCF:diskConfig"] == "AUTO"
    row = servers_cloud.row("cell1", uuid)
    assert row["auto_disk_config"] is True or row["auto_disk_config"] == 1
    assert (row["access_ip_v4"], row["access_ip_v6"]) == ("192.0.2.7", "2001:db8::7")
    # Removing the description is allowed.
    cleared = servers_cloud.update(uuid, "2.19", {"description": None})
    assert cleared.json["server"]["description"] is None


def test_an_empty_update_answers_the_server(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.server("cell1")
    result = servers_cloud.update(uuid, "2.1", {})
    assert result.status_code == 200 and result.json["server"]["name"] == "web"


@pytest.mark.parametrize(
    ("version", "who", "keys"),
    [
        ("2.1", "demo", SHORT),
        ("2.9", "demo", SHORT | {"locked"}),
        ("2.19", "demo", SHORT | {"locked", "description"}),
        ("2.26", "demo", SHORT | {"locked", "description", "tags"}),
        (
            "2.71",
            "demo",
            SHORT
            | {"locked", "description", "tags", "trusted_image_certificates", "server_groups"},
        ),
        (
            "2.74",
            "admin",
            SHORT
            | {
                "locked",
                "description",
                "tags",
                "trusted_image_certificates",
                "server_groups",
                "locked_reason",
            },
        ),
        # From 2.75 the answer is the whole server, as GET shows it.
        ("2.75", "admin", expected("2.75", "admin", "ACTIVE")),
        ("2.75", "demo", expected("2.75", "demo", "ACTIVE")),
        ("2.100", "demo", expected("2.100", "demo", "ACTIVE")),
        ("2.100", "admin", expected("2.100", "admin", "ACTIVE")),
    ],
)
def test_answer_keys(servers_cloud: ServersCloud, version: str, who: str, keys: set[str]) -> None:
    servers_cloud.compute("cell1")
    uuid = servers_cloud.server("cell1")
    result = servers_cloud.update(uuid, version, {"name": "x"}, who=who)
    assert result.status_code == 200, result.text
    body = result.json["server"]
    assert set(body) == keys, set(body) ^ keys
    [address] = body["addresses"]["default"]
    extended = {"OS-EXT-IPS:type", "OS-EXT-IPS-MAC:mac_addr"}
    # Before 2.75 the answer's addresses carry only the address and its version.
    want = {"addr", "version"} | (extended if version in ("2.75", "2.100") else set())
    assert set(address) == want


def test_a_build_request_is_updated(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.building()
    result = servers_cloud.update(uuid, "2.19", {"name": "early", "description": "d"})
    assert result.status_code == 200, result.text
    assert result.json["server"]["status"] == "BUILD"
    assert result.json["server"]["name"] == "early"
    with servers_cloud.dbs.engine("api").connect() as conn:
        found = build_request.get(conn, uuid)
    assert found is not None
    values = json.loads(found.instance)["values"]
    assert (values["display_name"], values["display_description"]) == ("early", "d")


@pytest.mark.parametrize(
    ("version", "server"),
    [
        ("2.1", {"name": " leading"}),
        ("2.1", {"name": "trailing "}),
        ("2.1", {"name": ""}),
        ("2.1", {"name": "x" * 256}),
        ("2.1", {"name": "new\nline"}),
        ("2.18", {"description": "too early"}),
        ("2.19", {"description": "x" * 256}),
        ("2.89", {"hostname": "too-early"}),
        ("2.90", {"hostname": "not.a.label"}),
        ("2.90", {"hostname": "-dash"}),
        ("2.94", {"hostname": "bad/slash"}),
        ("2.1", {"accessIPv4": "192.0.2.300"}),
        ("2.1", {"accessIPv4": "2001:db8::1"}),
        ("2.1", {"accessIPv6": "192.0.2.1"}),
        ("2.1", {"OS-DCF:diskConfig": "SOMETIMES"}),
        ("2.1", {"flavorRef": "1"}),
        ("2.1", {"pinned_availability_zone": "az1"}),
    ],
)
def test_bad_bodies_are_400(
    servers_cloud: ServersCloud, version: str, server: dict[str, str]
) -> None:
    uuid = servers_cloud.server("cell1")
    result = servers_cloud.update(uuid, version, server)
    assert result.status_code == 400, result.text
    assert set(result.json) == {"badRequest"}
    assert servers_cloud.row("cell1", uuid)["display_name"] == "web"  # nothing changed


def test_malformed_and_missing_bodies_are_400(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.server("cell1")
    for raw in (b"{", b"[]", b'{"name": "x"}', b'{"server": "x"}'):
        result = servers_cloud.call("PUT", f"/servers/{uuid}", "2.1", raw=raw)
        assert result.status_code == 400, (raw, result.text)


def test_hostname_as_a_label_at_290(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.server("cell1")
    result = servers_cloud.update(uuid, "2.90", {"hostname": "web-2"})
    assert result.status_code == 200, result.text
    assert result.json["server"]["OS-EXT-SRV-ATTR:hostname"] == "web-2"


def test_other_projects_servers_are_404(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.server("cell1", project="alt")
    result = servers_cloud.update(uuid, "2.1", {"name": "mine"})
    assert result.status_code == 404, result.text
    assert servers_cloud.row("cell1", uuid)["display_name"] == "web"
    for missing in ("not-a-uuid", "3f7b5b79-7e3a-4a0e-9c1d-0d3b3c1e2f40"):
        assert servers_cloud.update(missing, "2.1", {"name": "x"}).status_code == 404
    # An admin updates any project's server.
    assert servers_cloud.update(uuid, "2.1", {"name": "ops"}, who="admin").status_code == 200
    assert servers_cloud.row("cell1", uuid)["display_name"] == "ops"
