"""noauth2: a token ``user:project`` (or ``user``) is trusted; user ``admin`` is admin."""

from __future__ import annotations

import falcon

from tessera.api.errors import APIError
from tessera.context import RequestContext

UNAUTHENTICATED_PATHS = ("/", "/v2.1", "/v2.1/", "/network", "/network/")
# Services that authenticate requests themselves (version documents, token issue).
SELF_AUTHENTICATED_PREFIXES = ("/identity", "/image")


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
