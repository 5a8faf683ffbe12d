"""``POST /servers/{server_id}/action``: stop, start, reboot, lock, unlock, createImage,
forceDelete.

``restore`` is not offered: a delete here is immediate (there is no soft delete
and no reclaim interval), so no server can ever be in the state it restores from.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from typing import Any, TypeVar

import falcon
import jsonschema
from sqlalchemy import exc as sa_exc

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.schemas import server_actions as schemas
from tessera.compute.actions import (
    MAX_METADATA_ITEMS,
    InstanceInvalidState,
    InstanceLocked,
    InstanceNotReady,
    Located,
    ServerActions,
)
from tessera.compute.api import ServerAPI
from tessera.db.errors import DatabaseUnreachable
from tessera.image.client import ImageClient
from tessera.image.errors import ImageBadRequest, ImageError, ImageForbidden
from tessera.objects.errors import InstanceNotFound
from tessera.policies import server_actions as action_policies
from tessera.policies import servers as server_policies

T = TypeVar("T")
Handler = Callable[[falcon.Request, falcon.Response, Located, Any], None]
# A database that does not answer (connecting, or on the way).
UNREACHABLE = (DatabaseUnreachable, sa_exc.OperationalError, sa_exc.InterfaceError)
# Where the API serves the image API (see ``tessera.image.install``).
IMAGES_PATH = "/image/v2/images"


def check(data: Any, schema: dict[str, Any]) -> None:
    """400 unless ``data`` (a part of the body) matches ``schema``."""
    try:
        validation.validate(data, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "body"
        reason = exc.message
        if exc.validator == "pattern" and exc.validator_value == schemas.NAME["pattern"]:
            reason = "A name may not begin or end with white space nor hold control characters."
        raise bad_request(
            f"Invalid input for field/attribute {where}. Value: {exc.instance!r}. {reason}"
        ) from None


def find(req: falcon.Request, logic: ServerActions, server_id: str) -> Located:
    """The caller's server, or 404 (also for another project's: existence is not revealed)."""
    try:
        uuidlib.UUID(server_id)
        return logic.locate(request.ctx(req), server_id)
    except (ValueError, InstanceNotFound):
        raise not_found(f"Instance {server_id} could not be found.") from None
    except InstanceNotReady as exc:
        raise APIError(409, f"Instance {server_id} is not ready yet: {exc}") from None
    except UNREACHABLE:
        # A cell (or the API database) that cannot be reached: try again later, not a bug.
        raise APIError(503, f"Instance {server_id} cannot be reached now.") from None


def conflicts(call: Callable[[], T]) -> T:
    """Run ``call``; the state and lock errors of the logic become 409s."""
    try:
        return call()
    except (InstanceInvalidState, InstanceLocked) as exc:
        raise APIError(409, str(exc)) from None
    except InstanceNotFound as exc:  # deleted while we looked
        raise not_found(str(exc)) from None


def image_errors(call: Callable[[], T]) -> T:
    """Run ``call``; errors of the image service become the compute API's."""
    try:
        return call()
    except (ImageBadRequest, ImageForbidden) as exc:
        raise APIError(exc.status, exc.message) from None
    except ImageError as exc:
        raise APIError(503, f"The image service failed: {exc.message}") from None


class ServerAction:
    """Dispatches on the body's single key to one small handler per action."""

    def __init__(self, logic: ServerActions, servers: ServerAPI | None = None) -> None:
        self._logic = logic
        self._servers = servers
        self._handlers: dict[str, Handler] = {
            "os-stop": self._stop,
            "os-start": self._start,
            "reboot": self._reboot,
            "lock": self._lock,
            "unlock": self._unlock,
            "createImage": self._create_image,
        }

    def on_post(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        body = validation.body(req, schemas.ACTION)
        name, args = next(iter(body.items()))
        resp.status = falcon.HTTP_202
        if name == "forceDelete" and self._servers is not None:
            self._force_delete(req, server_id, args)
            return
        handler = self._handlers.get(name)
        if handler is None:
            raise bad_request(f"There is no such action: {name}")
        found = find(req, self._logic, server_id)
        handler(req, resp, found, args)

    def _stop(self, req: falcon.Request, resp: falcon.Response, found: Located, args: Any) -> None:
        check(args, schemas.NO_ARGS)
        request.authorize(req, server_policies.STOP, found.target)
        conflicts(lambda: self._logic.stop(request.ctx(req), found))

    def _start(self, req: falcon.Request, resp: falcon.Response, found: Located, args: Any) -> None:
        check(args, schemas.NO_ARGS)
        request.authorize(req, server_policies.START, found.target)
        conflicts(lambda: self._logic.start(request.ctx(req), found))

    def _reboot(
        self, req: falcon.Request, resp: falcon.Response, found: Located, args: Any
    ) -> None:
        check(args, schemas.REBOOT)
        request.authorize(req, server_policies.REBOOT, found.target)
        hard = str(args["type"]).upper() == "HARD"
        conflicts(lambda: self._logic.reboot(request.ctx(req), found, hard))

    def _lock(self, req: falcon.Request, resp: falcon.Response, found: Located, args: Any) -> None:
        # Before 2.73 the body carries no arguments; from 2.73 a reason may be given.
        at_273 = request.version(req).at_least("2.73")
        check(args, schemas.LOCK_273 if at_273 else schemas.NO_ARGS)
        request.authorize(req, action_policies.LOCK, found.target)
        reason = (args or {}).get("locked_reason") if at_273 else None
        self._logic.lock(request.ctx(req), found, reason)

    def _unlock(
        self, req: falcon.Request, resp: falcon.Response, found: Located, args: Any
    ) -> None:
        check(args, schemas.NO_ARGS)
        request.authorize(req, action_policies.UNLOCK, found.target)
        if found.instance.locked_by == "admin":
            # Only whoever may override may lift an operator's lock.
            request.authorize(req, action_policies.UNLOCK_OVERRIDE, found.target)
        self._logic.unlock(request.ctx(req), found)

    def _create_image(
        self, req: falcon.Request, resp: falcon.Response, found: Located, args: Any
    ) -> None:
        check(args, schemas.CREATE_IMAGE)
        request.authorize(req, server_policies.CREATE_IMAGE, found.target)
        version = request.version(req)
        metadata = dict(args.get("metadata") or {})
        # Before 2.39 image metadata counted against the metadata items quota.
        if not version.at_least("2.39") and len(metadata) > MAX_METADATA_ITEMS:
            raise APIError(403, f"Quota exceeded for metadata_items: max {MAX_METADATA_ITEMS}")
        ctx, name = request.ctx(req), str(args["name"]).strip()
        image_id = image_errors(
            lambda: conflicts(lambda: self._logic.create_image(ctx, found, name, metadata))
        )
        # From 2.45 the id is in the body; before, the image's URL is in Location.
        if version.at_least("2.45"):
            resp.media = {"image_id": image_id}
        else:
            resp.set_header("Location", f"{req.prefix}{IMAGES_PATH}/{image_id}")

    def _force_delete(self, req: falcon.Request, server_id: str, args: Any) -> None:
        """Delete now, as ``DELETE /servers/{id}`` does, in any state (unless locked)."""
        assert self._servers is not None
        check(args, schemas.ANY_ARGS)
        ctx = request.ctx(req)
        try:
            uuidlib.UUID(server_id)
            record = self._servers.get(ctx, server_id).instance
        except (ValueError, InstanceNotFound):
            raise not_found(f"Instance {server_id} could not be found.") from None
        target = {"project_id": record.project_id, "user_id": record.user_id}
        request.authorize(req, action_policies.FORCE_DELETE, target)
        if record.locked and not ctx.is_admin:
            raise APIError(409, str(InstanceLocked(server_id)))
        try:
            self._servers.delete(ctx, server_id)
        except InstanceNotFound as exc:
            raise not_found(str(exc)) from None


def install(
    app: falcon.App[falcon.Request, falcon.Response],
    deps: APIDeps,
    images: ImageClient | None = None,
) -> None:
    """Route the server action endpoint; ``createImage`` needs ``images``."""
    logic = ServerActions(deps.servers.targets, images)
    app.add_route("/v2.1/servers/{server_id}/action", ServerAction(logic, deps.servers))
