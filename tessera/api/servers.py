"""``/servers``: create, show, delete."""

from __future__ import annotations

import uuid as uuidlib

import falcon

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.schemas import servers as schemas
from tessera.api.views import servers as views
from tessera.compute.api import ServerRequest, ServerView
from tessera.network.errors import InvalidNetworkRequest, NetworkError, NetworkNotFound
from tessera.objects.errors import InstanceNotFound
from tessera.objects.flavor import FlavorNotFound
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


def _server_request(data: dict[str, object]) -> ServerRequest:
    server = data["server"]
    assert isinstance(server, dict)
    min_count, max_count = int(server.get("min_count", 1)), int(server.get("max_count", 1))
    if min_count > max_count:
        raise bad_request("min_count must be <= max_count")
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
    )


class ServerCollection:
    """``POST /servers``."""

    def __init__(self, deps: APIDeps) -> None:
        self._deps = deps

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        spec = _server_request(validation.body(req, schemas.CREATE))
        caller = request.ctx(req)
        target = {
            "project_id": caller.project_id,
            "user_id": caller.user_id,
            "availability_zone": spec.availability_zone,
        }
        request.authorize(req, policies.CREATE, target)
        try:
            created = self._deps.servers.create(caller, spec)
        except FlavorNotFound:
            raise bad_request(f"Flavor {spec.flavor_id} could not be found.") from None
        except (InvalidNetworkRequest, NetworkNotFound) as exc:
            raise bad_request(str(exc)) from None
        except NetworkError as exc:  # no addresses left, or too much contention
            raise APIError(409, str(exc)) from None
        resp.status = falcon.HTTP_202
        resp.media = {"server": views.created(created[0], request.base_url(req))}
        resp.set_header(
            "Location", views.links(request.base_url(req), "servers", created[0].uuid)[0]["href"]
        )


class ServerItem:
    """``GET`` and ``DELETE /servers/{server_id}``."""

    def __init__(self, deps: APIDeps) -> None:
        self._deps = deps

    def _uuid(self, server_id: str) -> str:
        if not _is_uuid(server_id):
            raise not_found(f"Instance {server_id} could not be found.")
        return server_id

    def _view(self, req: falcon.Request, server_id: str) -> ServerView:
        # Looked up before any policy check: the server API answers 404 for another
        # project's server, so a 403 can never reveal that it exists.
        try:
            return self._deps.servers.get(request.ctx(req), self._uuid(server_id))
        except InstanceNotFound as exc:
            raise not_found(str(exc)) from None

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        view = self._view(req, server_id)
        request.authorize(req, policies.SHOW, _target(view))
        resp.media = {
            "server": views.show(
                request.ctx(req), view, request.version(req), request.base_url(req)
            )
        }

    def on_delete(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        request.authorize(req, policies.DELETE, _target(self._view(req, server_id)))
        try:
            self._deps.servers.delete(request.ctx(req), self._uuid(server_id))
        except InstanceNotFound as exc:
            raise not_found(str(exc)) from None
        resp.status = falcon.HTTP_204
