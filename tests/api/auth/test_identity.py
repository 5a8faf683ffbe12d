"""The built-in identity API: tokens and projects, with noauth2 and with issued tokens."""

from __future__ import annotations

import json
from typing import Any

import pytest
from falcon import testing

from tessera.api import identity
from tests.api.auth.conftest import ACCOUNTS

V3 = f"{identity.PREFIX}/v3"


def _password(user: str, password: str, project: str | None = None) -> dict[str, Any]:
    auth: dict[str, Any] = {
        "identity": {
            "methods": ["password"],
            "password": {"user": {"name": user, "password": password}},
        }
    }
    if project is not None:
        auth["scope"] = {"project": {"name": project}}
    return {"auth": auth}


@pytest.fixture
def noauth() -> testing.TestClient:
    return testing.TestClient(identity.standalone_app(identity.NoAuthTokens()))


@pytest.fixture
def issued() -> testing.TestClient:
    return testing.TestClient(identity.standalone_app(identity.IssuedTokens(ACCOUNTS)))


def _token(client: testing.TestClient, user: str, password: str) -> str:
    answer = client.simulate_post(f"{V3}/auth/tokens", json=_password(user, password))
    assert answer.status_code == 201, answer.text
    return str(answer.headers["X-Subject-Token"])


def test_noauth_issues_user_project_tokens(noauth: testing.TestClient) -> None:
    answer = noauth.simulate_post(f"{V3}/auth/tokens", json=_password("demo", "x", "proj"))
    assert answer.status_code == 201
    assert answer.headers["X-Subject-Token"] == "demo:proj"
    assert answer.json["token"]["project"]["id"] == "proj"
    assert {e["type"] for e in answer.json["token"]["catalog"]} >= {"compute", "identity"}


def test_noauth_projects_for_the_cli(noauth: testing.TestClient) -> None:
    """What ``openstack quota show/set <project>`` asks to find a project."""
    own = noauth.simulate_get(f"{V3}/projects/demo", headers={"X-Auth-Token": "demo:demo"})
    assert own.status_code == 200
    assert own.json["project"]["id"] == own.json["project"]["name"] == "demo"
    assert own.json["project"]["domain_id"] == "default"
    other = noauth.simulate_get(f"{V3}/projects/alt", headers={"X-Auth-Token": "demo:demo"})
    assert other.status_code == 403 and set(other.json) == {"forbidden"}
    admin = {"X-Auth-Token": "admin:admin"}
    assert noauth.simulate_get(f"{V3}/projects/alt", headers=admin).status_code == 200
    by_name = noauth.simulate_get(f"{V3}/projects", params={"name": "alt"}, headers=admin)
    assert [p["id"] for p in by_name.json["projects"]] == ["alt"]
    listing = noauth.simulate_get(f"{V3}/projects", params={"name": "x"}, headers=admin)
    assert listing.status_code == 200
    elsewhere = noauth.simulate_get(
        f"{V3}/projects", params={"name": "alt", "domain_id": "other"}, headers=admin
    )
    assert elsewhere.json["projects"] == []
    refused = noauth.simulate_get(f"{V3}/projects", params={"name": "alt"}, headers={})
    assert refused.status_code == 401 and set(refused.json) == {"unauthorized"}
    member = noauth.simulate_get(f"{V3}/projects", headers={"X-Auth-Token": "demo:demo"})
    assert member.status_code == 403
    assert noauth.simulate_get(f"{V3}/projects/a:b", headers=admin).status_code == 404
    too_long = noauth.simulate_get(f"{V3}/projects", params={"name": "x" * 65}, headers=admin)
    assert too_long.status_code == 400 and set(too_long.json) == {"badRequest"}


def test_issued_tokens_need_the_password(issued: testing.TestClient) -> None:
    wrong = issued.simulate_post(f"{V3}/auth/tokens", json=_password("demo", "guess"))
    assert wrong.status_code == 401 and set(wrong.json) == {"unauthorized"}
    nobody = issued.simulate_post(f"{V3}/auth/tokens", json=_password("nobody", "x"))
    assert nobody.status_code == 401
    other = issued.simulate_post(
        f"{V3}/auth/tokens", json=_password("demo", "demo-secret", "admin")
    )
    assert other.status_code == 401
    token = _token(issued, "demo", "demo-secret")
    assert ":" not in token and len(token) >= 32
    again = issued.simulate_post(
        f"{V3}/auth/tokens",
        json={"auth": {"identity": {"methods": ["token"], "token": {"id": token}}}},
    )
    assert again.status_code == 201 and again.headers["X-Subject-Token"] != token


def test_validation_as_keystone_does_it(issued: testing.TestClient) -> None:
    service = _token(issued, "tessera", "service-secret")
    demo, alt = _token(issued, "demo", "demo-secret"), _token(issued, "alt", "alt-secret")
    checked = issued.simulate_get(
        f"{V3}/auth/tokens", headers={"X-Auth-Token": service, "X-Subject-Token": demo}
    )
    assert checked.status_code == 200
    assert checked.json["token"]["user"]["id"] == "demo"
    assert [r["name"] for r in checked.json["token"]["roles"]] == ["member", "reader"]
    unknown = issued.simulate_get(
        f"{V3}/auth/tokens", headers={"X-Auth-Token": service, "X-Subject-Token": "forged"}
    )
    assert unknown.status_code == 404
    nosy = issued.simulate_get(
        f"{V3}/auth/tokens", headers={"X-Auth-Token": alt, "X-Subject-Token": demo}
    )
    assert nosy.status_code == 403
    itself = issued.simulate_get(f"{V3}/auth/tokens", headers={"X-Auth-Token": demo})
    assert itself.status_code == 200
    stranger = issued.simulate_get(f"{V3}/auth/tokens", headers={"X-Auth-Token": "x"})
    assert stranger.status_code == 401


def test_issued_projects_are_the_accounts(issued: testing.TestClient) -> None:
    boss = {"X-Auth-Token": _token(issued, "boss", "boss-secret")}
    assert issued.simulate_get(f"{V3}/projects/demo", headers=boss).status_code == 200
    assert issued.simulate_get(f"{V3}/projects/nowhere", headers=boss).status_code == 404


def test_expired_tokens_are_refused() -> None:
    client = testing.TestClient(identity.standalone_app(identity.IssuedTokens(ACCOUNTS, ttl=-1.0)))
    token = _token(client, "demo", "demo-secret")
    answer = client.simulate_get(f"{V3}/projects/demo", headers={"X-Auth-Token": token})
    assert answer.status_code == 401


@pytest.mark.parametrize("name", ["用户", "a\nb", "a\r\nSet-Cookie: x=1", "x:y", "\\ud800"])
def test_noauth_names_must_fit_in_a_header(noauth: testing.TestClient, name: str) -> None:
    """The token is sent back in X-Subject-Token: nothing a header cannot carry."""
    body = json.dumps(_password(name, "x")).replace("\\\\ud800", "\\ud800")
    answer = noauth.simulate_post(
        f"{V3}/auth/tokens", body=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert set(answer.json) == {"badRequest"}


def test_an_undecodable_password_is_refused(issued: testing.TestClient) -> None:
    body = json.dumps(_password("demo", "PLACEHOLDER")).replace("PLACEHOLDER", "\\ud800")
    answer = issued.simulate_post(
        f"{V3}/auth/tokens", body=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 401, answer.text
