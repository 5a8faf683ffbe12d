"""A minimal Keystone v3 for the embedded cloud: version document, tokens, projects.

Enough for password-auth clients (openstackclient, openstacksdk) to get a token
and a service catalog, and for the CLI to look a project up (``quota show``),
without a real Keystone. Who the tokens stand for is decided by a
:class:`TokenIssuer`:

- :class:`NoAuthTokens` (the default): tokens are noauth2 tokens
  (``user:project``); any password is accepted, exactly as noauth2 trusts any
  token, and every project exists;
- :class:`IssuedTokens`: named accounts with passwords, and opaque tokens that
  are valid only once issued. It stands in for a real Keystone where one is
  needed but cannot run (the tests of ``[api] auth_strategy = keystone``:
  keystonemiddleware validates tokens against it).

With ``[api] auth_strategy = keystone`` the compute API does not serve this at
all: a real Keystone is used.
"""

from __future__ import annotations

import datetime
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import falcon
import jsonschema

from tessera.api import errors, validation
from tessera.api.auth import context_from_token
from tessera.api.errors import APIError
from tessera.context import RequestContext

PREFIX = "/identity"
DOMAIN = {"id": "default", "name": "Default"}
MAX_ID = 64
"""Keystone's longest project id or name."""
_UNAUTHENTICATED = "The request you have made requires authentication."
_PRINTABLE = re.compile(r"[\x20-\x7e]+")

AUTH_SCHEMA: dict[str, Any] = {
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
"""``POST /v3/auth/tokens``: password or token methods, optionally scoped."""

PROJECT_QUERY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "array", "items": {"type": "string", "maxLength": MAX_ID}},
        "domain_id": {"type": "array", "items": {"type": "string", "maxLength": MAX_ID}},
    },
}
"""``GET /v3/projects``: the filters honoured (others are ignored, as Keystone does)."""


class TokenIssuer(Protocol):
    """Issues and validates the identity service's tokens."""

    def issue(self, auth: dict[str, Any]) -> tuple[str, RequestContext]:
        """A new token for a (validated) ``auth`` request body, and whom it stands for.

        Raises a 401 APIError for wrong credentials.
        """

    def validate(self, token: str) -> RequestContext | None:
        """Whom ``token`` stands for; None when it is not a valid token."""

    def project_exists(self, project_id: str) -> bool:
        """Whether the project is known."""


def _scope(auth: dict[str, Any]) -> str | None:
    """The project an auth request asks to be scoped to (name or id), if any."""
    scope = auth.get("scope") or {}
    project = scope.get("project") if isinstance(scope, dict) else None
    if not isinstance(project, dict):
        return None
    wanted = project.get("name") or project.get("id")
    return None if wanted is None else str(wanted)


def _password(identity: dict[str, Any]) -> tuple[str, str]:
    """User name (or id) and password of a password auth request; 401 without a name."""
    user = identity.get("password", {}).get("user", {})
    name = (user.get("name") or user.get("id")) if isinstance(user, dict) else None
    if not name or not isinstance(name, str):
        raise APIError(401, _UNAUTHENTICATED)
    return name, str(user.get("password") or "")


def _token_id(identity: dict[str, Any]) -> str:
    """The token a token auth request presents."""
    token = identity.get("token", {})
    return str(token.get("id") or "") if isinstance(token, dict) else ""


class NoAuthTokens:
    """noauth2: the token ``user:project`` is trusted, any password too."""

    def issue(self, auth: dict[str, Any]) -> tuple[str, RequestContext]:
        """``user:project`` for whatever credentials are given."""
        identity = auth["identity"]
        if "password" in identity["methods"]:
            user = _password(identity)[0]
        else:
            user = _token_id(identity).partition(":")[0]
        if not user:
            raise APIError(401, _UNAUTHENTICATED)
        project = _scope(auth) or user
        # The token travels in HTTP headers: printable ASCII only.
        if not (_PRINTABLE.fullmatch(user) and _PRINTABLE.fullmatch(project)) or ":" in user:
            raise APIError(400, "noauth2 user and project names are printable ASCII, no ':'.")
        token = f"{user}:{project}"
        return token, context_from_token(token)

    def validate(self, token: str) -> RequestContext | None:
        """Every non-empty token is valid."""
        return context_from_token(token) if token else None

    def project_exists(self, project_id: str) -> bool:
        """noauth2 knows no project list: any project a token may name exists."""
        return 0 < len(project_id) <= MAX_ID and ":" not in project_id


@dataclass(frozen=True)
class Account:
    """A user of :class:`IssuedTokens`, member of one project."""

    name: str
    """User name (also its id)."""
    password: str
    """The password that authenticates it."""
    project: str
    """The one project it is a member of (name and id)."""
    roles: tuple[str, ...] = ("member", "reader")
    """Its roles in that project; ``admin`` makes it an administrator."""


class IssuedTokens:
    """Accounts with passwords and random tokens, valid from issue until expiry."""

    def __init__(self, accounts: Iterable[Account], ttl: float = 3600.0) -> None:
        self._accounts = {account.name: account for account in accounts}
        self._ttl = ttl
        self._tokens: dict[str, tuple[RequestContext, float]] = {}
        self._lock = threading.Lock()

    def issue(self, auth: dict[str, Any]) -> tuple[str, RequestContext]:
        """A token for an account whose password (or current token) is given."""
        account = self._authenticated(auth["identity"])
        if account is None:
            raise APIError(401, _UNAUTHENTICATED)
        wanted = _scope(auth)
        if wanted is not None and wanted != account.project:
            raise APIError(401, f"User {account.name} has no access to project {wanted}.")
        ctx = RequestContext(
            user_id=account.name,
            project_id=account.project,
            is_admin="admin" in account.roles,
            roles=account.roles,
        )
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (ctx, time.monotonic() + self._ttl)
        return token, ctx

    def _authenticated(self, identity: dict[str, Any]) -> Account | None:
        if "password" in identity["methods"]:
            name, password = _password(identity)
            account = self._accounts.get(name)
            # surrogatepass: JSON may carry lone surrogates, which must fail, not raise.
            given = password.encode("utf-8", "surrogatepass")
            if account is None or not secrets.compare_digest(account.password.encode(), given):
                return None
            return account
        held = self.validate(_token_id(identity))
        return None if held is None else self._accounts.get(held.user_id or "")

    def validate(self, token: str) -> RequestContext | None:
        """The account's context while ``token`` is issued and unexpired."""
        with self._lock:
            found = self._tokens.get(token)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def project_exists(self, project_id: str) -> bool:
        """Projects are those of the accounts."""
        return any(account.project == project_id for account in self._accounts.values())


# --------------------------------------------------------------------------- bodies


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


def _stamp(moment: datetime.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _token_body(ctx: RequestContext, base: str, methods: list[str]) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    return {
        "token": {
            "methods": methods,
            "issued_at": _stamp(now),
            "expires_at": _stamp(now + datetime.timedelta(hours=12)),
            "user": {"id": ctx.user_id, "name": ctx.user_id, "domain": DOMAIN},
            "project": {"id": ctx.project_id, "name": ctx.project_id, "domain": DOMAIN},
            "roles": [{"id": role, "name": role} for role in ctx.roles],
            "catalog": _catalog(base),
        }
    }


def _project_body(project_id: str, base: str) -> dict[str, Any]:
    return {
        "id": project_id,
        "name": project_id,
        "domain_id": DOMAIN["id"],
        "parent_id": DOMAIN["id"],
        "description": "",
        "enabled": True,
        "is_domain": False,
        "tags": [],
        "options": {},
        "links": {"self": f"{base}{PREFIX}/v3/projects/{project_id}"},
    }


# --------------------------------------------------------------------------- resources


class _Resource:
    """Base of the resources that need the caller's token."""

    def __init__(self, issuer: TokenIssuer) -> None:
        self._issuer = issuer

    def caller(self, req: falcon.Request) -> RequestContext:
        """Whom ``X-Auth-Token`` stands for; 401 without a valid one."""
        found = self._issuer.validate(req.get_header("X-Auth-Token") or "")
        if found is None:
            raise APIError(401, _UNAUTHENTICATED)
        return found


class Version:
    """``GET /identity`` and ``GET /identity/v3``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"version": _version(req.prefix)}


class Tokens(_Resource):
    """``POST`` (issue) and ``GET`` (validate) ``/identity/v3/auth/tokens``."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        auth = validation.body(req, AUTH_SCHEMA)["auth"]
        token, ctx = self._issuer.issue(auth)
        resp.status = falcon.HTTP_201
        resp.set_header("X-Subject-Token", token)
        resp.media = _token_body(ctx, req.prefix, list(auth["identity"]["methods"]))

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = self.caller(req)
        # Without X-Subject-Token a token validates itself.
        subject = req.get_header("X-Subject-Token") or req.get_header("X-Auth-Token") or ""
        found = self._issuer.validate(subject)
        if found is None:
            raise APIError(404, "Could not find token.")
        # As Keystone's default: an admin, a service, or the token's own user.
        if not ({"admin", "service"} & set(caller.roles)) and caller.user_id != found.user_id:
            raise APIError(403, "You are not authorized to validate this token.")
        resp.set_header("X-Subject-Token", subject)
        resp.media = _token_body(found, req.prefix, ["token"])


class ProjectCollection(_Resource):
    """``GET /identity/v3/projects`` (admin): ``?name=`` finds a project by name."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = self.caller(req)
        if not caller.is_admin:
            raise APIError(403, "You are not authorized to list projects.")
        params = {name: req.get_param_as_list(name) or [] for name in req.params}
        try:
            validation.validate(params, PROJECT_QUERY)
        except jsonschema.ValidationError as exc:
            raise APIError(400, f"Invalid query: {exc.message}") from None
        # Without ``name`` the one project the caller can name is its own.
        wanted = params.get("name", [caller.project_id or ""])
        found = [name for name in wanted if self._issuer.project_exists(name)]
        if DOMAIN["id"] not in params.get("domain_id", [DOMAIN["id"]]):
            found = []
        resp.media = {
            "projects": [_project_body(name, req.prefix) for name in dict.fromkeys(found)],
            "links": {"self": f"{req.prefix}{PREFIX}/v3/projects", "next": None, "previous": None},
        }


class ProjectItem(_Resource):
    """``GET /identity/v3/projects/{project_id}``: an admin's, or the caller's own."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        caller = self.caller(req)
        if not caller.is_admin and caller.project_id != project_id:
            raise APIError(403, f"You are not authorized to see project {project_id}.")
        if not self._issuer.project_exists(project_id):
            raise APIError(404, f"Could not find project: {project_id}.")
        resp.media = {"project": _project_body(project_id, req.prefix)}


def install(
    app: falcon.App[falcon.Request, falcon.Response], issuer: TokenIssuer | None = None
) -> None:
    """Add the identity routes (they authenticate by themselves, through ``issuer``)."""
    tokens: TokenIssuer = issuer if issuer is not None else NoAuthTokens()
    app.add_route(PREFIX, Version())
    app.add_route(f"{PREFIX}/v3", Version())
    app.add_route(f"{PREFIX}/v3/auth/tokens", Tokens(tokens))
    app.add_route(f"{PREFIX}/v3/projects", ProjectCollection(tokens))
    app.add_route(f"{PREFIX}/v3/projects/{{project_id}}", ProjectItem(tokens))


def standalone_app(issuer: TokenIssuer) -> falcon.App[falcon.Request, falcon.Response]:
    """An app serving only the identity API (a Keystone stand-in of its own)."""
    app: falcon.App[falcon.Request, falcon.Response] = falcon.App()
    errors.install(app)
    install(app, issuer)
    return app
