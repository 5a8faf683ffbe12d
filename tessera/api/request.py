"""Per-request helpers: the caller's context, the negotiated version, the base URL."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import falcon

from tessera.api.errors import APIError
from tessera.api.microversions import Version
from tessera.context import RequestContext
from tessera.policies.enforcer import Policy


def ctx(req: falcon.Request) -> RequestContext:
    """The authenticated caller (set by the auth middleware); 401 on a path it skips."""
    value = getattr(req.context, "ctx", None)
    if not isinstance(value, RequestContext):
        raise APIError(401, "Authentication required")
    return value


def version(req: falcon.Request) -> Version:
    """The microversion negotiated for this request."""
    value: Version = req.context.version
    return value


def base_url(req: falcon.Request) -> str:
    """``<scheme>://<host>/v2.1`` as the client addressed us."""
    return f"{req.prefix}/v2.1"


def policy(req: falcon.Request) -> Policy:
    """The app's Policy (``req.context.policy``), or the defaults in code if the app set none."""
    found = getattr(req.context, "policy", None)
    return found if isinstance(found, Policy) else _default_policy()


@functools.cache
def _default_policy() -> Policy:
    # Only for apps that set no Policy: it reads no file, so one instance serves
    # them all, and building one (registering every default) takes tens of ms.
    return Policy()


def authorize(req: falcon.Request, rule: str, target: Mapping[str, Any]) -> None:
    """Raise 403 ``forbidden`` unless the caller may do ``rule`` on ``target``."""
    policy(req).authorize(ctx(req), rule, target)
