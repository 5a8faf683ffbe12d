"""``POST /servers/{server_id}/action``: stop, start, reboot, lock, unlock."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from typing import Any, TypeVar

import falcon
import jsonschema

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.schemas import server_actions as schemas
from tessera.compute.actions import (
    InstanceInvalidState,
    InstanceLocked,
    InstanceNotReady,
    Located,
    ServerActions,
)
from tessera.objects.errors import InstanceNotFound
from tessera.policies import server_actions as action_policies
from tessera.policies import servers as server_policies

T = TypeVar("T")
Handler = Callable[[falcon.Request, Located, Any], None]


def check(data: Any, schema: dict[str, Any]) -> None:
    """400 unless ``data`` (a part of the body) matches ``schema``."""
    try:
        validation.validate(data, schema)
    except jsonschema.ValidationError as exc:
        raise bad_request(f"Invalid input for field/attribute. {exc.message}") from None


def find(req: falcon.Request, logic: ServerActions, server_id: str) -> Located:
    """The caller's server, or 404 (also for another project's: existence is not revealed)."""
    try:
        uuidlib.UUID(server_id)
        return logic.locate(request.ctx(req), server_id)
    except (ValueError, InstanceNotFound):
        raise not_found(f"Instance {server_id} could not be found.") from None
    except InstanceNotReady as exc:
        raise APIError(409, f"Instance {server_id} is not ready yet: {exc}") from None


def conflicts(call: Callable[[], T]) -> T:
    """Run ``call``; the state and lock errors of the logic become 409s."""
    try:
        return call()
    except (InstanceInvalidState, InstanceLocked) as exc:
        raise APIError(409, str(exc)) from None
    except InstanceNotFound as exc:  # deleted while we looked
        raise not_found(str(exc)) from None


class ServerAction:
    """Dispatches on the body's single key to one small handler per action."""

    def __init__(self, logic: ServerActions) -> None:
        self._logic = logic
        self._handlers: dict[str, Handler] = {
            "os-stop": self._stop,
            "os-start": self._start,
            "reboot": self._reboot,
            "lock": self._lock,
            "unlock": self._unlock,
        }

    def on_post(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        body = validation.body(req, schemas.ACTION)
        name, args = next(iter(body.items()))
        handler = self._handlers.get(name)
        if handler is None:
            raise bad_request(f"There is no such action: {name}")
        found = find(req, self._logic, server_id)
        handler(req, found, args)
        resp.status = falcon.HTTP_202

    def _stop(self, req: falcon.Request, found: Located, args: Any) -> None:
        check(args, schemas.NO_ARGS)
        request.authorize(req, server_policies.STOP, found.target)
        conflicts(lambda: self._logic.stop(request.ctx(req), found))

    def _start(self, req: falcon.Request, found: Located, args: Any) -> None:
        check(args, schemas.NO_ARGS)
        request.authorize(req, server_policies.START, found.target)
        conflicts(lambda: self._logic.start(request.ctx(req), found))

    def _reboot(self, req: falcon.Request, found: Located, args: Any) -> None:
        check(args, schemas.REBOOT)
        request.authorize(req, server_policies.REBOOT, found.target)
        hard = str(args["type"]).upper() == "HARD"
        conflicts(lambda: self._logic.reboot(request.ctx(req), found, hard))

    def _lock(self, req: falcon.Request, found: Located, args: Any) -> None:
        # Before 2.73 the body carries no arguments; from 2.73 a reason may be given.
        at_273 = request.version(req).at_least("2.73")
        check(args, schemas.LOCK_273 if at_273 else schemas.NO_ARGS)
        request.authorize(req, action_policies.LOCK, found.target)
        reason = (args or {}).get("locked_reason") if at_273 else None
        self._logic.lock(request.ctx(req), found, reason)

    def _unlock(self, req: falcon.Request, found: Located, args: Any) -> None:
        check(args, schemas.NO_ARGS)
        request.authorize(req, action_policies.UNLOCK, found.target)
        if found.instance.locked_by == "admin":
            # Only whoever may override may lift an operator's lock.
            request.authorize(req, action_policies.UNLOCK_OVERRIDE, found.target)
        self._logic.unlock(request.ctx(req), found)


def install(app: falcon.App[falcon.Request, falcon.Response], deps: APIDeps) -> None:
    """Route the server action endpoint."""
    logic = ServerActions(deps.servers.targets)
    app.add_route("/v2.1/servers/{server_id}/action", ServerAction(logic))
