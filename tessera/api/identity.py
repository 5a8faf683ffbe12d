"""A minimal Keystone v3 for the embedded cloud: version document and tokens.

Enough for password-auth clients (openstackclient, openstacksdk) to get a
token and a service catalog without a real Keystone. Tokens are noauth2
tokens (``user:project``): any password is accepted, exactly as noauth2
trusts any token. With ``[api] auth_strategy = keystone`` a real Keystone
is used instead and none of this is served.
"""

from __future__ import annotations

import datetime
from typing import Any

import falcon

from tessera.api import validation
from tessera.api.auth import context_from_token
from tessera.api.errors import APIError
from tessera.context import RequestContext

PREFIX = "/identity"

_AUTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "auth": {
            "type": "object",
            "properties": {
                "identity": {
                    "type": "object",
                    "properties": {
                        "methods": {"type": "array", "items": {"type": "string"}},
                        "password": {"type": "object"},
                        "token": {"type": "object"},
                    },
                    "required": ["methods"],
                },
                "scope": {"type": ["object", "string"]},
            },
            "required": ["identity"],
        }
    },
    "required": ["auth"],
}


def _version(base: str) -> dict[str, Any]:
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{base}{PREFIX}/v3/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


def _catalog(base: str) -> list[dict[str, Any]]:
    services = [
        ("compute", "nova", f"{base}/v2.1"),
        ("image", "glance", f"{base}/image"),
        ("identity", "keystone", f"{base}{PREFIX}/v3"),
    ]
    return [
        {
            "type": kind,
            "name": name,
            "id": kind,
            "endpoints": [
                {
                    "id": f"{kind}-{iface}",
                    "interface": iface,
                    "url": url,
                    "region": "RegionOne",
                    "region_id": "RegionOne",
                }
                for iface in ("public", "internal", "admin")
            ],
        }
        for kind, name, url in services
    ]


def _token_body(ctx: RequestContext, base: str, methods: list[str]) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    domain = {"id": "default", "name": "Default"}
    return {
        "token": {
            "methods": methods,
            "issued_at": now.isoformat().replace("+00:00", "Z"),
            "expires_at": (now + datetime.timedelta(hours=12)).isoformat().replace("+00:00", "Z"),
            "user": {"id": ctx.user_id, "name": ctx.user_id, "domain": domain},
            "project": {"id": ctx.project_id, "name": ctx.project_id, "domain": domain},
            "roles": [{"id": role, "name": role} for role in ctx.roles],
            "catalog": _catalog(base),
        }
    }


def _names(auth: dict[str, Any]) -> tuple[str, str]:
    """User and project names from a password (or token) auth request."""
    identity = auth["identity"]
    if "password" in identity["methods"]:
        user = identity.get("password", {}).get("user", {})
        name = user.get("name") or user.get("id")
    else:
        token = identity.get("token", {}).get("id", "")
        name = token.partition(":")[0]
    scope = auth.get("scope") or {}
    project = scope.get("project", {}) if isinstance(scope, dict) else {}
    project_name = project.get("name") or project.get("id") or name
    if not name:
        raise APIError(401, "The request you have made requires authentication.")
    return str(name), str(project_name)


class Version:
    """``GET /identity`` and ``GET /identity/v3``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"version": _version(req.prefix)}


class Tokens:
    """``POST`` (issue) and ``GET`` (validate) ``/identity/v3/auth/tokens``."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        auth = validation.body(req, _AUTH_SCHEMA)["auth"]
        user, project = _names(auth)
        token = f"{user}:{project}"
        resp.status = falcon.HTTP_201
        resp.set_header("X-Subject-Token", token)
        resp.media = _token_body(
            context_from_token(token), req.prefix, list(auth["identity"]["methods"])
        )

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        token = req.get_header("X-Subject-Token") or req.get_header("X-Auth-Token")
        if not token:
            raise APIError(401, "The request you have made requires authentication.")
        resp.set_header("X-Subject-Token", token)
        resp.media = _token_body(context_from_token(token), req.prefix, ["token"])


def install(app: falcon.App[falcon.Request, falcon.Response]) -> None:
    """Add the identity routes (they need no token)."""
    app.add_route(PREFIX, Version())
    app.add_route(f"{PREFIX}/v3", Version())
    app.add_route(f"{PREFIX}/v3/auth/tokens", Tokens())
