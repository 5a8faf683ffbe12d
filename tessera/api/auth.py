"""Who is calling: ``[api] auth_strategy`` ``noauth2`` or ``keystone``.

- ``noauth2``: a token ``user:project`` (or ``user``) is trusted; user ``admin``
  is admin. The built-in identity service (:mod:`tessera.api.identity`) hands
  such tokens out to password clients.
- ``keystone``: keystonemiddleware's ``auth_token`` validates ``X-Auth-Token``
  against the Keystone named in ``[keystone_authtoken]``; the caller is read from
  the headers it sets (``X-User-Id``, ``X-Project-Id``, ``X-Roles``). It runs as
  WSGI middleware called from a Falcon middleware, so that its refusals are
  rendered in the compute API's error form like every other error.

Both put a :class:`RequestContext` on ``req.context.ctx``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn, Protocol

import falcon
from oslo_config import cfg

from tessera.api.errors import APIError
from tessera.context import RequestContext

UNAUTHENTICATED_PATHS = ("/", "/v2.1", "/v2.1/", "/v2.1/openapi.json", "/network", "/network/")
# Services that authenticate requests themselves (version documents, token issue).
SELF_AUTHENTICATED_PREFIXES = ("/identity", "/image")
# Under keystone the image API's documents stay public; its other calls are checked here.
IMAGE_VERSION_PATHS = ("/image", "/image/", "/image/versions")
_UNAUTHENTICATED = "The request you have made requires authentication."
_REACHED = "tessera.auth.reached"


class AuthMiddleware(Protocol):
    """A Falcon middleware that sets ``req.context.ctx``."""

    serves_identity: bool
    """Whether the app serves the built-in identity API (only without a real Keystone)."""

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        params: dict[str, object],
    ) -> None:
        """Authenticate the request or raise a 401 APIError."""


def context_from_token(token: str, request_id: str | None = None) -> RequestContext:
    """The request context a noauth2 token stands for."""
    user, _, project = token.partition(":")
    project = project or user
    is_admin = user == "admin"
    roles = ("admin", "member", "reader") if is_admin else ("member", "reader")
    ctx = RequestContext(user_id=user, project_id=project, is_admin=is_admin, roles=roles)
    return (
        ctx if request_id is None else RequestContext(**{**ctx.__dict__, "request_id": request_id})
    )


class NoAuthMiddleware:
    """Puts a RequestContext on ``req.context.ctx`` from ``X-Auth-Token``."""

    serves_identity = True

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        params: dict[str, object],
    ) -> None:
        if req.path in UNAUTHENTICATED_PATHS or req.path.startswith(SELF_AUTHENTICATED_PREFIXES):
            return
        token = req.get_header("X-Auth-Token")
        if not token:
            raise APIError(401, "Authentication required")
        req.context.ctx = context_from_token(token)


def context_from_headers(get: Callable[[str], str | None]) -> RequestContext:
    """The caller as keystonemiddleware describes it in request headers.

    ``get`` reads a header by name. Admin is the ``admin`` role, as in the
    default ``context_is_admin`` rule.
    """
    roles = tuple(role.strip() for role in (get("X-Roles") or "").split(",") if role.strip())
    return RequestContext(
        user_id=get("X-User-Id"),
        project_id=get("X-Project-Id"),
        is_admin="admin" in {role.lower() for role in roles},
        roles=roles,
    )


def _reached(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The app behind auth_token: only notes that the request got through."""
    environ[_REACHED] = True
    start_response("204 No Content", [])
    return []


class KeystoneAuthMiddleware:
    """Validates tokens with keystonemiddleware's ``auth_token`` (``[keystone_authtoken]``)."""

    serves_identity = False

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        # Imported here: only deployments with a Keystone pay for loading it.
        from keystonemiddleware import auth_token  # type: ignore[import-untyped]

        self._protocol = auth_token.AuthProtocol(_reached, {"oslo_config_config": conf})

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        params: dict[str, object],
    ) -> None:
        if req.path in UNAUTHENTICATED_PATHS or req.path in IMAGE_VERSION_PATHS:
            return
        refused = self._run(req.env)
        if refused is not None:
            status, headers = refused
            self._refuse(resp, status, headers)
        # auth_token removed any such headers the client sent before setting its own.
        if req.env.get("HTTP_X_IDENTITY_STATUS") != "Confirmed":  # delay_auth_decision
            self._refuse(resp, 401, {})
        req.context.ctx = context_from_headers(req.get_header)

    def _run(self, environ: dict[str, Any]) -> tuple[int, Mapping[str, str]] | None:
        """Pass the request through auth_token: None if it got through, else its answer."""
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            answer["status"], answer["headers"] = status, headers
            return lambda data: None

        for _ in self._protocol(environ, start_response):
            pass  # auth_token's own error body: ours is rendered instead
        if environ.pop(_REACHED, False):
            return None
        return int(str(answer.get("status", "401")).split()[0]), dict(answer.get("headers", []))

    def _refuse(self, resp: falcon.Response, status: int, headers: Mapping[str, str]) -> NoReturn:
        if status == 401:
            uri = headers.get("WWW-Authenticate") or (
                f'Keystone uri="{self._protocol.www_authenticate_uri}"'
            )
            resp.set_header("WWW-Authenticate", uri)
            raise APIError(401, _UNAUTHENTICATED)
        if status == 503:
            raise APIError(503, "The identity service is temporarily unavailable.")
        raise APIError(status, "Authentication failed.")


def middleware(conf: cfg.ConfigOpts) -> AuthMiddleware:
    """The auth middleware ``[api] auth_strategy`` names."""
    if conf.api.auth_strategy == "keystone":
        return KeystoneAuthMiddleware(conf)
    return NoAuthMiddleware()
