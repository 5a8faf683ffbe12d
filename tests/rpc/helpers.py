"""Endpoints and a harness for driving oslo.messaging through its public API in tests."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from oslo_config import cfg

with warnings.catch_warnings():
    # oslo.messaging imports eventlet (never monkey-patched here), which warns on import.
    warnings.simplefilter("ignore")
    import oslo_messaging as om

WAIT = 5.0
"""Seconds a test waits for something that should happen (much longer than needed)."""


def wait_until(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Poll ``predicate`` until it holds (True) or ``timeout`` passes (False).

    For conditions spread over several recorders; a single one has ``wait_for``.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


class CellFault(Exception):
    """An application error raised by an endpoint; callers allowing this module get it back."""


class Recorder:
    """Collects what arrives, thread-safely, and lets a test wait for a number of items."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._cond = threading.Condition()
        self._items: list[Any] = []

    @property
    def items(self) -> list[Any]:
        """A snapshot of everything received so far, in arrival order."""
        with self._cond:
            return list(self._items)

    def add(self, item: Any) -> None:
        """Record ``item`` and wake waiters."""
        with self._cond:
            self._items.append(item)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = WAIT) -> bool:
        """Block until at least ``count`` items arrived; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._items) >= count, timeout)


class RpcEndpoint(Recorder):
    """RPC methods a test server exposes."""

    target = om.Target(version="1.0")

    def record(self, ctxt: dict[str, Any], tag: str) -> dict[str, str]:
        """Remember ``tag``; answer who handled it."""
        self.add(tag)
        return {"server": self.name, "tag": tag}

    def mutate(self, ctxt: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        """Change the received payload in place, keep it, and return it."""
        payload["touched_by"] = self.name
        payload["items"].append("server")
        self.add(payload)
        return payload

    def fail(self, ctxt: dict[str, Any], kind: str) -> None:
        """Raise a builtin ``ValueError`` or a :class:`CellFault`."""
        if kind == "value":
            raise ValueError(f"bad value from {self.name}")
        raise CellFault(f"fault in {self.name}")

    def block(self, ctxt: dict[str, Any], seconds: float) -> str:
        """Work for ``seconds`` (a slow server), then answer."""
        threading.Event().wait(seconds)
        self.add(seconds)
        return "done"


class NotificationEndpoint(Recorder):
    """Records ``info`` notifications as ``(event_type, payload)``."""

    def info(
        self,
        ctxt: dict[str, Any],
        publisher_id: str,
        event_type: str,
        payload: Any,
        metadata: dict[str, Any],
    ) -> None:
        """Record one info notification."""
        self.add((event_type, payload))


class RequeueOnceEndpoint(Recorder):
    """Asks for every notification to be requeued the first time it is seen."""

    def info(
        self,
        ctxt: dict[str, Any],
        publisher_id: str,
        event_type: str,
        payload: Any,
        metadata: dict[str, Any],
    ) -> Any:
        """Requeue unseen payloads; record them when they come back."""
        if payload not in self.items:
            self.add(payload)
            return om.NotificationResult.REQUEUE
        self.add(payload)
        return om.NotificationResult.HANDLED


class Messaging:
    """Builds transports, servers, clients and listeners for one test; tears them down.

    Servers are stopped first and then waited for in parallel, because ``wait()``
    takes about a second each (the threading executor's idle workers).
    """

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf
        self._transports: list[Any] = []
        self._servers: list[Any] = []

    def rpc_transport(self, url: str, exmods: Iterable[str] = ()) -> Any:
        """``get_rpc_transport`` for ``url``, cleaned up at teardown."""
        transport = om.get_rpc_transport(self.conf, url=url, allowed_remote_exmods=list(exmods))
        self._transports.append(transport)
        return transport

    def notification_transport(self, url: str) -> Any:
        """``get_notification_transport`` for ``url``, cleaned up at teardown."""
        transport = om.get_notification_transport(self.conf, url=url)
        self._transports.append(transport)
        return transport

    def server(self, transport: Any, topic: str, server: str, endpoint: Any) -> Any:
        """A started RPC server (threading executor) for ``topic`` on host ``server``."""
        rpc_server = om.get_rpc_server(transport, om.Target(topic=topic, server=server), [endpoint])
        return self._start(rpc_server)

    def client(self, transport: Any, topic: str, timeout: float = WAIT, **kwargs: Any) -> Any:
        """An RPC client for ``topic``; ``kwargs`` go to ``get_rpc_client``."""
        target = om.Target(topic=topic, version="1.0")
        return om.get_rpc_client(transport, target, timeout=timeout, **kwargs)

    def listener(
        self,
        transport: Any,
        topic: str,
        endpoint: Any,
        pool: str | None = None,
        allow_requeue: bool = False,
    ) -> Any:
        """A started notification listener for ``topic``, in ``pool`` if given."""
        listener = om.get_notification_listener(
            transport, [om.Target(topic=topic)], [endpoint], pool=pool, allow_requeue=allow_requeue
        )
        return self._start(listener)

    @staticmethod
    def notifier(transport: Any, topic: str) -> Any:
        """A ``messagingv2`` notifier publishing to ``topic``."""
        return om.Notifier(
            transport, publisher_id="compute.host1", driver="messagingv2", topics=[topic]
        )

    def stop(self, *servers: Any) -> None:
        """Stop ``servers`` (RPC servers or listeners) and wait for them, in parallel."""
        for server in servers:
            server.stop()
        waiters = [threading.Thread(target=server.wait) for server in servers]
        for waiter in waiters:
            waiter.start()
        for waiter in waiters:
            waiter.join()
        for server in servers:
            self._servers.remove(server)

    def close(self) -> None:
        """Stop every server still running, then clean every transport up."""
        self.stop(*self._servers)
        for transport in self._transports:
            transport.cleanup()

    def _start(self, server: Any) -> Any:
        server.start()
        self._servers.append(server)
        return server
