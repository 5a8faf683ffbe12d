"""Hands the app's Policy to every request (``req.context.policy``)."""

from __future__ import annotations

import falcon

from tessera.policies.enforcer import Policy


class PolicyMiddleware:
    """Sets ``req.context.policy``, where :func:`tessera.api.request.authorize` finds it."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.policy = self._policy
