"""``/servers/{server_id}/metadata`` and ``/servers/{server_id}/metadata/{key}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import falcon

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.schemas import server_actions as schemas
from tessera.api.server_actions import conflicts, find
from tessera.compute.actions import MetadataInvalid, MetadataLimit, ServerActions
from tessera.policies import server_metadata as policies

T = TypeVar("T")


def _limits(call: Callable[[], T]) -> T:
    """Run ``call``; malformed metadata is a 400, too much of it a 403 (as quotas are)."""
    try:
        return conflicts(call)
    except MetadataInvalid as exc:
        raise bad_request(str(exc)) from None
    except MetadataLimit as exc:
        raise APIError(403, str(exc)) from None


class MetadataCollection:
    """``GET``, ``POST`` (merge) and ``PUT`` (replace) of all of a server's metadata."""

    def __init__(self, logic: ServerActions) -> None:
        self._logic = logic

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        found = find(req, self._logic, server_id)
        request.authorize(req, policies.INDEX, found.target)
        resp.media = {"metadata": self._logic.metadata(found)}

    def on_post(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        self._write(req, resp, server_id, policies.CREATE, replace=False)

    def on_put(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        self._write(req, resp, server_id, policies.UPDATE_ALL, replace=True)

    def _write(
        self, req: falcon.Request, resp: falcon.Response, server_id: str, rule: str, replace: bool
    ) -> None:
        items = validation.body(req, schemas.METADATA)["metadata"]
        found = find(req, self._logic, server_id)
        request.authorize(req, rule, found.target)
        ctx = request.ctx(req)
        merged = _limits(lambda: self._logic.update_metadata(ctx, found, items, replace))
        resp.media = {"metadata": merged}


class MetadataItem:
    """``GET``, ``PUT`` and ``DELETE`` of one metadata key."""

    def __init__(self, logic: ServerActions) -> None:
        self._logic = logic

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: str, key: str) -> None:
        found = find(req, self._logic, server_id)
        request.authorize(req, policies.SHOW, found.target)
        metadata = self._logic.metadata(found)
        if key not in metadata:
            raise not_found("Metadata item was not found")
        resp.media = {"meta": {key: metadata[key]}}

    def on_put(self, req: falcon.Request, resp: falcon.Response, server_id: str, key: str) -> None:
        meta = validation.body(req, schemas.META_ITEM)["meta"]
        if key not in meta:
            raise bad_request("Request body and URI mismatch")
        found = find(req, self._logic, server_id)
        request.authorize(req, policies.UPDATE, found.target)
        ctx = request.ctx(req)
        _limits(lambda: self._logic.update_metadata(ctx, found, meta, replace=False))
        resp.media = {"meta": meta}

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, server_id: str, key: str
    ) -> None:
        found = find(req, self._logic, server_id)
        request.authorize(req, policies.DELETE, found.target)
        try:
            conflicts(lambda: self._logic.delete_metadata(request.ctx(req), found, key))
        except KeyError:
            raise not_found("Metadata item was not found") from None
        resp.status = falcon.HTTP_204


def install(app: falcon.App[falcon.Request, falcon.Response], deps: APIDeps) -> None:
    """Route server metadata."""
    logic = ServerActions(deps.servers.targets)
    app.add_route("/v2.1/servers/{server_id}/metadata", MetadataCollection(logic))
    app.add_route("/v2.1/servers/{server_id}/metadata/{key}", MetadataItem(logic))
