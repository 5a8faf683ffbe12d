"""``/servers``: create, show, delete."""

from __future__ import annotations

import dataclasses
import uuid as uuidlib
from collections.abc import Sequence
from typing import Any

import falcon
from oslo_utils import strutils

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.microversions import Version
from tessera.api.schemas import server_update as update_schema
from tessera.api.schemas import servers as schemas
from tessera.api.views import servers as views
from tessera.compute import server_update
from tessera.compute.api import ServerRequest, ServerView
from tessera.compute.create_quota import QuotaExceeded
from tessera.compute.server_create import ZeroDiskFlavor
from tessera.compute.server_details import BASIC, Wanted
from tessera.compute.server_group_hints import GroupFull, GroupNotFound
from tessera.context import RequestContext
from tessera.network.errors import InvalidNetworkRequest, NetworkError, NetworkNotFound
from tessera.objects.errors import InstanceNotFound
from tessera.objects.flavor import FlavorNotFound
from tessera.objects.instance import Instance
from tessera.policies import servers as policies


def _is_uuid(value: str) -> bool:
    try:
        uuidlib.UUID(value)
    except ValueError:
        return False
    return True


def _target(view: ServerView) -> dict[str, str | None]:
    """What a server's policy checks test: its owners."""
    return {"project_id": view.instance.project_id, "user_id": view.instance.user_id}


def _count(server: dict[str, Any], name: str, default: int) -> int:
    value = int(server.get(name, default))
    if value < 1:
        raise bad_request(
            f"Invalid input for field/attribute {name}. Value: {value}. "
            f"{value} is less than the minimum of 1"
        )
    return value


def _hints(data: dict[str, Any]) -> dict[str, Any]:
    """The scheduler hints under either of their two names (the first one wins)."""
    for key in ("os:scheduler_hints", "OS-SCH-HNT:scheduler_hints"):
        if key in data:
            return dict(data[key])
    return {}


def _group(hints: dict[str, Any]) -> str | None:
    """The ``group`` hint: one server group uuid, as a string or a one-item list."""
    value = hints.get("group")
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    if len(values) != 1 or not _is_uuid(str(values[0])):
        raise bad_request(
            f"Invalid input for field/attribute group. Value: {value!r}. "
            "It must be the uuid of one server group."
        )
    return str(values[0])


def _server_request(data: dict[str, Any], version: Version) -> ServerRequest:
    server = data["server"]
    min_count = _count(server, "min_count", 1)
    max_count = _count(server, "max_count", min_count)
    if min_count > max_count:
        raise bad_request("min_count must be <= max_count")
    hints = _hints(data)
    tags = tuple(server.get("tags") or ()) if version.at_least("2.52") else ()
    return ServerRequest(
        name=server["name"],
        flavor_id=str(server["flavorRef"]).rsplit("/")[-1],
        image_ref=server.get("imageRef") or None,
        min_count=min_count,
        max_count=max_count,
        availability_zone=server.get("availability_zone"),
        metadata=dict(server.get("metadata") or {}),
        key_name=server.get("key_name"),
        description=server.get("description"),
        networks=server.get("networks", "auto"),
        scheduler_hints=hints,
        group=_group(hints),
        tags=tags,
    )


def _wants_reservation_id(data: dict[str, Any]) -> bool:
    value = data["server"].get("return_reservation_id", False)
    return strutils.bool_from_string(value, strict=True) if isinstance(value, str) else bool(value)


class ServerCollection:
    """``POST /servers``."""

    def __init__(self, deps: APIDeps) -> None:
        self._deps = deps

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        version = request.version(req)
        data = validation.body(req, schemas.create(version.at_least("2.52")))
        spec = _server_request(data, version)
        caller = request.ctx(req)
        target = {
            "project_id": caller.project_id,
            "user_id": caller.user_id,
            "availability_zone": spec.availability_zone,
        }
        request.authorize(req, policies.CREATE, target)
        zero_disk = request.policy(req).check(caller, policies.CREATE_ZERO_DISK_FLAVOR, target)
        created = self._create(caller, dataclasses.replace(spec, zero_disk_allowed=zero_disk))
        resp.status = falcon.HTTP_202
        if _wants_reservation_id(data):
            resp.media = {"reservation_id": created[0].reservation_id}
            return
        resp.media = {"server": views.created(created[0], request.base_url(req))}
        resp.set_header(
            "Location", views.links(request.base_url(req), "servers", created[0].uuid)[0]["href"]
        )

    def _create(self, caller: RequestContext, spec: ServerRequest) -> list[Instance]:
        """Create; the compute layer's refusals become the reference's status codes."""
        try:
            return self._deps.servers.create(caller, spec)
        except FlavorNotFound:
            raise bad_request(f"Flavor {spec.flavor_id} could not be found.") from None
        except (InvalidNetworkRequest, NetworkNotFound, GroupNotFound) as exc:
            raise bad_request(str(exc)) from None
        except (QuotaExceeded, GroupFull, ZeroDiskFlavor) as exc:
            raise APIError(403, str(exc)) from None
        except NetworkError as exc:  # no addresses left, or too much contention
            raise APIError(409, str(exc)) from None


class ServerItem:
    """``GET``, ``PUT`` and ``DELETE /servers/{server_id}``."""

    def __init__(self, deps: APIDeps) -> None:
        self._deps = deps

    def _uuid(self, server_id: str) -> str:
        if not _is_uuid(server_id):
            raise not_found(f"Instance {server_id} could not be found.")
        return server_id

    def _view(
        self,
        req: falcon.Request,
        server_id: str,
        wanted: Wanted = BASIC,
        *,
        partial: bool = False,
    ) -> ServerView:
        # Looked up before any policy check: the server API answers 404 for another
        # project's server, so a 403 can never reveal that it exists.
        try:
            return self._deps.servers.get(
                request.ctx(req), self._uuid(server_id), wanted, partial_if_cell_down=partial
            )
        except InstanceNotFound as exc:
            raise not_found(str(exc)) from None

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        version = request.version(req)
        # Only admins see other projects' servers, so the caller's own project is the
        # target to tell which optional parts (host status) its answer will show.
        ctx = request.ctx(req)
        seen = views.visible(request.policy(req), ctx, {"project_id": ctx.project_id})
        wanted = views.wanted(version, views.Kind.SHOW, seen)
        # From 2.69 a server whose cell is down is shown as far as the API database knows it.
        view = self._view(req, server_id, wanted, partial=version.at_least("2.69"))
        request.authorize(req, policies.SHOW, _target(view))
        resp.media = {"server": _server_body(req, view, views.Kind.SHOW)}

    def on_put(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        version = request.version(req)
        data = validation.body(req, update_schema.for_version(version))
        changes = update_schema.changes(data["server"])
        view = self._view(req, server_id)
        request.authorize(req, policies.UPDATE, _target(view))
        ctx = request.ctx(req)
        try:
            server_update.update(self._deps.servers.targets, ctx, view.instance.uuid, changes)
        except InstanceNotFound as exc:
            raise not_found(str(exc)) from None
        except server_update.UpdateConflict as exc:
            raise APIError(409, str(exc)) from None
        view = self._view(req, server_id, views.wanted(version, views.Kind.UPDATE))
        resp.media = {"server": _server_body(req, view, views.Kind.UPDATE)}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        request.authorize(req, policies.DELETE, _target(self._view(req, server_id)))
        try:
            self._deps.servers.delete(request.ctx(req), self._uuid(server_id))
        except InstanceNotFound as exc:
            raise not_found(str(exc)) from None
        resp.status = falcon.HTTP_204


def _server_body(req: falcon.Request, view: ServerView, kind: views.Kind) -> dict[str, Any]:
    """One server's body, with what policy lets the caller see of it."""
    seen = views.visible(
        request.policy(req), request.ctx(req), {"project_id": view.instance.project_id}
    )
    return views.server(view, request.version(req), request.base_url(req), seen, kind)


def detail_bodies(
    req: falcon.Request, deps: APIDeps, page: Sequence[ServerView]
) -> list[dict[str, Any]]:
    """``GET /servers/detail`` entries of a page: policy checked once, parts read in batches."""
    ctx, version = request.ctx(req), request.version(req)
    # As the reference does for lists, the rules are checked against the caller's project.
    seen = views.visible(request.policy(req), ctx, {"project_id": ctx.project_id})
    complete = deps.servers.details(page, views.wanted(version, views.Kind.DETAIL, seen))
    base = request.base_url(req)
    return [views.server(view, version, base, seen, views.Kind.DETAIL) for view in complete]
