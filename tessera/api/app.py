"""The WSGI app: routes, auth, microversions and error rendering."""

from __future__ import annotations

from typing import Any

import falcon

from tessera.api import errors, flavors, identity, microversions, openapi, servers, versions
from tessera.api.auth import AuthMiddleware, NoAuthMiddleware
from tessera.api.deps import APIDeps
from tessera.policies.enforcer import Policy
from tessera.policies.middleware import PolicyMiddleware


class VersionMiddleware:
    """Negotiates the microversion and stamps it on every response."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.version = microversions.Version.parse(microversions.MIN_VERSION)
        req.context.version = microversions.requested(req)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        version = getattr(req.context, "version", None)
        if version is not None and req.path.startswith("/v2.1"):
            microversions.set_headers(resp, version)


def build_app(
    deps: APIDeps, policy: Policy | None = None, auth: AuthMiddleware | None = None
) -> falcon.App[falcon.Request, falcon.Response]:
    """The compute API over ``deps``; ``policy`` and ``auth`` come from the API's
    configuration (the defaults in code and noauth2 when None)."""
    auth = auth if auth is not None else NoAuthMiddleware()
    middleware: list[Any] = [
        VersionMiddleware(),
        auth,
        PolicyMiddleware(policy if policy is not None else Policy()),
    ]
    app = falcon.App(middleware=middleware)
    app.req_options.strip_url_path_trailing_slash = True
    errors.install(app)
    app.add_route("/", versions.Root())
    app.add_route("/v2.1", versions.V21())
    app.add_route("/v2.1/servers", servers.ServerCollection(deps))
    app.add_route("/v2.1/servers/{server_id}", servers.ServerItem(deps))
    flavors.install(app, deps, deps.max_limit)
    if auth.serves_identity:
        identity.install(app)
    openapi.install(app)
    return app
