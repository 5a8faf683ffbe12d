"""``/os-server-groups``: create, list, show and delete server groups.

A group is visible to its own project (and to admins); any other project is
told it does not exist, so group ids of other projects cannot be probed.
"""

from __future__ import annotations

import falcon
import sqlalchemy as sa

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.schemas import server_groups as schemas
from tessera.api.views import server_groups as views
from tessera.objects import quota, server_group
from tessera.objects.server_group import ServerGroup, ServerGroupNotFound
from tessera.policies import server_groups as rules

MAX_OFFSET = validation.INT64_MAX
"""The largest offset every database takes; no listing is that long, so its page is empty."""


def _int_param(req: falcon.Request, name: str, minimum: int, ceiling: int) -> int | None:
    """Query parameter ``name``: an integer >= ``minimum``; larger than ``ceiling`` is
    ``ceiling`` (the reference caps and slices, so a huge number is no error)."""
    raw = req.get_param(name)
    if raw is None:
        return None
    refusal = f"Invalid input for query parameter {name}: must be an integer >= {minimum}."
    value = validation.query_int(raw, ceiling)
    if value is None or value < minimum:
        raise bad_request(refusal)
    return value


def _truthy(raw: str | None) -> bool:
    return raw is not None and raw.strip().lower() in ("1", "true", "yes", "on", "t", "y", "")


class ServerGroupCollection:
    """``GET`` (list) and ``POST`` (create) ``/os-server-groups``."""

    def __init__(self, engine: sa.Engine, max_limit: int) -> None:
        self._engine = engine
        self._max_limit = max_limit

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        ctx = request.ctx(req)
        request.authorize(req, rules.INDEX, {"project_id": ctx.project_id})
        project: str | None = ctx.project_id
        if _truthy(req.get_param("all_projects")):
            request.authorize(req, rules.INDEX_ALL_PROJECTS, {"project_id": ctx.project_id})
            project = None
        # No limit, or a larger one, is a page of ``[api] max_limit`` as in the reference.
        limit = _int_param(req, "limit", 1, self._max_limit) or self._max_limit
        offset = _int_param(req, "offset", 0, MAX_OFFSET) or 0
        with self._engine.connect() as conn:
            found = server_group.get_all(conn, project, limit, offset)
        version = request.version(req)
        resp.media = {"server_groups": [views.server_group(g, version) for g in found]}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        ctx = request.ctx(req)
        version = request.version(req)
        request.authorize(req, rules.CREATE, {"project_id": ctx.project_id})
        if version.at_least("2.64"):
            spec = validation.body(req, schemas.CREATE_V264)["server_group"]
            policy, group_rules = spec["policy"], spec.get("rules", {})
            if group_rules and policy != "anti-affinity":
                raise bad_request(f"Only anti-affinity policy supports rules, not {policy}.")
        else:
            spec = validation.body(req, schemas.CREATE)["server_group"]
            policy, group_rules = spec["policies"][0], {}
        project = ctx.project_id or ""
        with self._engine.begin() as conn:
            limit = quota.limits(conn, project)["server_groups"]
            if limit != quota.UNLIMITED and quota.server_group_count(conn, project) >= limit:
                raise APIError(403, "Quota exceeded, too many server groups.")
            created = server_group.create(
                conn, project, ctx.user_id or "", spec["name"], policy, group_rules
            )
        resp.media = {"server_group": views.server_group(created, version)}


class ServerGroupItem:
    """``GET`` and ``DELETE /os-server-groups/{group_id}``."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def _visible(
        self, req: falcon.Request, conn: sa.Connection, group_id: str, rule: str
    ) -> ServerGroup:
        try:
            group: ServerGroup = server_group.get(conn, group_id)
        except ServerGroupNotFound as exc:
            raise not_found(str(exc)) from None
        # Denied on the group's own project reads as absent: it is another project's.
        if not request.policy(req).check(request.ctx(req), rule, {"project_id": group.project_id}):
            raise not_found(str(ServerGroupNotFound(group_id)))
        return group

    def on_get(self, req: falcon.Request, resp: falcon.Response, group_id: str) -> None:
        request.authorize(req, rules.SHOW, {"project_id": request.ctx(req).project_id})
        with self._engine.connect() as conn:
            group = self._visible(req, conn, group_id, rules.SHOW)
        resp.media = {"server_group": views.server_group(group, request.version(req))}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, group_id: str) -> None:
        request.authorize(req, rules.DELETE, {"project_id": request.ctx(req).project_id})
        with self._engine.begin() as conn:
            self._visible(req, conn, group_id, rules.DELETE)
            server_group.delete(conn, group_id)
        resp.status = falcon.HTTP_204


def install(app: falcon.App[falcon.Request, falcon.Response], deps: APIDeps) -> None:
    """Add the ``/os-server-groups`` routes."""
    app.add_route("/v2.1/os-server-groups", ServerGroupCollection(deps.api_engine, deps.max_limit))
    app.add_route("/v2.1/os-server-groups/{group_id}", ServerGroupItem(deps.api_engine))
