"""``/os-server-groups``: create by microversion, list, show, delete; project isolation."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tessera.api.server_groups import MAX_OFFSET
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
    member = user_cloud.server("cell1")
    deleting = user_cloud.server("cell1", queued_for_delete=True)
    unmapped = "11111111-2222-4333-8444-555555555555"
    with user_cloud.dbs.engine("api").begin() as conn:
        gid = conn.execute(sa.select(GROUPS.c.id).where(GROUPS.c.uuid == group["id"])).scalar()
        for uuid in (member, deleting, unmapped):
            conn.execute(sa.insert(MEMBERS).values(group_id=gid, instance_uuid=uuid))
    shown = user_cloud.call("GET", f"/os-server-groups/{group['id']}", "2.64")
    # Servers being deleted (or gone from the mappings) are no longer shown as members.
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


@pytest.mark.parametrize("limit", ["3", "99999999999999999999", "9" * 5000, None])
def test_pages_are_capped_at_max_limit(two_per_page: UserCloud, limit: str | None) -> None:
    """Larger (or no) limits are ``[api] max_limit``, as the reference slices its list."""
    for name in ("a", "b", "c"):
        _create(two_per_page, {"name": name, "policy": "affinity"})
    params = {} if limit is None else {"limit": limit}
    got = two_per_page.call("GET", "/os-server-groups", params=params)
    assert got.status_code == 200, got.text
    assert [g["name"] for g in got.json["server_groups"]] == ["a", "b"]


@pytest.mark.parametrize("offset", [str(MAX_OFFSET), "99999999999999999999", "9" * 5000])
def test_an_offset_past_every_group_is_an_empty_page(user_cloud: UserCloud, offset: str) -> None:
    """Beyond what a database takes too: capped to the largest offset all of them do."""
    _create(user_cloud, {"name": "a", "policy": "affinity"})
    params = {"offset": offset, "limit": "5"}
    got = user_cloud.call("GET", "/os-server-groups", params=params, who="admin")
    assert got.status_code == 200, got.text
    assert got.json["server_groups"] == []


@pytest.mark.parametrize(
    ("name", "value"), [("limit", "\u00b2"), ("offset", "-1"), ("offset", "x")]
)
def test_paging_values_that_are_not_digits_are_400(
    user_cloud: UserCloud, name: str, value: str
) -> None:
    got = user_cloud.call("GET", "/os-server-groups", params={name: value})
    assert got.status_code == 400, got.text
    minimum = 1 if name == "limit" else 0
    message = f"Invalid input for query parameter {name}: must be an integer >= {minimum}."
    assert got.json == {"badRequest": {"code": 400, "message": message}}


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
