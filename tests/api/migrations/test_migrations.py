"""``GET /os-migrations`` across cells and ``/servers/{id}/migrations`` on every backend."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.api.migrations.conftest import MAX_LIMIT, MigrationCloud, build_client
from tests.api.stub_api import policy_file

V21_KEYS = {
    "created_at",
    "dest_compute",
    "dest_host",
    "dest_node",
    "id",
    "instance_uuid",
    "new_instance_type_id",
    "old_instance_type_id",
    "source_compute",
    "source_node",
    "status",
    "updated_at",
}


def listed(mig: MigrationCloud, version: str | None = None, **params: str) -> list[dict[str, Any]]:
    resp = mig.get("/os-migrations", version, params=params)
    assert resp.status_code == 200, resp.text
    found: list[dict[str, Any]] = resp.json["migrations"]
    return found


def uuids(items: list[dict[str, Any]]) -> list[str]:
    return [item["uuid"] for item in items]


def test_every_cell_merged_newest_first(mig_cloud: MigrationCloud) -> None:
    s1, s2 = mig_cloud.server("cell1"), mig_cloud.server("cell2")
    m0 = mig_cloud.migration("cell1", s1, 0)
    m1 = mig_cloud.migration("cell2", s2, 1)
    m2 = mig_cloud.migration("cell1", s1, 2)
    m3 = mig_cloud.migration("cell2", s2, 3)

    found = listed(mig_cloud)

    assert [(m["instance_uuid"], m["id"]) for m in found] == [
        (s2, m3["id"]),
        (s1, m2["id"]),
        (s2, m1["id"]),
        (s1, m0["id"]),
    ]
    assert set(found[0]) == V21_KEYS
    assert found[-1] == {
        "id": m0["id"],
        "instance_uuid": s1,
        "status": "finished",
        "source_compute": "host-a",
        "dest_compute": "host-b",
        "source_node": "node-a",
        "dest_node": "node-b",
        "dest_host": "192.0.2.2",
        "old_instance_type_id": 1,
        "new_instance_type_id": 2,
        "created_at": "2026-03-01T12:00:00.000000",
        "updated_at": "2026-03-01T12:00:30.000000",
    }


def test_fields_per_microversion(mig_cloud: MigrationCloud) -> None:
    server = mig_cloud.server("cell1")
    live = mig_cloud.migration(
        "cell1", server, 1, migration_type="live-migration", status="running"
    )
    mig_cloud.migration("cell1", server, 0, migration_type="live-migration", status="completed")

    at_223 = listed(mig_cloud, "2.23")
    assert set(at_223[0]) == V21_KEYS | {"migration_type", "links"}
    assert at_223[0]["links"][0] == {
        "rel": "self",
        "href": f"http://falconframework.org/v2.1/servers/{server}/migrations/{live['id']}",
    }
    assert at_223[0]["links"][1]["rel"] == "bookmark"
    assert set(at_223[1]) == V21_KEYS | {"migration_type"}  # no links once it ended
    assert set(listed(mig_cloud, "2.59")[0]) == V21_KEYS | {"migration_type", "links", "uuid"}
    at_280 = listed(mig_cloud, "2.80")[0]
    assert (at_280["uuid"], at_280["user_id"], at_280["project_id"]) == (
        live["uuid"],
        "demo",
        "demo",
    )


def test_filters(mig_cloud: MigrationCloud) -> None:
    s1, s2 = mig_cloud.server("cell1"), mig_cloud.server("cell2", project="alt")
    resize = mig_cloud.migration("cell1", s1, 0)
    live = mig_cloud.migration(
        "cell2",
        s2,
        1,
        migration_type="live-migration",
        status="running",
        source_compute="host-b",
        dest_compute="host-c",
        user_id="alt",
        project_id="alt",
    )
    evac = mig_cloud.migration(
        "cell1",
        s1,
        2,
        migration_type="evacuation",
        status="done",
        source_compute="host-c",
        dest_compute="host-d",
    )
    mig_cloud.migration("cell1", s1, 3, hidden=True)
    gone = mig_cloud.migration("cell2", s2, 4)
    mig_cloud.soft_delete("cell2", gone["id"])
    v = "2.80"

    assert uuids(listed(mig_cloud, v)) == [evac["uuid"], live["uuid"], resize["uuid"]]
    assert uuids(listed(mig_cloud, v, status="running")) == [live["uuid"]]
    assert uuids(listed(mig_cloud, v, host="host-b")) == [live["uuid"], resize["uuid"]]
    assert uuids(listed(mig_cloud, v, source_compute="host-c")) == [evac["uuid"]]
    # host wins over source_compute, as in the reference.
    both = listed(mig_cloud, v, host="host-c", source_compute="host-a")
    assert uuids(both) == [evac["uuid"], live["uuid"]]
    assert uuids(listed(mig_cloud, v, instance_uuid=s1)) == [evac["uuid"], resize["uuid"]]
    assert uuids(listed(mig_cloud, v, migration_type="evacuation")) == [evac["uuid"]]
    assert uuids(listed(mig_cloud, v, user_id="alt")) == [live["uuid"]]
    assert uuids(listed(mig_cloud, v, project_id="demo")) == [evac["uuid"], resize["uuid"]]
    assert listed(mig_cloud, v, hidden="1") == []
    since = "2026-03-01T12:01:30Z"  # updated 30 s after creation: live at 12:01:30
    assert uuids(listed(mig_cloud, v, **{"changes-since": since})) == [
        evac["uuid"],
        live["uuid"],
    ]
    before = {"changes-since": since, "changes-before": "2026-03-01T12:02:00Z"}
    assert uuids(listed(mig_cloud, v, **before)) == [live["uuid"]]
    # Older microversions do not know the time filters; they are ignored, not refused.
    assert len(listed(mig_cloud, "2.58", **{"changes-since": since, "junk": "1"})) == 3


def test_bad_queries(mig_cloud: MigrationCloud) -> None:
    for version, params in (
        ("2.59", {"junk": "1"}),
        ("2.59", {"limit": "-1"}),
        ("2.59", {"limit": "ten"}),
        ("2.59", {"changes-since": "yesterday"}),
        ("2.66", {"changes-since": "2026-03-02T00:00:00Z", "changes-before": "2026-03-01"}),
        ("2.79", {"user_id": "demo"}),
        ("2.65", {"changes-before": "2026-03-01T12:02:00Z"}),
        ("2.80", {"project_id": ["a", "b"]}),
    ):
        resp = mig_cloud.get("/os-migrations", version, params=params)
        assert resp.status_code == 400, (version, params, resp.text)
        assert resp.json["badRequest"]["code"] == 400
    missing = "00000000-0000-4000-8000-000000000000"
    resp = mig_cloud.get("/os-migrations", "2.59", params={"marker": missing})
    assert resp.status_code == 400
    assert resp.json["badRequest"]["message"] == f"Marker {missing} could not be found."


def test_paging_across_cells(mig_cloud: MigrationCloud) -> None:
    s1, s2 = mig_cloud.server("cell1"), mig_cloud.server("cell2")
    made = [mig_cloud.migration(("cell1", "cell2")[i % 2], (s1, s2)[i % 2], i) for i in range(7)]
    # Two more at one instant in both cells: the order still is total.
    tie = [mig_cloud.migration(c, s, 10) for c, s in (("cell1", s1), ("cell2", s2))]
    expected = [
        *(m["uuid"] for m in sorted(tie, key=lambda m: (-m["id"], m["uuid"]))),
        *(m["uuid"] for m in reversed(made)),
    ]

    first = mig_cloud.get("/os-migrations", "2.59")
    assert uuids(first.json["migrations"]) == expected[:MAX_LIMIT]
    [link] = first.json["migrations_links"]
    assert link["rel"] == "next"
    query = parse_qs(urlsplit(link["href"]).query)
    assert query == {"marker": [expected[MAX_LIMIT - 1]]}
    second = mig_cloud.get("/os-migrations", "2.59", params={"marker": query["marker"][0]})
    assert uuids(second.json["migrations"]) == expected[MAX_LIMIT:]
    assert "migrations_links" not in second.json

    walked: list[str] = []
    marker: dict[str, str] = {}
    while True:
        page = mig_cloud.get("/os-migrations", "2.59", params={"limit": "2", **marker}).json
        walked += uuids(page["migrations"])
        if "migrations_links" not in page:
            break
        marker = {"marker": walked[-1]}
    assert walked == expected
    assert listed(mig_cloud, "2.59", limit="0") == []
    assert len(listed(mig_cloud, "2.59", limit="50")) == MAX_LIMIT
    assert len(listed(mig_cloud, "2.58")) == len(expected)  # no paging before 2.59


def test_a_down_cell_is_left_out(mig_cloud: MigrationCloud) -> None:
    s1 = mig_cloud.server("cell1")
    kept = mig_cloud.migration("cell1", s1, 0)
    mig_cloud.add_down_cell()

    assert uuids(listed(mig_cloud, "2.59")) == [kept["uuid"]]
    resp = mig_cloud.get("/os-migrations", "2.59", params={"marker": kept["uuid"]})
    assert resp.status_code == 200 and resp.json["migrations"] == []
    missing = "00000000-0000-4000-8000-000000000000"
    resp = mig_cloud.get("/os-migrations", "2.59", params={"marker": missing})
    assert resp.status_code == 503
    assert "did not answer" in resp.json["serviceUnavailable"]["message"]
    # A server of the down cell: its migrations cannot be read now, and it says so.
    stranded = "11111111-2222-4333-8444-555555555555"
    mig_cloud.map_server(stranded, "cell3")
    resp = mig_cloud.get(f"/servers/{stranded}/migrations", "2.23")
    assert resp.status_code == 503
    assert resp.json["serviceUnavailable"]["message"] == (
        f"Instance {stranded} cannot be reached now."
    )


def test_listing_policy(mig_cloud: MigrationCloud) -> None:
    s1, s2 = mig_cloud.server("cell1"), mig_cloud.server("cell2", project="alt")
    own = mig_cloud.migration("cell1", s1, 0)
    mig_cloud.migration("cell2", s2, 1, project_id="alt", user_id="alt")

    denied = mig_cloud.get("/os-migrations", who="demo")
    assert denied.status_code == 403
    assert denied.json["forbidden"]["code"] == 403
    assert (
        mig_cloud.get("/os-migrations", "2.80", "demo", {"project_id": "demo"}).status_code == 403
    )

    # Members made managers: their own project's migrations, without hosts.
    policy = policy_file(
        mig_cloud.tmp, '"project_manager_api": "role:member and project_id:%(project_id)s"\n'
    )
    client, databases = build_client(mig_cloud.dbs, policy)
    try:
        mig_cloud.client = client
        mine = mig_cloud.get("/os-migrations", "2.80", "demo", {"project_id": "demo"})
        assert mine.status_code == 200
        [shown] = mine.json["migrations"]
        assert shown["uuid"] == own["uuid"]
        assert (shown["source_compute"], shown["dest_compute"], shown["dest_host"]) == (
            None,
            None,
            None,
        )
        assert mig_cloud.get("/os-migrations", "2.80", "demo").status_code == 403
        other = mig_cloud.get("/os-migrations", "2.80", "demo", {"project_id": "alt"})
        assert other.status_code == 403
    finally:
        databases.dispose()


def test_server_migrations(mig_cloud: MigrationCloud) -> None:
    server = mig_cloud.server("cell2")
    running = mig_cloud.migration(
        "cell2",
        server,
        2,
        migration_type="live-migration",
        status="running",
        memory_total=4096,
        memory_processed=1024,
        memory_remaining=3072,
    )
    done = mig_cloud.migration(
        "cell2", server, 1, migration_type="live-migration", status="completed"
    )
    resize = mig_cloud.migration("cell2", server, 0, status="migrating")
    path = f"/servers/{server}/migrations"

    assert mig_cloud.get(path, "2.22").status_code == 404
    [item] = mig_cloud.get(path, "2.23").json["migrations"]
    assert item == {
        "id": running["id"],
        "server_uuid": server,
        "status": "running",
        "source_compute": "host-a",
        "dest_compute": "host-b",
        "source_node": "node-a",
        "dest_node": "node-b",
        "dest_host": "192.0.2.2",
        "memory_total_bytes": 4096,
        "memory_processed_bytes": 1024,
        "memory_remaining_bytes": 3072,
        "disk_total_bytes": None,
        "disk_processed_bytes": None,
        "disk_remaining_bytes": None,
        "created_at": "2026-03-01T12:02:00.000000",
        "updated_at": "2026-03-01T12:02:30.000000",
    }
    [at_280] = mig_cloud.get(path, "2.80").json["migrations"]
    assert (at_280["uuid"], at_280["project_id"]) == (running["uuid"], "demo")

    shown = mig_cloud.get(f"{path}/{running['id']}", "2.23")
    assert shown.status_code == 200 and shown.json["migration"] == item
    for ident, message in (
        (done["id"], f"Live migration {done['id']} for server {server} is not in progress."),
        (resize["id"], f"Migration {resize['id']} for server {server} is not live-migration."),
        (99999, f"In-progress live migration 99999 is not found for server {server}."),
        ("abc", f"In-progress live migration abc is not found for server {server}."),
        (2**40, f"In-progress live migration {2**40} is not found for server {server}."),
    ):
        resp = mig_cloud.get(f"{path}/{ident}", "2.23")
        assert resp.status_code == 404, ident
        assert resp.json["itemNotFound"]["message"] == message


def test_server_migrations_policy(mig_cloud: MigrationCloud) -> None:
    mine, theirs = mig_cloud.server("cell1"), mig_cloud.server("cell1", project="alt")
    live = mig_cloud.migration("cell1", mine, 0, migration_type="live-migration", status="running")

    listing = mig_cloud.get(f"/servers/{mine}/migrations", "2.23", "demo")
    assert listing.status_code == 403  # managers and admins
    assert mig_cloud.get(f"/servers/{theirs}/migrations", "2.23", "demo").status_code == 404
    shown = mig_cloud.get(f"/servers/{mine}/migrations/{live['id']}", "2.23", "demo")
    assert shown.status_code == 403  # admins only
    missing = "00000000-0000-4000-8000-000000000000"
    assert mig_cloud.get(f"/servers/{missing}/migrations", "2.23").status_code == 404

    policy = policy_file(
        mig_cloud.tmp, '"project_manager_api": "role:member and project_id:%(project_id)s"\n'
    )
    client, databases = build_client(mig_cloud.dbs, policy)
    try:
        mig_cloud.client = client
        [item] = mig_cloud.get(f"/servers/{mine}/migrations", "2.23", "demo").json["migrations"]
        assert item["id"] == live["id"] and item["source_compute"] is None  # hosts: admins
    finally:
        databases.dispose()
