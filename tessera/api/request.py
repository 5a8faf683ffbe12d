"""Per-request helpers: the caller's context, the negotiated version, the base URL."""

from __future__ import annotations

import falcon

from tessera.api.microversions import Version
from tessera.context import RequestContext


def ctx(req: falcon.Request) -> RequestContext:
    """The authenticated caller (set by the auth middleware)."""
    value: RequestContext = req.context.ctx
    return value


def version(req: falcon.Request) -> Version:
    """The microversion negotiated for this request."""
    value: Version = req.context.version
    return value


def base_url(req: falcon.Request) -> str:
    """``<scheme>://<host>/v2.1`` as the client addressed us."""
    return f"{req.prefix}/v2.1"
