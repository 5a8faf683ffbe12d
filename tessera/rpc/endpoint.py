"""Clients and servers: the two ends of a service's RPC API.

A service's API is a client class (``tessera/<service>/rpcapi.py``) whose
methods cast or call, and a manager whose public methods are the endpoint.
"""

from __future__ import annotations

from typing import Any

import oslo_messaging

from tessera.context import RequestContext
from tessera.rpc.serializer import ContextSerializer

API_VERSION = "1.0"


class RPCClient:
    """Casts and calls to one topic over one transport, with per-call timeouts."""

    def __init__(self, transport: Any, topic: str, timeout: float = 60.0) -> None:
        target = oslo_messaging.Target(topic=topic, version=API_VERSION)
        self._client = oslo_messaging.get_rpc_client(
            transport, target, serializer=ContextSerializer(), timeout=timeout
        )

    def cast(
        self, ctx: RequestContext, method: str, *, server: str | None = None, **kwargs: Any
    ) -> None:
        """Send without waiting (fire and forget)."""
        self._prepare(server, None).cast(ctx, method, **kwargs)

    def call(
        self,
        ctx: RequestContext,
        method: str,
        *,
        server: str | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Send and wait for the answer (or the remote exception) up to ``timeout``."""
        return self._prepare(server, timeout).call(ctx, method, **kwargs)

    def _prepare(self, server: str | None, timeout: float | None) -> Any:
        options: dict[str, Any] = {}
        if server is not None:
            options["server"] = server
        if timeout is not None:
            options["timeout"] = timeout
        return self._client.prepare(**options) if options else self._client


def start_server(transport: Any, topic: str, server: str, endpoints: list[Any]) -> Any:
    """Start an RPC server on ``topic`` (and ``topic.server``) for ``endpoints``."""
    target = oslo_messaging.Target(topic=topic, server=server, version=API_VERSION)
    rpc_server = oslo_messaging.get_rpc_server(
        transport, target, endpoints, serializer=ContextSerializer()
    )
    rpc_server.start()
    return rpc_server


def endpoint_target() -> Any:
    """The ``target`` attribute every endpoint (manager) carries."""
    return oslo_messaging.Target(version=API_VERSION)


RemoteError = oslo_messaging.RemoteError
MessagingTimeout = oslo_messaging.MessagingTimeout
