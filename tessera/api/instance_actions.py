"""``/servers/{server_id}/os-instance-actions``: a server's action history, from its cell."""

from __future__ import annotations

import falcon

from tessera.api import request
from tessera.api.deps import APIDeps
from tessera.api.errors import not_found
from tessera.api.server_actions import find
from tessera.api.views import instance_actions as views
from tessera.compute.actions import ActionNotFound, ServerActions
from tessera.policies import instance_actions as policies


class ActionList:
    """``GET /servers/{server_id}/os-instance-actions``."""

    def __init__(self, logic: ServerActions) -> None:
        self._logic = logic

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        found = find(req, self._logic, server_id)
        request.authorize(req, policies.LIST, found.target)
        version = request.version(req)
        resp.media = {
            "instanceActions": [views.action(a, version) for a in self._logic.actions(found)]
        }


class ActionItem:
    """``GET /servers/{server_id}/os-instance-actions/{request_id}``, with its events."""

    def __init__(self, logic: ServerActions) -> None:
        self._logic = logic

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, server_id: str, request_id: str
    ) -> None:
        found = find(req, self._logic, server_id)
        request.authorize(req, policies.SHOW, found.target)
        try:
            record = self._logic.action(found, request_id)
        except ActionNotFound:
            raise not_found(f"Action {request_id} not found") from None
        version = request.version(req)
        checker = request.policy(req)
        caller = request.ctx(req)
        # Everyone sees the steps from 2.51; what went wrong inside them stays with admins.
        privileged = checker.check(caller, policies.EVENTS, found.target)
        details = checker.check(caller, policies.EVENTS_DETAILS, found.target)
        body = views.action(record, version)
        if privileged or version.at_least("2.51"):
            body["events"] = [
                views.event(
                    e,
                    version,
                    show_host=privileged,
                    show_details=privileged,
                    show_extra=details,
                )
                for e in record.events
            ]
        resp.media = {"instanceAction": body}


def install(app: falcon.App[falcon.Request, falcon.Response], deps: APIDeps) -> None:
    """Route a server's action history."""
    logic = ServerActions(deps.servers.targets)
    app.add_route("/v2.1/servers/{server_id}/os-instance-actions", ActionList(logic))
    app.add_route("/v2.1/servers/{server_id}/os-instance-actions/{request_id}", ActionItem(logic))
