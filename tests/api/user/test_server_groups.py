"""``/os-server-groups``: create by microversion, list, show, delete; project isolation."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tessera.db.api.models import ApiBase
from tests.api.user.conftest import UserCloud

MEMBERS = ApiBase.metadata.tables["instance_group_member"]
GROUPS = ApiBase.metadata.tables["instance_groups"]


def _create(c: UserCloud, body: dict[str, Any], version: str = "2.64", who: str = "demo") -> Any:
    got = c.call("POST", "/os-server-groups", version, who=who, body={"server_group": body})
    assert got.status_code == 200, got.text
    return got.json["server_group"]


def test_create_before_and_from_2_64(user_cloud: UserCloud) -> None:
    old = _create(user_cloud, {"name": "g1", "policies": ["anti-affinity"]}, "2.1")
    assert old.keys() == {"id", "name", "policies", "members", "metadata"}
    assert (old["policies"], old["members"], old["metadata"]) == (["anti-affinity"], [], {})
    new = _create(
        user_cloud,
        {"name": "g2", "policy": "anti-affinity", "rules": {"max_server_per_host": 2}},
    )
    assert new.keys() == {"id", "name", "policy", "rules", "members", "project_id", "user_id"}
    assert new["rules"] == {"max_server_per_host": 2}
    assert (new["project_id"], new["user_id"]) == ("demo", "demo")
    # The old group read at 2.64, the new at 2.13.
    shown = user_cloud.call("GET", f"/os-server-groups/{old['id']}", "2.64").json["server_group"]
    assert (shown["policy"], shown["rules"]) == ("anti-affinity", {})
    mid = user_cloud.call("GET", f"/os-server-groups/{new['id']}", "2.13").json["server_group"]
    assert mid["policies"] == ["anti-affinity"] and mid["project_id"] == "demo"


def test_every_policy(user_cloud: UserCloud) -> None:
    for policy in ("affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"):
        assert _create(user_cloud, {"name": policy, "policy": policy})["policy"] == policy


def test_create_errors(user_cloud: UserCloud) -> None:
    bad = [
        ("2.64", {"name": "g", "policy": "spread"}),
        ("2.64", {"name": "g", "policies": ["affinity"]}),
        ("2.64", {"name": "g", "policy": "affinity", "rules": {"max_server_per_host": 2}}),
        ("2.64", {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": 0}}),
        ("2.64", {"name": "g", "policy": "anti-affinity", "rules": {"other": 1}}),
        ("2.63", {"name": "g", "policy": "affinity"}),
        ("2.63", {"name": "g", "policies": ["affinity", "anti-affinity"]}),
        ("2.63", {"name": "", "policies": ["affinity"]}),
    ]
    for version, body in bad:
        got = user_cloud.call("POST", "/os-server-groups", version, body={"server_group": body})
        assert got.status_code == 400, (version, body, got.text)
        assert "badRequest" in got.json


def test_show_members_and_delete(user_cloud: UserCloud) -> None:
    group = _create(user_cloud, {"name": "g", "policy": "affinity"})
    member = "11111111-2222-4333-8444-555555555555"
    with user_cloud.dbs.engine("api").begin() as conn:
        gid = conn.execute(sa.select(GROUPS.c.id).where(GROUPS.c.uuid == group["id"])).scalar()
        conn.execute(sa.insert(MEMBERS).values(group_id=gid, instance_uuid=member))
    shown = user_cloud.call("GET", f"/os-server-groups/{group['id']}", "2.64")
    assert shown.json["server_group"]["members"] == [member]
    assert user_cloud.call("DELETE", f"/os-server-groups/{group['id']}").status_code == 204
    assert user_cloud.call("GET", f"/os-server-groups/{group['id']}").status_code == 404
    assert user_cloud.call("DELETE", f"/os-server-groups/{group['id']}").status_code == 404
    with user_cloud.dbs.engine("api").connect() as conn:
        assert conn.execute(sa.select(MEMBERS)).first() is None


def test_projects_are_isolated(user_cloud: UserCloud) -> None:
    mine = _create(user_cloud, {"name": "mine", "policy": "affinity"})
    theirs = _create(user_cloud, {"name": "theirs", "policy": "affinity"}, who="alt")
    listed = user_cloud.call("GET", "/os-server-groups").json["server_groups"]
    assert [g["name"] for g in listed] == ["mine"]
    # Another project's group is absent, not forbidden.
    got = user_cloud.call("GET", f"/os-server-groups/{theirs['id']}")
    assert got.status_code == 404 and "itemNotFound" in got.json
    assert user_cloud.call("DELETE", f"/os-server-groups/{theirs['id']}").status_code == 404
    # The same project, another user, sees it.
    assert user_cloud.call("GET", f"/os-server-groups/{mine['id']}", who="demo2").status_code == 200
    # all_projects is admin only.
    denied = user_cloud.call("GET", "/os-server-groups", params={"all_projects": "True"})
    assert denied.status_code == 403 and "forbidden" in denied.json
    every = user_cloud.call("GET", "/os-server-groups", who="admin", params={"all_projects": "1"})
    assert sorted(g["name"] for g in every.json["server_groups"]) == ["mine", "theirs"]
    own = user_cloud.call("GET", "/os-server-groups", who="admin").json["server_groups"]
    assert own == []
    shown = user_cloud.call("GET", f"/os-server-groups/{theirs['id']}", who="admin")
    assert shown.status_code == 200


def test_list_paging(user_cloud: UserCloud) -> None:
    for name in ("a", "b", "c"):
        _create(user_cloud, {"name": name, "policy": "affinity"})
    got = user_cloud.call("GET", "/os-server-groups", params={"limit": "1", "offset": "1"})
    assert [g["name"] for g in got.json["server_groups"]] == ["b"]
    bad = user_cloud.call("GET", "/os-server-groups", params={"limit": "0"})
    assert bad.status_code == 400


def test_server_groups_quota(user_cloud: UserCloud) -> None:
    body = {"quota_set": {"server_groups": 1}}
    assert user_cloud.call("PUT", "/os-quota-sets/demo", who="admin", body=body).status_code == 200
    _create(user_cloud, {"name": "one", "policy": "affinity"})
    over = user_cloud.call(
        "POST",
        "/os-server-groups",
        "2.64",
        body={"server_group": {"name": "2", "policy": "affinity"}},
    )
    assert over.status_code == 403
