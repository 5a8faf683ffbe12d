"""``/servers/{server_id}/tags`` and ``/servers/{server_id}/tags/{tag}`` (2.26 and later).

Another project's server is "not found", never "forbidden". Tags change only
while the server is active, paused, suspended or stopped (409 otherwise).
"""

from __future__ import annotations

import json
import uuid as uuidlib
from collections.abc import Callable
from typing import TypeVar

import falcon
import jsonschema

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.schemas import server_tags as schemas
from tessera.compute.actions import InstanceInvalidState
from tessera.compute.server_tags import ServerTags, TaggedServer, TagNotFound
from tessera.objects.errors import InstanceNotFound
from tessera.objects.tag import TagLimitExceeded
from tessera.policies import server_tags as policies

T = TypeVar("T")
MIN_VERSION = "2.26"


def _outcome(call: Callable[[], T]) -> T:
    """Run ``call``; the logic's refusals become the reference's status codes."""
    try:
        return call()
    except InstanceInvalidState as exc:
        raise APIError(409, str(exc)) from None
    except (InstanceNotFound, TagNotFound) as exc:
        raise not_found(str(exc)) from None
    except TagLimitExceeded as exc:
        raise bad_request(str(exc)) from None


class _Base:
    def __init__(self, logic: ServerTags) -> None:
        self._logic = logic

    def _find(self, req: falcon.Request, server_id: str, rule: str) -> TaggedServer:
        """The caller's server (404 before 2.26 or for another project's), authorized."""
        if not request.version(req).at_least(MIN_VERSION):
            raise not_found("The resource could not be found.")
        try:
            uuidlib.UUID(server_id)
            found = self._logic.find(request.ctx(req), server_id)
        except (ValueError, InstanceNotFound):
            raise not_found(f"Instance {server_id} could not be found.") from None
        request.authorize(req, rule, found.target)
        return found


class TagCollection(_Base):
    """``GET`` (list), ``PUT`` (replace all) and ``DELETE`` (remove all)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        found = self._find(req, server_id, policies.INDEX)
        ctx = request.ctx(req)
        resp.media = {"tags": _outcome(lambda: self._logic.tags(ctx, found))}

    def on_put(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        found = self._find(req, server_id, policies.UPDATE_ALL)
        wanted = validation.body(req, schemas.UPDATE_ALL)["tags"]
        resp.media = {"tags": _outcome(lambda: self._logic.replace(found, wanted))}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        found = self._find(req, server_id, policies.DELETE_ALL)
        _outcome(lambda: self._logic.remove_all(found))
        resp.status = falcon.HTTP_204


class TagItem(_Base):
    """``GET`` (check), ``PUT`` (add) and ``DELETE`` (remove) of one tag."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: str, tag: str) -> None:
        found = self._find(req, server_id, policies.SHOW)
        if not _outcome(lambda: self._logic.has(request.ctx(req), found, tag)):
            raise not_found(f"Server {server_id} has no tag '{tag}'")
        resp.status = falcon.HTTP_204

    def on_put(self, req: falcon.Request, resp: falcon.Response, server_id: str, tag: str) -> None:
        found = self._find(req, server_id, policies.UPDATE)
        _no_body(req)
        _valid(tag)
        added = _outcome(lambda: self._logic.add(found, tag))
        if not added:
            resp.status = falcon.HTTP_204
            return
        resp.status = falcon.HTTP_201
        resp.set_header("Location", f"{request.base_url(req)}/servers/{server_id}/tags/{tag}")

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, server_id: str, tag: str
    ) -> None:
        found = self._find(req, server_id, policies.DELETE)
        _outcome(lambda: self._logic.remove(found, tag))
        resp.status = falcon.HTTP_204


def _no_body(req: falcon.Request) -> None:
    """``PUT .../tags/{tag}`` takes no body (JSON ``null`` at most)."""
    raw = req.bounded_stream.read(validation.MAX_BODY + 1).strip()
    if not raw:
        return
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        # RecursionError: nesting deeper than the decoder follows.
        raise APIError(400, "Malformed request body") from None
    if value is not None:
        # The text as sent, cut short: the value may be a megabyte, or too deep to repr().
        shown = raw[: validation.SHOWN].decode(errors="replace")
        if len(raw) > validation.SHOWN:
            shown += "..."
        raise bad_request(
            f"Invalid input for field/attribute body. Value: {shown}. No body is expected."
        )


def _valid(tag: str) -> None:
    try:
        validation.validate(tag, schemas.TAG)
    except jsonschema.ValidationError as exc:
        raise bad_request(
            f"Tag '{tag}' is invalid. It must be a non empty string without characters "
            f"'/' and ','. Validation error message: {exc.message}"
        ) from None


def install(app: falcon.App[falcon.Request, falcon.Response], deps: APIDeps) -> None:
    """Route server tags."""
    logic = ServerTags(deps.servers.targets)
    app.add_route("/v2.1/servers/{server_id}/tags", TagCollection(logic))
    app.add_route("/v2.1/servers/{server_id}/tags/{tag}", TagItem(logic))
