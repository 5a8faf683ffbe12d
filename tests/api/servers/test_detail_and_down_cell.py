"""Detail-list entries (batched per page) and a server whose cell is down (2.69)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.compute.list_query import ListQuery
from tessera.compute.server_details import Wanted
from tessera.context import admin_context
from tests.api.servers.conftest import ServersCloud
from tests.api.servers.test_microversions import expected

EVERYTHING = Wanted(host_status=True, request_spec=True, image_properties=True)


def detail(cloud: ServersCloud, version: str, who: str = "demo") -> dict[str, dict[str, Any]]:
    result = cloud.call("GET", "/test/detail-page", version, who=who)
    assert result.status_code == 200, result.text
    return {s["id"]: s for s in result.json["servers"]}


@pytest.mark.parametrize("version", ["2.1", "2.16", "2.70", "2.71", "2.90", "2.96", "2.100"])
def test_detail_entries_have_shows_keys_but_server_groups(
    servers_cloud: ServersCloud, version: str
) -> None:
    servers_cloud.compute("cell1")
    uuid = servers_cloud.server("cell1")
    servers_cloud.group(uuid)
    for who in ("admin", "demo"):
        entry = detail(servers_cloud, version, who)[uuid]
        want = expected(version, who, "ACTIVE") - {"server_groups"}
        assert set(entry) == want, (who, set(entry) ^ want)


def test_detail_values_match_show(servers_cloud: ServersCloud) -> None:
    servers_cloud.compute("cell1")
    servers_cloud.compute("cell2", "compute2", disabled=True)
    first = servers_cloud.server("cell1", hints={"group": "g1"})
    second = servers_cloud.server("cell2", host="compute2", zone=None)
    servers_cloud.volume("cell2", second, "vol-2", delete_on_termination=False)
    entries = detail(servers_cloud, "2.100", "admin")
    for uuid in (first, second):
        shown = servers_cloud.show(uuid, "2.100", "admin")
        assert entries[uuid] == {k: v for k, v in shown.items() if k != "server_groups"}
    assert entries[first]["host_status"] == "UP"
    assert entries[second]["host_status"] == "MAINTENANCE"
    assert entries[second]["pinned_availability_zone"] is None
    assert entries[first]["scheduler_hints"] == {"group": "g1"}
    assert entries[second]["os-extended-volumes:volumes_attached"] == [
        {"id": "vol-2", "delete_on_termination": False}
    ]


@contextmanager
def counted() -> Iterator[list[str]]:
    """Every SQL statement any engine runs meanwhile."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(Engine, "before_cursor_execute", count)


def _page_statements(cloud: ServersCloud) -> int:
    views = cloud.lister.page(admin_context(), ListQuery(all_tenants=True)).views
    with counted() as seen:
        done = cloud.servers.details(views, EVERYTHING)
    assert len(done) == len(views)
    return len(seen)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_pages_parts_take_as_many_queries_for_many_servers_as_for_few(
    servers_cloud: ServersCloud,
) -> None:
    servers_cloud.compute("cell1")
    servers_cloud.compute("cell2", "compute2")
    for cell, host in (("cell1", "compute1"), ("cell2", "compute2")):
        servers_cloud.server(cell, host=host)
    _page_statements(servers_cloud)  # image properties are remembered from here on
    few = _page_statements(servers_cloud)
    for _ in range(5):
        for cell, host in (("cell1", "compute1"), ("cell2", "compute2")):
            servers_cloud.server(cell, host=host)
    assert _page_statements(servers_cloud) == few


def test_a_pages_parts_come_from_the_cells_the_lister_read_without_a_mapping_lookup(
    servers_cloud: ServersCloud,
) -> None:
    servers_cloud.compute("cell1")
    servers_cloud.compute("cell2", "compute2", disabled=True)
    first = servers_cloud.server("cell1")
    second = servers_cloud.server("cell2", host="compute2")
    servers_cloud.volume("cell2", second, "vol-2", delete_on_termination=True)
    views = servers_cloud.lister.page(admin_context(), ListQuery(all_tenants=True)).views
    assert {v.instance.uuid: v.cell_uuid for v in views} == {
        first: servers_cloud.servers.targets.cell_by_id(servers_cloud.cell_ids["cell1"]).uuid,
        second: servers_cloud.servers.targets.cell_by_id(servers_cloud.cell_ids["cell2"]).uuid,
    }
    with counted() as seen:
        done = {v.instance.uuid: v for v in servers_cloud.servers.details(views, EVERYTHING)}
    assert not [s for s in seen if "instance_mappings" in s]
    assert done[second].host_status == "MAINTENANCE"
    assert [v.id for v in done[second].volumes] == ["vol-2"]
    assert done[first].host_status == "UP"


# --------------------------------------------------------------------------- down cell


def test_show_of_a_server_in_a_down_cell(servers_cloud: ServersCloud) -> None:
    servers_cloud.add_down_cell()
    uuid = servers_cloud.map_to_down_cell(availability_zone="az9")
    group = servers_cloud.group(uuid)
    # Before 2.69 the reference answers 500 (the cell did not answer).
    before = servers_cloud.call("GET", f"/servers/{uuid}", "2.68")
    assert before.status_code == 500 and "computeFault" in before.json
    body = servers_cloud.show(uuid, "2.69")
    assert set(body) == {
        "id",
        "status",
        "tenant_id",
        "created",
        "links",
        "image",
        "flavor",
        "OS-EXT-AZ:availability_zone",
        "OS-EXT-STS:power_state",
        "user_id",
    }
    assert body["status"] == "UNKNOWN" and body["tenant_id"] == "demo"
    assert body["OS-EXT-AZ:availability_zone"] == "az9" and body["OS-EXT-STS:power_state"] == 0
    assert body["flavor"]["original_name"] == "m1.tiny"
    assert body["image"]["id"] == servers_cloud.image_id
    later = servers_cloud.show(uuid, "2.98")
    assert later["server_groups"] == [group]
    assert later["image"]["properties"]["os_distro"] == "cirros"


def test_down_cell_defaults_and_deleted_servers(servers_cloud: ServersCloud) -> None:
    servers_cloud.add_down_cell()
    unzoned = servers_cloud.map_to_down_cell(user_id=None)
    body = servers_cloud.show(unzoned, "2.69")
    assert body["OS-EXT-AZ:availability_zone"] == "UNKNOWN" and body["user_id"] == "UNKNOWN"
    with servers_cloud.dbs.engine("api").begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE instance_mappings SET queued_for_delete = :yes WHERE instance_uuid = :u"
            ),
            {"yes": True, "u": unzoned},
        )
    assert servers_cloud.call("GET", f"/servers/{unzoned}", "2.69").status_code == 404
    # Another project's server in the down cell is still not theirs.
    theirs = servers_cloud.map_to_down_cell(project="alt")
    assert servers_cloud.call("GET", f"/servers/{theirs}", "2.69").status_code == 404
