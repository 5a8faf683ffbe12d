"""``inproc://``: an event-driven, in-process oslo.messaging transport driver.

Registered under the ``oslo.messaging.drivers`` entry point as ``inproc``, so
``oslo_messaging.get_rpc_transport(conf, url="inproc:///cell1")`` and
``get_notification_transport(conf, url="inproc:///api")`` work like ``rabbit://``
URLs. The URL path is the virtual host (``inproc:///cell1`` is vhost ``cell1``; an
empty path is vhost ``/``), and each vhost has its own broker, so cells stay apart
exactly as they do on separate RabbitMQ vhosts.

Addressing follows the rabbit driver: a shared queue per topic (servers of a topic
take turns), a queue per ``topic.server``, a private fanout queue per listener, and
for notifications a queue per ``topic.priority`` plus one per listener pool. Queues
for topics, servers and notifications are created when first sent to, so a message
sent before its listener starts waits for it; a ``call`` expires with its timeout.

Every message, reply and remote failure goes through JSON (as on a real broker), so
sender and receiver never share objects, and non-JSON payloads fail the same way.
Only the threading executor is supported.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar

import oslo_messaging
from oslo_messaging._drivers import base
from oslo_messaging._drivers import common as driver_common
from oslo_serialization import jsonutils

from tessera.rpc.inproc_broker import (
    PROCESS_REGISTRY,
    Broker,
    BrokerRegistry,
    Consumer,
    Delivery,
    Envelope,
    ReplyWaiter,
)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
IncomingFactory = Callable[[Delivery], Any]

DEFAULT_VHOST = "/"


def vhost_of(url: Any) -> str:
    """The virtual host a parsed ``TransportURL`` names (its path; ``/`` if empty)."""
    vhost: str | None = url.virtual_host
    return vhost or DEFAULT_VHOST


def _encode(ctxt: Any, message: Any) -> str:
    # jsonutils turns datetimes and similar into primitives, as the rabbit driver does.
    body: str = jsonutils.dumps({"ctxt": ctxt, "message": message})
    return body


def _decode(body: str) -> tuple[dict[str, Any], dict[str, Any]]:
    data = json.loads(body)
    return data["ctxt"], data["message"]


class InProcRpcMessage(base.RpcIncomingMessage):  # type: ignore[misc]
    """An RPC request as a server sees it; replies go straight to the caller's waiter."""

    def __init__(self, broker: Broker, delivery: Delivery) -> None:
        ctxt, message = _decode(delivery.envelope.body)
        super().__init__(ctxt, message)
        self._broker = broker
        self._delivery = delivery
        waiter = delivery.envelope.reply_to
        self._waiter = waiter
        # The dispatcher heartbeats at half this when the caller set a monitor timeout.
        self.client_timeout = None if waiter is None else waiter.monitor_timeout

    def acknowledge(self) -> None:
        """Nothing to do: the message left its queue when it was delivered."""

    def requeue(self) -> None:
        """Put the request back at the front of the queue it came from."""
        self._broker.requeue(self._delivery)

    def reply(self, reply: Any = None, failure: ExcInfo | None = None) -> None:
        """Send the result, or the serialised exception, to the caller (casts: no-op)."""
        if self._waiter is None:
            return
        if failure is not None:
            self._waiter.deliver(None, driver_common.serialize_remote_exception(failure))
            return
        try:
            encoded: str = jsonutils.dumps(reply)
        except (TypeError, ValueError) as exc:
            # Tell the caller now rather than let it wait for its timeout.
            self._waiter.deliver(None, driver_common.serialize_remote_exception(_exc_info(exc)))
            return
        self._waiter.deliver(encoded, None)

    def heartbeat(self) -> None:
        """Tell the caller the call is still being worked on."""
        if self._waiter is not None:
            self._waiter.heartbeat()


class InProcNotification(base.IncomingMessage):  # type: ignore[misc]
    """A notification as a listener sees it; it can be requeued for another try."""

    def __init__(self, broker: Broker, delivery: Delivery) -> None:
        ctxt, message = _decode(delivery.envelope.body)
        super().__init__(ctxt, message)
        self._broker = broker
        self._delivery = delivery

    def acknowledge(self) -> None:
        """Nothing to do: the message left its queue when it was delivered."""

    def requeue(self) -> None:
        """Put the notification back at the front of its queue (or pool's queue)."""
        self._broker.requeue(self._delivery)


def _exc_info(exc: BaseException) -> ExcInfo:
    return type(exc), exc, exc.__traceback__


class InProcListener(base.PollStyleListener):  # type: ignore[misc]
    """Pulls messages from a :class:`Consumer`, blocking without polling loops."""

    def __init__(self, consumer: Consumer, make_incoming: IncomingFactory) -> None:
        super().__init__()
        self._consumer = consumer
        self._make_incoming = make_incoming

    def poll(
        self,
        timeout: float | None = None,
        batch_size: int = 1,
        batch_timeout: float | None = None,
    ) -> list[Any]:
        """Up to ``batch_size`` messages; waits ``timeout`` (None: until stop) for the first.

        After the first message, more are collected for up to ``batch_timeout`` seconds
        (only those already queued when it is None).
        """
        first = self._consumer.get(timeout)
        if first is None:
            return []
        batch = [self._make_incoming(first)]
        deadline = time.monotonic() + (batch_timeout or 0.0)
        while len(batch) < batch_size:
            more = self._consumer.get(max(0.0, deadline - time.monotonic()))
            if more is None:
                break
            batch.append(self._make_incoming(more))
        return batch

    def stop(self) -> None:
        """Wake a blocked :meth:`poll` and stop taking messages."""
        self._consumer.stop()

    def cleanup(self) -> None:
        """Leave every queue; a blocked :meth:`poll` returns once :meth:`stop` is called."""
        self._consumer.close()


class InProcDriver(base.BaseDriver):  # type: ignore[misc]
    """oslo.messaging driver for ``inproc://[host]/<vhost>`` URLs.

    oslo.messaging creates one driver per transport; all of them share the brokers
    of :attr:`registry`, one per vhost.
    """

    registry: ClassVar[BrokerRegistry] = PROCESS_REGISTRY

    def __init__(
        self,
        conf: Any,
        url: Any,
        default_exchange: str | None = None,
        allowed_remote_exmods: list[str] | None = None,
    ) -> None:
        super().__init__(conf, url, default_exchange, allowed_remote_exmods)
        self._broker = self.registry.broker(vhost_of(url))
        self._lock = threading.Lock()
        # Weak: a listener whose server is gone needs no release.
        self._listeners: weakref.WeakSet[InProcListener] = weakref.WeakSet()

    @property
    def broker(self) -> Broker:
        """The broker of this transport's virtual host."""
        return self._broker

    def require_features(self, requeue: bool = False) -> None:
        """Every optional feature (requeue) is supported."""

    def send(
        self,
        target: Any,
        ctxt: Any,
        message: Any,
        wait_for_reply: bool | None = None,
        timeout: float | None = None,
        call_monitor_timeout: float | None = None,
        retry: int | None = None,
        transport_options: Any = None,
    ) -> Any:
        """Cast, fan out or call; a call returns the reply or raises the remote error.

        ``retry`` and ``transport_options`` are accepted and ignored: handing a message
        to an in-process broker cannot fail transiently.
        """
        exchange = self._exchange(target)
        body = _encode(ctxt, message)
        if target.fanout:
            self._broker.publish(("fanout", exchange, target.topic), Envelope(body), declare=None)
            return None
        route = _rpc_route(exchange, target.topic, target.server)
        if not wait_for_reply:
            self._broker.publish(route, Envelope(body), declare=route)
            return None
        return self._call(route, body, timeout, call_monitor_timeout)

    def send_notification(
        self, target: Any, ctxt: Any, message: Any, version: float, retry: int | None = None
    ) -> None:
        """Store a notification in the queues of ``target.topic`` (already ``topic.priority``)."""
        route = ("notify", self._exchange(target), target.topic)
        self._broker.publish(route, Envelope(_encode(ctxt, message)), declare=(*route, ""))

    def listen(self, target: Any, batch_size: int, batch_timeout: float | None) -> Any:
        """A listener for the topic's shared queue, the server's queue and fanout."""
        exchange = self._exchange(target)
        consumer = self._broker.consumer()
        topic_route = _rpc_route(exchange, target.topic, None)
        consumer.subscribe(topic_route, topic_route)
        if target.server:
            server_route = _rpc_route(exchange, target.topic, target.server)
            consumer.subscribe(server_route, server_route)
        consumer.subscribe_private(("fanout", exchange, target.topic))
        return self._start_listener(consumer, self._rpc_message, batch_size, batch_timeout)

    def listen_for_notifications(
        self,
        targets_and_priorities: list[tuple[Any, str]],
        pool: str | None,
        batch_size: int,
        batch_timeout: float | None,
    ) -> Any:
        """A listener for ``<topic>.<priority>``; listeners sharing ``pool`` share a queue."""
        consumer = self._broker.consumer()
        for target, priority in targets_and_priorities:
            route = ("notify", self._exchange(target), f"{target.topic}.{priority}")
            consumer.subscribe((*route, pool or ""), route)
        return self._start_listener(consumer, self._notification, batch_size, batch_timeout)

    def cleanup(self) -> None:
        """Release every listener this transport created: no message reaches them any more.

        Their servers are left to ``stop()`` and ``wait()`` as usual.
        """
        with self._lock:
            listeners = list(self._listeners)
            self._listeners.clear()
        for listener in listeners:
            listener.cleanup()

    def _call(
        self, route: tuple[str, ...], body: str, timeout: float | None, monitor: float | None
    ) -> Any:
        waiter = ReplyWaiter(monitor)
        # The request dies with the caller's patience, like the TTL the rabbit driver sets.
        expires_at = None if timeout is None else time.monotonic() + timeout
        self._broker.publish(route, Envelope(body, waiter, expires_at), declare=route)
        outcome = waiter.wait(timeout)
        if outcome is None:
            raise oslo_messaging.MessagingTimeout(
                f"Timed out waiting for a reply on {'.'.join(route[2:])} "
                f"(vhost {self._broker.vhost})"
            )
        reply, failure = outcome
        if failure is not None:
            raise driver_common.deserialize_remote_exception(failure, self._allowed_remote_exmods)
        return None if reply is None else json.loads(reply)

    def _exchange(self, target: Any) -> str:
        exchange: str | None = target.exchange or self._default_exchange
        return exchange or ""

    def _start_listener(
        self,
        consumer: Consumer,
        make_incoming: IncomingFactory,
        batch_size: int,
        batch_timeout: float | None,
    ) -> Any:
        """Wrap the consumer for oslo's server (a poll thread per listener) and track it."""
        listener = InProcListener(consumer, make_incoming)
        with self._lock:
            self._listeners.add(listener)
        return base.PollStyleListenerAdapter(listener, batch_size, batch_timeout)

    def _rpc_message(self, delivery: Delivery) -> InProcRpcMessage:
        return InProcRpcMessage(self._broker, delivery)

    def _notification(self, delivery: Delivery) -> InProcNotification:
        return InProcNotification(self._broker, delivery)


def _rpc_route(exchange: str, topic: str, server: str | None) -> tuple[str, ...]:
    """Route (and queue name) of a topic's shared queue, or of one server's queue."""
    return ("rpc", exchange, topic) if not server else ("rpc", exchange, topic, server)
