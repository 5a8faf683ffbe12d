"""The in-process message broker behind the ``inproc://`` transport driver.

The model follows what oslo.messaging's rabbit driver builds on RabbitMQ, reduced to
what one process needs:

* a :class:`Broker` per virtual host, so transports of different vhosts (cells) can
  never exchange a message, whatever topic, server or exchange they use;
* named :class:`MessageQueue` objects bound to routing keys; a message published to a
  route lands in every bound queue, and each queue hands it to exactly one consumer;
* a :class:`Consumer` per listener, pulling from several queues and blocking on a
  condition variable until a message arrives, its deadline passes or it is stopped;
* a :class:`ReplyWaiter` per ``call``, on which the caller blocks for the answer.

Nothing here polls or sleeps: publishers wake one waiting consumer directly.
Message bodies are opaque strings (the driver stores JSON), so sender and receivers
never share mutable objects.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Final

QueueName = tuple[str, ...]
"""A queue's identity inside one broker, e.g. ``("rpc", exchange, topic, server)``."""
Route = tuple[str, ...]
"""A routing key inside one broker; publishing to it reaches every bound queue."""


class ReplyWaiter:
    """Where the answer to one ``call`` lands; the caller blocks in :meth:`wait`.

    ``monitor_timeout`` mirrors oslo.messaging's ``call_monitor_timeout``: the call
    also fails when the server has sent no heartbeat for that long.
    """

    def __init__(self, monitor_timeout: float | None = None) -> None:
        self._cond = threading.Condition()
        self._outcome: tuple[str | None, str | None] | None = None
        self._monitor_timeout = monitor_timeout
        self._last_beat = time.monotonic()

    @property
    def monitor_timeout(self) -> float | None:
        """Seconds without a heartbeat after which the caller gives up, if any."""
        return self._monitor_timeout

    def deliver(self, reply: str | None, failure: str | None) -> None:
        """Store the (JSON) reply or serialised failure; only the first answer counts."""
        with self._cond:
            if self._outcome is None:
                self._outcome = (reply, failure)
                self._cond.notify_all()

    def heartbeat(self) -> None:
        """Record that the server is still working on the call."""
        with self._cond:
            self._last_beat = time.monotonic()
            self._cond.notify_all()

    def wait(self, timeout: float | None) -> tuple[str | None, str | None] | None:
        """Block for the answer; ``None`` when ``timeout`` or the monitor timeout passes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._outcome is None:
                remaining = self._remaining(deadline)
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            return self._outcome

    def _remaining(self, deadline: float | None) -> float | None:
        """Seconds until the earlier of the call deadline and the heartbeat deadline."""
        limits = [] if deadline is None else [deadline]
        if self._monitor_timeout is not None:
            limits.append(self._last_beat + self._monitor_timeout)
        return min(limits) - time.monotonic() if limits else None


@dataclass(frozen=True)
class Envelope:
    """One message as the broker holds it."""

    body: str
    """The serialised context and message; decoded afresh by every receiver."""
    reply_to: ReplyWaiter | None = None
    """Set for a ``call``: where the server's answer goes."""
    expires_at: float | None = None
    """Monotonic time after which nobody wants the message (a call's caller gave up)."""

    def expired(self, now: float) -> bool:
        """Whether the message outlived its sender's interest, as with an AMQP TTL."""
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True)
class Delivery:
    """A message handed to a consumer, with the queue it came from (for requeue)."""

    queue: MessageQueue
    envelope: Envelope


@dataclass(eq=False)
class MessageQueue:
    """A FIFO of envelopes shared by its consumers: each message goes to one of them.

    Every method expects the owning broker's lock to be held.
    """

    name: QueueName
    messages: deque[Envelope] = field(default_factory=deque)
    consumers: list[Consumer] = field(default_factory=list)
    deleted: bool = False
    _next: int = 0

    def put(self, envelope: Envelope, *, front: bool = False) -> None:
        """Enqueue ``envelope`` and wake one idle consumer, if there is one."""
        self._drop_expired_head(time.monotonic())
        if front:
            self.messages.appendleft(envelope)
        else:
            self.messages.append(envelope)
        self._wake_one()

    def pop(self, now: float) -> Envelope | None:
        """The oldest live envelope, discarding the expired ones in front of it."""
        self._drop_expired_head(now)
        return self.messages.popleft() if self.messages else None

    def _drop_expired_head(self, now: float) -> None:
        # Expired calls would otherwise pile up in a queue nobody consumes.
        while self.messages and self.messages[0].expired(now):
            self.messages.popleft()

    def _wake_one(self) -> None:
        """Signal the next idle consumer in rotation, so load spreads round-robin."""
        count = len(self.consumers)
        for step in range(count):
            index = (self._next + step) % count
            if self.consumers[index].claim_wakeup():
                self._next = index + 1
                return


class Consumer:
    """One listener's view of a broker: the queues it pulls from and its wake-up signal."""

    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self._cond = threading.Condition(broker.lock)
        self._queues: list[MessageQueue] = []
        self._private: list[MessageQueue] = []
        self._waiting = False
        self._stopped = False
        self._offset = 0

    def subscribe(self, name: QueueName, route: Route) -> None:
        """Consume from the shared queue ``name`` (declared and bound to ``route`` if new)."""
        with self._broker.lock:
            self._attach(self._broker.declare_locked(name, route))

    def subscribe_private(self, route: Route) -> None:
        """Consume from a queue of this consumer's own, bound to ``route`` until it stops.

        This is how fanout works: every server of a topic gets its own copy.
        """
        with self._broker.lock:
            name = ("private", str(next(self._broker.private_ids)), *route)
            queue = self._broker.declare_locked(name, route)
            self._private.append(queue)
            self._attach(queue)

    def claim_wakeup(self) -> bool:
        """Take the wake-up for one new message if idle (broker lock held)."""
        if not self._waiting:
            return False
        # Leave the idle set so the next message wakes somebody else.
        self._waiting = False
        self._cond.notify()
        return True

    def get(self, timeout: float | None) -> Delivery | None:
        """The next message of any subscribed queue, blocking up to ``timeout`` seconds.

        ``None`` after a timeout or once stopped; ``timeout=None`` waits until one of those.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                delivery = self._take(now)
                if delivery is not None:
                    return delivery
                if deadline is not None and now >= deadline:
                    return None
                self._waiting = True
                self._cond.wait(None if deadline is None else deadline - now)
                self._waiting = False
            return None

    def stop(self) -> None:
        """Stop consuming: :meth:`close`, and make :meth:`get` return ``None`` at once."""
        with self._broker.lock:
            self._stopped = True
            self._close_locked()
            self._cond.notify_all()

    def close(self) -> None:
        """Leave every queue, so no message reaches this consumer any more. Idempotent.

        A blocked :meth:`get` keeps waiting (until its timeout or :meth:`stop`) rather
        than return early: oslo's poll thread would otherwise spin on empty polls.
        Messages in shared queues stay there for the other (or next) consumers;
        private queues are deleted with their content, like auto-delete AMQP queues.
        """
        with self._broker.lock:
            self._close_locked()

    def _close_locked(self) -> None:
        for queue in self._queues:
            queue.consumers.remove(self)
        for queue in self._private:
            self._broker.delete_locked(queue)
        self._queues.clear()
        self._private.clear()

    def _attach(self, queue: MessageQueue) -> None:
        queue.consumers.append(self)
        self._queues.append(queue)

    def _take(self, now: float) -> Delivery | None:
        """Pop from the subscribed queues, starting at a rotating one so none starves."""
        count = len(self._queues)
        for step in range(count):
            queue = self._queues[(self._offset + step) % count]
            envelope = queue.pop(now)
            if envelope is not None:
                self._offset = (self._offset + step + 1) % count
                return Delivery(queue, envelope)
        return None


class Broker:
    """The queues and routes of one virtual host, guarded by a single lock."""

    def __init__(self, vhost: str) -> None:
        self.vhost = vhost
        self.lock = threading.Lock()
        self._queues: dict[QueueName, MessageQueue] = {}
        self._routes: dict[Route, list[MessageQueue]] = {}
        self.private_ids = itertools.count(1)
        """Numbers for private (fanout) queue names; draw them with the lock held."""

    def consumer(self) -> Consumer:
        """A new consumer on this broker, subscribed to nothing yet."""
        return Consumer(self)

    def declare(self, name: QueueName, route: Route) -> None:
        """Create queue ``name`` bound to ``route`` unless it exists (idempotent)."""
        with self.lock:
            self.declare_locked(name, route)

    def publish(self, route: Route, envelope: Envelope, *, declare: QueueName | None) -> int:
        """Put ``envelope`` in every queue bound to ``route``; return how many got it.

        ``declare`` names a queue to create on the fly when missing, so messages sent
        before the first listener wait for it; without it an unbound route drops the
        message, as an AMQP exchange does.
        """
        with self.lock:
            if declare is not None:
                self.declare_locked(declare, route)
            queues = self._routes.get(route, ())
            for queue in queues:
                queue.put(envelope)
            return len(queues)

    def requeue(self, delivery: Delivery) -> None:
        """Return a delivered message to the front of its queue, unless that queue is gone."""
        with self.lock:
            if not delivery.queue.deleted:
                delivery.queue.put(delivery.envelope, front=True)

    def queue_depth(self, name: QueueName) -> int:
        """How many messages queue ``name`` holds (0 if it does not exist)."""
        with self.lock:
            queue = self._queues.get(name)
            return len(queue.messages) if queue is not None else 0

    def declare_locked(self, name: QueueName, route: Route) -> MessageQueue:
        """:meth:`declare` for callers already holding :attr:`lock`; returns the queue."""
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = MessageQueue(name)
            self._routes.setdefault(route, []).append(queue)
        return queue

    def delete_locked(self, queue: MessageQueue) -> None:
        """Unbind and forget ``queue`` (caller holds :attr:`lock`)."""
        queue.deleted = True
        queue.messages.clear()
        self._queues.pop(queue.name, None)
        for bound in self._routes.values():
            if queue in bound:
                bound.remove(queue)


class BrokerRegistry:
    """The process's brokers, one per virtual host, created on first use.

    oslo.messaging instantiates a driver per transport, so the brokers cannot belong
    to a driver: every transport of the process must find the same broker for the
    same vhost. :data:`PROCESS_REGISTRY` is that shared owner; it lives as long as the
    process. :meth:`reset` forgets every broker (for tests): transports created
    before keep their old brokers among themselves, new transports get fresh ones.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._brokers: dict[str, Broker] = {}

    def broker(self, vhost: str) -> Broker:
        """The broker of ``vhost``, created if this is its first use."""
        with self._lock:
            broker = self._brokers.get(vhost)
            if broker is None:
                broker = self._brokers[vhost] = Broker(vhost)
            return broker

    def vhosts(self) -> list[str]:
        """Names of the virtual hosts that have a broker, sorted."""
        with self._lock:
            return sorted(self._brokers)

    def reset(self) -> None:
        """Forget every broker and its queued messages."""
        with self._lock:
            self._brokers.clear()


PROCESS_REGISTRY: Final = BrokerRegistry()
"""The registry every ``inproc://`` transport of this process uses."""
