"""``/os-keypairs``: generate, import, list, page, show, delete; per-user isolation."""

from __future__ import annotations

import re

import pytest

from tests.api.user.conftest import UserCloud

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFnA2bq8M4ZkWn0l1kzA3UeRkTLZx8zXvPLUSGqM6BvK me@host"
FINGERPRINT = re.compile(r"^([0-9a-f]{2}:){15}[0-9a-f]{2}$")


def _create(c: UserCloud, name: str, version: str = "2.2", **kw: object) -> object:
    got = c.call("POST", "/os-keypairs", version, body={"keypair": {"name": name, **kw}})
    assert got.status_code in (200, 201), got.text
    return got.json["keypair"]


def test_generate_returns_private_key_once(user_cloud: UserCloud) -> None:
    got = user_cloud.call("POST", "/os-keypairs", "2.2", body={"keypair": {"name": "k1"}})
    assert got.status_code == 201
    kp = got.json["keypair"]
    assert kp["private_key"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert kp["public_key"].startswith("ssh-ed25519 ")
    assert FINGERPRINT.match(kp["fingerprint"])
    assert (kp["type"], kp["user_id"]) == ("ssh", "demo")
    shown = user_cloud.call("GET", "/os-keypairs/k1", "2.2").json["keypair"]
    assert "private_key" not in shown
    assert shown["fingerprint"] == kp["fingerprint"] and shown["deleted"] is False


def test_import_and_versions(user_cloud: UserCloud) -> None:
    got = user_cloud.call(
        "POST", "/os-keypairs", body={"keypair": {"name": "imp", "public_key": ED25519}}
    )
    # Before 2.2: 200 and no type.
    assert got.status_code == 200, got.text
    kp = got.json["keypair"]
    assert "private_key" not in kp and "type" not in kp
    assert kp["public_key"] == ED25519
    listed = user_cloud.call("GET", "/os-keypairs").json["keypairs"]
    assert listed == [
        {"keypair": {"name": "imp", "public_key": ED25519, "fingerprint": kp["fingerprint"]}}
    ]
    assert user_cloud.call("DELETE", "/os-keypairs/imp").status_code == 202


def test_errors(user_cloud: UserCloud) -> None:
    _create(user_cloud, "k1")
    dup = user_cloud.call("POST", "/os-keypairs", "2.2", body={"keypair": {"name": "k1"}})
    assert dup.status_code == 409 and dup.json["conflictingRequest"]["code"] == 409
    bad = user_cloud.call(
        "POST", "/os-keypairs", "2.2", body={"keypair": {"name": "k2", "public_key": "nope"}}
    )
    assert bad.status_code == 400 and "badRequest" in bad.json
    assert user_cloud.call("POST", "/os-keypairs", body={"keypair": {}}).status_code == 400
    x509 = user_cloud.call(
        "POST", "/os-keypairs", "2.2", body={"keypair": {"name": "k3", "type": "x509"}}
    )
    assert x509.status_code == 400
    # type is unknown before 2.2
    old = user_cloud.call("POST", "/os-keypairs", body={"keypair": {"name": "k4", "type": "ssh"}})
    assert old.status_code == 400
    missing = user_cloud.call("GET", "/os-keypairs/none")
    assert missing.status_code == 404 and "itemNotFound" in missing.json
    assert user_cloud.call("DELETE", "/os-keypairs/none", "2.2").status_code == 404


def test_delete(user_cloud: UserCloud) -> None:
    _create(user_cloud, "k1")
    assert user_cloud.call("DELETE", "/os-keypairs/k1", "2.2").status_code == 204
    assert user_cloud.call("GET", "/os-keypairs/k1").status_code == 404


def test_other_users_keypairs_are_not_found(user_cloud: UserCloud) -> None:
    _create(user_cloud, "mine")
    # The same project, another user: keypairs are per user.
    for who in ("alt", "demo2"):
        assert user_cloud.call("GET", "/os-keypairs/mine", who=who).status_code == 404
        assert user_cloud.call("DELETE", "/os-keypairs/mine", who=who).status_code == 404
        assert user_cloud.call("GET", "/os-keypairs", who=who).json["keypairs"] == []
    # Each user has its own namespace of names.
    got = user_cloud.call(
        "POST", "/os-keypairs", "2.2", who="alt", body={"keypair": {"name": "mine"}}
    )
    assert got.status_code == 201
    assert user_cloud.call("GET", "/os-keypairs/mine").status_code == 200


def test_user_id_is_admin_only_from_2_10(user_cloud: UserCloud) -> None:
    made = user_cloud.call(
        "POST",
        "/os-keypairs",
        "2.10",
        who="admin",
        body={"keypair": {"name": "k", "user_id": "alt"}},
    )
    assert made.status_code == 201 and made.json["keypair"]["user_id"] == "alt"
    assert user_cloud.call("GET", "/os-keypairs/k", who="alt").status_code == 200
    seen = user_cloud.call("GET", "/os-keypairs", "2.10", who="admin", params={"user_id": "alt"})
    assert [k["keypair"]["name"] for k in seen.json["keypairs"]] == ["k"]
    shown = user_cloud.call("GET", "/os-keypairs/k", "2.10", who="admin", params={"user_id": "alt"})
    assert shown.status_code == 200 and shown.json["keypair"]["user_id"] == "alt"
    # A non-admin naming another user is refused.
    denied = user_cloud.call(
        "POST", "/os-keypairs", "2.10", body={"keypair": {"name": "x", "user_id": "alt"}}
    )
    assert denied.status_code == 403 and "forbidden" in denied.json
    listing = user_cloud.call("GET", "/os-keypairs", "2.10", params={"user_id": "alt"})
    assert listing.status_code == 403
    # Before 2.10 user_id in the body is a schema error.
    early = user_cloud.call(
        "POST",
        "/os-keypairs",
        "2.9",
        who="admin",
        body={"keypair": {"name": "y", "user_id": "alt"}},
    )
    assert early.status_code == 400


def test_paging_from_2_35(user_cloud: UserCloud) -> None:
    for name in ("c", "a", "b"):
        _create(user_cloud, name)
    page = user_cloud.call("GET", "/os-keypairs", "2.35", params={"limit": "2"}).json
    assert [k["keypair"]["name"] for k in page["keypairs"]] == ["a", "b"]
    assert "marker=b" in page["keypairs_links"][0]["href"]
    rest = user_cloud.call("GET", "/os-keypairs", "2.35", params={"limit": "2", "marker": "b"})
    assert [k["keypair"]["name"] for k in rest.json["keypairs"]] == ["c"]
    assert "keypairs_links" not in rest.json
    bad_marker = user_cloud.call("GET", "/os-keypairs", "2.35", params={"marker": "zz"})
    assert bad_marker.status_code == 400
    bad_limit = user_cloud.call("GET", "/os-keypairs", "2.35", params={"limit": "-1"})
    assert bad_limit.status_code == 400
    # Before 2.35 paging parameters are ignored.
    old = user_cloud.call("GET", "/os-keypairs", "2.34", params={"limit": "1"}).json
    assert len(old["keypairs"]) == 3


@pytest.mark.parametrize("limit", ["3", "99999999999999999999", "9" * 5000, None])
def test_pages_are_capped_at_max_limit(two_per_page: UserCloud, limit: str | None) -> None:
    """Larger (or no) limits are ``[api] max_limit``: capped, never sent to the database."""
    for name in ("c", "a", "b"):
        _create(two_per_page, name)
    params = {} if limit is None else {"limit": limit}
    got = two_per_page.call("GET", "/os-keypairs", "2.35", params=params)
    assert got.status_code == 200, got.text
    assert [k["keypair"]["name"] for k in got.json["keypairs"]] == ["a", "b"]
    assert "marker=b" in got.json["keypairs_links"][0]["href"]


@pytest.mark.parametrize("limit", ["\u00b2", "1.5", "", " 1"])
def test_a_limit_that_is_not_digits_is_400(user_cloud: UserCloud, limit: str) -> None:
    got = user_cloud.call("GET", "/os-keypairs", "2.35", params={"limit": limit})
    assert got.status_code == 400, got.text
    message = "Invalid input for query parameter limit: must be an integer >= 0."
    assert got.json == {"badRequest": {"code": 400, "message": message}}


def test_a_key_of_an_unknown_type_is_400(user_cloud: UserCloud) -> None:
    """Well-formed, but the blob names a type cryptography does not know."""
    body = {"keypair": {"name": "k", "public_key": "foo AAAAA3Zvbw=="}}
    got = user_cloud.call("POST", "/os-keypairs", "2.2", body=body)
    assert got.status_code == 400, got.text
    assert got.json["badRequest"]["message"].startswith("Keypair data is invalid: ")
    assert user_cloud.call("GET", "/os-keypairs/k", "2.2").status_code == 404


def test_key_pairs_quota(user_cloud: UserCloud) -> None:
    got = user_cloud.call(
        "PUT", "/os-quota-sets/demo", who="admin", body={"quota_set": {"key_pairs": 1}}
    )
    assert got.status_code == 200, got.text
    _create(user_cloud, "one")
    over = user_cloud.call("POST", "/os-keypairs", "2.2", body={"keypair": {"name": "two"}})
    assert over.status_code == 403 and "forbidden" in over.json
