"""Server bodies follow the policy rules, not the admin role: an operator's file changes them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tessera.db.engines import Databases
from tessera.policies import servers as rules
from tests.api.cloud_rows import map_cells
from tests.api.servers.conftest import ServersCloud, open_servers_cloud
from tests.api.stub_api import policy_with
from tests.conftest import CloudDBs

MEMBERS = "rule:project_member_or_admin"

MakeCloud = Callable[[dict[str, str]], ServersCloud]


@pytest.fixture
def cloud_with(cloud: CloudDBs, tmp_path: Path) -> Iterator[MakeCloud]:
    """Makes the servers cloud with a policy file of the given overrides."""
    opened: list[tuple[ServersCloud, Databases]] = []
    cell_ids = map_cells(cloud)

    def make(overrides: dict[str, str]) -> ServersCloud:
        made, databases = open_servers_cloud(cloud, tmp_path, policy_with(tmp_path, overrides))
        made.cell_ids.update(cell_ids)
        opened.append((made, databases))
        return made

    yield make
    for made, databases in opened:
        made.images.close()
        made.network.engine.dispose()
        databases.dispose()


def test_extended_attributes_follow_their_rule(cloud_with: MakeCloud) -> None:
    servers = cloud_with({rules.EXTENDED_ATTRIBUTES: MEMBERS})
    uuid = servers.server("cell1")
    body = servers.show(uuid, "2.3", "demo")
    assert body["OS-EXT-SRV-ATTR:host"] == "compute1"
    assert "OS-EXT-SRV-ATTR:user_data" in body
    # An update answer carries them from 2.75 only.
    short = servers.update(uuid, "2.74", {"name": "x"}).json["server"]
    assert "OS-EXT-SRV-ATTR:host" not in short
    full = servers.update(uuid, "2.75", {"name": "x"}).json["server"]
    assert full["OS-EXT-SRV-ATTR:host"] == "compute1"


def test_admins_lose_them_when_the_rule_says_so(cloud_with: MakeCloud) -> None:
    servers = cloud_with({rules.EXTENDED_ATTRIBUTES: "!"})
    uuid = servers.server("cell1")
    admin = servers.show(uuid, "2.90", "admin")
    # From 2.90 the hostname is everyone's; the other attributes stay behind the rule.
    assert {k for k in admin if k.startswith("OS-EXT-SRV-ATTR:")} == {"OS-EXT-SRV-ATTR:hostname"}
    assert admin["OS-EXT-SRV-ATTR:hostname"] == "web"


def test_host_status_unknown_only(cloud_with: MakeCloud) -> None:
    servers = cloud_with({rules.SHOW_HOST_STATUS_UNKNOWN_ONLY: MEMBERS})
    servers.compute("cell1", "up-host")
    servers.compute("cell1", "silent-host", up=False)
    up = servers.server("cell1", host="up-host")
    silent = servers.server("cell1", host="silent-host")
    assert "host_status" not in servers.show(up, "2.16", "demo")
    assert servers.show(silent, "2.16", "demo")["host_status"] == "UNKNOWN"
    assert servers.show(up, "2.16", "admin")["host_status"] == "UP"
    page = {s["id"]: s for s in servers.call("GET", "/test/detail-page", "2.16").json["servers"]}
    assert "host_status" not in page[up] and page[silent]["host_status"] == "UNKNOWN"


def test_host_status_for_members(cloud_with: MakeCloud) -> None:
    servers = cloud_with({rules.SHOW_HOST_STATUS: MEMBERS})
    servers.compute("cell1")
    uuid = servers.server("cell1")
    assert servers.show(uuid, "2.16", "demo")["host_status"] == "UP"


def test_flavor_extra_specs_follow_their_rule(cloud_with: MakeCloud) -> None:
    servers = cloud_with({rules.SHOW_FLAVOR_EXTRA_SPECS: "rule:context_is_admin"})
    uuid = servers.server("cell1")
    assert "extra_specs" not in servers.show(uuid, "2.47", "demo")["flavor"]
    assert servers.show(uuid, "2.47", "admin")["flavor"]["extra_specs"] == {
        "hw:cpu_policy": "shared"
    }
    page = servers.call("GET", "/test/detail-page", "2.47").json["servers"]
    assert "extra_specs" not in page[0]["flavor"]


def test_update_is_denied_by_its_rule(cloud_with: MakeCloud) -> None:
    servers = cloud_with({rules.UPDATE: "rule:context_is_admin"})
    uuid = servers.server("cell1")
    result = servers.update(uuid, "2.1", {"name": "x"})
    assert result.status_code == 403, result.text
    assert result.json == {
        "forbidden": {
            "code": 403,
            "message": f"Policy doesn't allow {rules.UPDATE} to be performed.",
        }
    }
    assert servers.row("cell1", uuid)["display_name"] == "web"
    # Another project's server stays a 404, never a 403.
    theirs = servers.server("cell1", project="alt")
    assert servers.update(theirs, "2.1", {"name": "x"}).status_code == 404
