"""``GET /servers`` and ``GET /servers/detail``: one page across cells.

:func:`install` adds both routes to an app built by
:func:`tessera.api.app.build_app`; ``POST /servers`` keeps its handler.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

import falcon

from tessera.api import request, servers
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError
from tessera.api.microversions import Version
from tessera.api.schemas import server_list as schema
from tessera.api.schemas.query import Params
from tessera.api.views import servers as views
from tessera.compute.api import ServerView
from tessera.compute.list_query import (
    InvalidListQuery,
    ListError,
    ListForbidden,
    ListQuery,
    MarkerCellDown,
)
from tessera.compute.multi_cell_list import PartialServer, ServerLister, ServerPage
from tessera.context import RequestContext
from tessera.policies import servers as policies

LOG = logging.getLogger(__name__)

COLLECTION = "/v2.1/servers"
DETAIL = "/v2.1/servers/detail"


def install(
    app: falcon.App[falcon.Request, falcon.Response], deps: APIDeps, lister: ServerLister
) -> None:
    """Add ``GET /servers`` and ``GET /servers/detail``; other methods keep their handlers."""
    listing = ServerList(deps, lister, detail=False)
    previous = _resource_at(app, COLLECTION)
    app.add_route(COLLECTION, listing if previous is None else _Combined(listing, previous))
    app.add_route(DETAIL, ServerList(deps, lister, detail=True))


def _resource_at(app: falcon.App[falcon.Request, falcon.Response], path: str) -> object | None:
    # Falcon replaces a route wholesale; keep the resource already there (POST /servers).
    found = app._router.find(path)
    return None if found is None else found[0]


class _Combined:
    """The listing's GET in front of the resource previously routed (POST /servers)."""

    def __init__(self, listing: ServerList, previous: object) -> None:
        self._listing = listing
        self._previous = previous

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._listing.on_get(req, resp)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        responder = getattr(self._previous, "on_post", None)
        if responder is None:
            raise falcon.HTTPMethodNotAllowed(["GET"])
        responder(req, resp)


class ServerList:
    """``GET /servers`` (``detail=False``) or ``GET /servers/detail``."""

    def __init__(self, deps: APIDeps, lister: ServerLister, detail: bool) -> None:
        self._deps = deps
        self._lister = lister
        self._detail = detail

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        ctx, version = request.ctx(req), request.version(req)
        request.authorize(req, self._rule(policies.DETAIL, policies.INDEX), _own(ctx))
        pairs = parse_qsl(req.query_string, keep_blank_values=True)
        query = self._query(req, version, pairs)
        page = self._page(_lister_ctx(ctx, query), query)
        if page.down_cells:
            LOG.warning(
                "Servers of cells %s left out of a listing: %s",
                ", ".join(d.uuid for d in page.down_cells),
                "; ".join(d.reason for d in page.down_cells),
            )
        resp.media = self._body(req, ctx, version, page, pairs)

    def _rule(self, detail: str, index: str) -> str:
        return detail if self._detail else index

    def _query(
        self, req: falcon.Request, version: Version, pairs: Sequence[tuple[str, str]]
    ) -> ListQuery:
        ctx = request.ctx(req)
        params: Params = {}
        for name, value in pairs:
            params.setdefault(name, []).append(value)
        schema.validate(params, version)
        every_filter = request.policy(req).check(ctx, policies.ALLOW_ALL_FILTERS, _own(ctx))
        usable = schema.usable(params, version, every_filter)
        query = schema.parse(usable, version, ctx)
        if query.all_tenants:
            rule = self._rule(policies.DETAIL_ALL_TENANTS, policies.INDEX_ALL_TENANTS)
            request.authorize(req, rule, _own(ctx))
        if down_cell_support(version, pairs, usable):
            return dataclasses.replace(query, partial_down_cells=True)
        return query

    def _page(self, ctx: RequestContext, query: ListQuery) -> ServerPage:
        try:
            return self._lister.page(ctx, query)
        except InvalidListQuery as exc:
            raise APIError(400, str(exc)) from None
        except ListForbidden as exc:
            raise APIError(403, str(exc)) from None
        except MarkerCellDown as exc:
            raise APIError(500, str(exc)) from None
        except ListError as exc:
            raise APIError(400, str(exc)) from None

    def _body(
        self,
        req: falcon.Request,
        ctx: RequestContext,
        version: Version,
        page: ServerPage,
        pairs: Sequence[tuple[str, str]],
    ) -> dict[str, Any]:
        base = request.base_url(req)
        partial = [self._partial(p, base) for p in page.partial]
        if self._detail:
            full = servers.detail_bodies(req, self._deps, page.views)
        else:
            full = [self._brief(view, base) for view in page.views]
        body: dict[str, Any] = {"servers": partial + full}
        if page.next_marker is not None:
            body["servers_links"] = [
                {"rel": "next", "href": self._next(base, pairs, page.next_marker)}
            ]
        return body

    @staticmethod
    def _brief(view: ServerView, base: str) -> dict[str, Any]:
        record = view.instance
        return {
            "id": record.uuid,
            "name": record.display_name,
            "links": views.links(base, "servers", record.uuid),
        }

    def _partial(self, server: PartialServer, base: str) -> dict[str, Any]:
        body: dict[str, Any] = {"id": server.uuid, "status": "UNKNOWN"}
        if self._detail:
            body["tenant_id"] = server.project_id
            body["created"] = _time(server)
        body["links"] = views.links(base, "servers", server.uuid)
        return body

    def _next(self, base: str, pairs: Sequence[tuple[str, str]], marker: str) -> str:
        kept = [(k, v) for k, v in pairs if k != "marker"]
        path = "servers/detail" if self._detail else "servers"
        return f"{base}/{path}?{urlencode([*kept, ('marker', marker)])}"


def _own(ctx: RequestContext) -> dict[str, str | None]:
    """The policy target of a listing: the caller's own project."""
    return {"project_id": ctx.project_id, "user_id": ctx.user_id}


def _lister_ctx(ctx: RequestContext, query: ListQuery) -> RequestContext:
    # Policy has allowed every project's servers (the rule may grant it to more than
    # admins); the lister scopes by the context, as the reference elevates it too.
    return ctx.elevated() if query.all_tenants and not ctx.is_admin else ctx


def _time(server: PartialServer) -> str | None:
    created = server.created_at
    return None if created is None else created.replace(microsecond=0).isoformat() + "Z"


def down_cell_support(version: Version, pairs: Sequence[tuple[str, str]], usable: Params) -> bool:
    """Whether minimal records stand in for a down cell's servers (2.69).

    Only for a plain listing: no paging or sort parameter in the raw query,
    and no filter but ``all_tenants`` among those that take effect.
    """
    if not version.at_least("2.69"):
        return False
    if any(name in schema.PAGING_PARAMS for name, _ in pairs):
        return False
    return set(usable) <= {"all_tenants"}
