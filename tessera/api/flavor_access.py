"""Who may use a private flavor: ``GET /flavors/{flavor_id}/os-flavor-access`` and the
``addTenantAccess`` / ``removeTenantAccess`` actions of ``POST /flavors/{flavor_id}/action``.

A public flavor has no access list: listing it is "not found", and from
microversion 2.7 adding a project to it is a conflict.
"""

from __future__ import annotations

from typing import Any

import falcon
import jsonschema
import sqlalchemy as sa

from tessera.api import request, validation
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.flavors import find, own
from tessera.api.schemas import flavors as schemas
from tessera.api.views import flavors as views
from tessera.objects import flavor
from tessera.objects.flavor import FlavorAccessExists, FlavorAccessNotFound, FlavorNotFound
from tessera.policies import flavors as rules


def _check(data: Any, schema: dict[str, Any]) -> None:
    """400 in the same words as a body that fails its schema."""
    try:
        validation.validate(data, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        raise bad_request(
            f"Invalid input for field/attribute {where or 'body'}. "
            f"Value: {exc.instance!r}. {exc.message}"
        ) from None


class FlavorAccess:
    """``GET /flavors/{flavor_id}/os-flavor-access``: the projects of a private flavor."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def on_get(self, req: falcon.Request, resp: falcon.Response, flavor_id: str) -> None:
        request.authorize(req, rules.ACCESS_LIST, own(request.ctx(req)))
        with self._engine.connect() as conn:
            size = find(conn, req, flavor_id)
            if size.is_public:
                raise not_found("Access list not available for public flavors.")
            projects = flavor.projects(conn, size)
        resp.media = views.access_list(size.flavorid, projects)


class FlavorAction:
    """``POST /flavors/{flavor_id}/action``: dispatches on the body's single key."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def on_post(self, req: falcon.Request, resp: falcon.Response, flavor_id: str) -> None:
        body = validation.body(req, schemas.ACTION)
        name = next(iter(body))
        if name == "addTenantAccess":
            _check(body, schemas.ADD_TENANT_ACCESS)
            request.authorize(req, rules.ACCESS_ADD, {})
        elif name == "removeTenantAccess":
            _check(body, schemas.REMOVE_TENANT_ACCESS)
            request.authorize(req, rules.ACCESS_REMOVE, {})
        else:
            raise bad_request(f"There is no such action: {name}")
        adding = name == "addTenantAccess"
        resp.media = self._change(req, flavor_id, body[name]["tenant"], adding)

    def _change(
        self, req: falcon.Request, flavor_id: str, project_id: str, adding: bool
    ) -> dict[str, Any]:
        try:
            with self._engine.begin() as conn:
                size = find(conn, req, flavor_id)
                if not adding:
                    flavor.remove_project(conn, size, project_id)
                elif size.is_public and request.version(req).at_least("2.7"):
                    raise APIError(409, "Can not add access to a public flavor.")
                else:
                    flavor.add_project(conn, size, project_id)
                return views.access_list(size.flavorid, flavor.projects(conn, size))
        except FlavorAccessExists as exc:
            raise APIError(409, str(exc)) from None
        except (FlavorAccessNotFound, FlavorNotFound) as exc:
            raise not_found(str(exc)) from None


def install(app: falcon.App[falcon.Request, falcon.Response], engine: sa.Engine) -> None:
    """Add the access list and action routes."""
    app.add_route("/v2.1/flavors/{flavor_id}/os-flavor-access", FlavorAccess(engine))
    app.add_route("/v2.1/flavors/{flavor_id}/action", FlavorAction(engine))
