"""``GET /servers/{id}``: one query per database, and every part as stored.

The API database answers mapping, request spec and groups in one query; the
cell answers instance, flavor, metadata, volumes, tags and host state in one
more (a UNION ALL, the instance row folded into JSON, see
:mod:`tessera.compute.server_reads`); the network one more for the ports. Run on
every backend, since each builds the JSON and casts the union's columns its own way.
"""

from __future__ import annotations

import sqlalchemy as sa

from tessera.objects import instance as instances
from tessera.objects import tag
from tests.api.servers.conftest import ServersCloud
from tests.api.servers.test_detail_and_down_cell import counted

ODD_METADATA = {
    "quote": 'say "hi"',
    "back\\slash": "a\\b",
    "unicode": "Zürich ✓ 東京",
    "empty": "",
    "comma,colon": "[1, 2]: {}",
}


def _tag(cloud: ServersCloud, uuid: str, *names: str) -> None:
    with cloud.dbs.engine("cell1").begin() as conn:
        conn.execute(sa.insert(tag.TABLE), [{"resource_id": uuid, "tag": n} for n in names])


def _metadata(cloud: ServersCloud, uuid: str, metadata: dict[str, str]) -> None:
    with cloud.dbs.engine("cell1").begin() as conn:
        conn.execute(
            sa.insert(instances.METADATA),
            [
                {"instance_uuid": uuid, "key": k, "value": v, "deleted": 0}
                for k, v in metadata.items()
            ],
        )


def _everything(servers_cloud: ServersCloud) -> tuple[str, str]:
    servers_cloud.compute("cell1")
    uuid = servers_cloud.server("cell1", hints={"group": "g1", "different_host": ["x"]})
    _metadata(servers_cloud, uuid, ODD_METADATA)
    _tag(servers_cloud, uuid, "zeta", "Alpha", "beta")
    for volume, keep in (("vol-c", True), ("vol-a", False), ("vol-b", True)):
        servers_cloud.volume("cell1", uuid, volume, delete_on_termination=keep)
    group = servers_cloud.group(uuid)
    return uuid, group


def test_a_show_at_the_newest_version_reads_each_database_once(
    servers_cloud: ServersCloud,
) -> None:
    uuid, _ = _everything(servers_cloud)
    servers_cloud.show(uuid, "2.100", "admin")  # cells and image properties are remembered
    with counted() as seen:
        servers_cloud.show(uuid, "2.100", "admin")
    # mapping + spec + groups; instance + flavor + metadata + volumes + tags + host; ports
    assert len(seen) == 3, seen


def test_every_folded_part_reads_back_as_stored(servers_cloud: ServersCloud) -> None:
    uuid, group = _everything(servers_cloud)
    shown = servers_cloud.show(uuid, "2.100", "admin")
    assert shown["metadata"] == {"role": "web", **ODD_METADATA}
    assert shown["tags"] == ["Alpha", "beta", "zeta"]
    assert shown["os-extended-volumes:volumes_attached"] == [
        {"id": "vol-c", "delete_on_termination": True},
        {"id": "vol-a", "delete_on_termination": False},
        {"id": "vol-b", "delete_on_termination": True},
    ]
    assert shown["server_groups"] == [group]
    assert shown["scheduler_hints"] == {"group": "g1", "different_host": ["x"]}
    assert shown["pinned_availability_zone"] == "az1"
    assert shown["host_status"] == "UP"
    assert shown["flavor"]["extra_specs"] == {"hw:cpu_policy": "shared"}


def test_a_server_with_no_children_shows_empty_parts(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.server("cell1", host=None, ports=False, hints=None, zone=None)
    with servers_cloud.dbs.engine("cell1").begin() as conn:
        conn.execute(sa.delete(instances.METADATA))
    shown = servers_cloud.show(uuid, "2.100", "admin")
    assert shown["metadata"] == {}
    assert shown["tags"] == []
    assert shown["os-extended-volumes:volumes_attached"] == []
    assert shown["server_groups"] == []
    assert shown["host_status"] == ""
    assert shown["addresses"] == {}


def test_deleted_children_are_not_shown(servers_cloud: ServersCloud) -> None:
    uuid, _ = _everything(servers_cloud)
    with servers_cloud.dbs.engine("cell1").begin() as conn:
        meta, bdms = instances.METADATA, instances.BDMS
        conn.execute(sa.update(meta).where(meta.c.key == "quote").values(deleted=meta.c.id))
        conn.execute(sa.update(bdms).where(bdms.c.volume_id == "vol-a").values(deleted=bdms.c.id))
    shown = servers_cloud.show(uuid, "2.100", "admin")
    assert "quote" not in shown["metadata"]
    assert [v["id"] for v in shown["os-extended-volumes:volumes_attached"]] == ["vol-c", "vol-b"]


def test_host_states_as_the_service_row_says(servers_cloud: ServersCloud) -> None:
    servers_cloud.compute("cell1", "up-host")
    servers_cloud.compute("cell1", "silent-host", up=False)
    servers_cloud.compute("cell1", "off-host", disabled=True)
    servers_cloud.compute("cell1", "forced-host", forced_down=True)
    expected = {
        "up-host": "UP",
        "silent-host": "UNKNOWN",
        "off-host": "MAINTENANCE",
        "forced-host": "DOWN",
        "no-service-host": "",
    }
    for host, status in expected.items():
        uuid = servers_cloud.server("cell1", host=host)
        assert servers_cloud.show(uuid, "2.16", "admin")["host_status"] == status, host


def test_a_server_in_error_shows_its_latest_fault(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.server("cell1", vm_state="error")
    servers_cloud.fault("cell1", uuid, 500, "first", None)
    servers_cloud.fault("cell1", uuid, 404, "latest", None)
    servers_cloud.show(uuid, "2.1", "admin")  # cell mappings are remembered from here on
    with counted() as seen:
        shown = servers_cloud.show(uuid, "2.1", "admin")
    assert shown["fault"]["message"] == "latest"
    assert len(seen) == 4, seen  # the fault costs its own query, only for servers in ERROR
