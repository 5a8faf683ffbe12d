"""The in-process broker on its own: registry lifetime, blocking, wake-ups, expiry, requeue."""

from __future__ import annotations

import threading
import time

from tessera.rpc.inproc_broker import (
    Broker,
    BrokerRegistry,
    Consumer,
    Delivery,
    Envelope,
    ReplyWaiter,
)

ROUTE = ("rpc", "openstack", "compute")


def _blocked_get(consumer: Consumer) -> tuple[threading.Thread, list[Delivery | None]]:
    """A thread blocked in ``consumer.get()``, and the list its result lands in."""
    result: list[Delivery | None] = []
    thread = threading.Thread(target=lambda: result.append(consumer.get(None)), daemon=True)
    thread.start()
    return thread, result


def _consumer(broker: Broker) -> Consumer:
    consumer = broker.consumer()
    consumer.subscribe(ROUTE, ROUTE)
    return consumer


def test_registry_shares_a_broker_per_vhost_until_reset() -> None:
    registry = BrokerRegistry()
    cell1 = registry.broker("cell1")

    assert registry.broker("cell1") is cell1
    assert registry.broker("cell2") is not cell1
    assert registry.vhosts() == ["cell1", "cell2"]
    registry.reset()
    assert registry.vhosts() == []
    assert registry.broker("cell1") is not cell1


def test_get_wakes_on_publish_without_polling() -> None:
    broker = Broker("/")
    thread, result = _blocked_get(_consumer(broker))

    broker.publish(ROUTE, Envelope("m1"), declare=ROUTE)
    thread.join(timeout=2)

    assert not thread.is_alive()
    assert [d.envelope.body if d else None for d in result] == ["m1"]


def test_stop_wakes_a_blocked_get() -> None:
    consumer = _consumer(Broker("/"))
    thread, result = _blocked_get(consumer)

    consumer.stop()
    thread.join(timeout=2)

    assert result == [None]


def test_close_detaches_without_waking() -> None:
    broker = Broker("/")
    consumer = _consumer(broker)
    consumer.close()

    broker.publish(ROUTE, Envelope("m1"), declare=ROUTE)

    assert consumer.get(0.05) is None
    assert broker.queue_depth(ROUTE) == 1


def test_each_message_wakes_a_different_idle_consumer() -> None:
    broker = Broker("/")
    blocked = [_blocked_get(_consumer(broker)) for _ in range(2)]

    for body in ("m1", "m2"):
        broker.publish(ROUTE, Envelope(body), declare=ROUTE)
    for thread, _ in blocked:
        thread.join(timeout=2)

    # Had both messages woken the same consumer, the other would still be blocked.
    got = sorted(d.envelope.body for _, result in blocked for d in result if d is not None)
    assert got == ["m1", "m2"]


def test_a_shared_queue_is_consumed_in_order_once() -> None:
    broker = Broker("/")
    consumers = [_consumer(broker) for _ in range(2)]
    for body in ("m1", "m2", "m3"):
        broker.publish(ROUTE, Envelope(body), declare=ROUTE)

    taken = [consumers[i % 2].get(0) for i in range(4)]

    assert [d.envelope.body if d else None for d in taken] == ["m1", "m2", "m3", None]


def test_fanout_queue_dies_with_its_consumer() -> None:
    broker = Broker("/")
    route = ("fanout", "openstack", "compute")
    consumers = [broker.consumer() for _ in range(2)]
    for consumer in consumers:
        consumer.subscribe_private(route)

    assert broker.publish(route, Envelope("all"), declare=None) == 2
    consumers[0].stop()
    assert broker.publish(route, Envelope("rest"), declare=None) == 1


def test_expired_envelopes_are_dropped() -> None:
    broker = Broker("/")
    consumer = _consumer(broker)
    broker.publish(ROUTE, Envelope("late", expires_at=time.monotonic() - 1), declare=ROUTE)
    broker.publish(ROUTE, Envelope("fresh"), declare=ROUTE)

    delivery = consumer.get(0)

    assert delivery is not None and delivery.envelope.body == "fresh"


def test_requeue_puts_a_message_back_in_front() -> None:
    broker = Broker("/")
    consumer = _consumer(broker)
    for body in ("m1", "m2"):
        broker.publish(ROUTE, Envelope(body), declare=ROUTE)
    first = consumer.get(0)
    assert first is not None

    broker.requeue(first)

    again = consumer.get(0)
    assert again is not None and again.envelope.body == "m1"


def test_reply_waiter_times_out_and_keeps_the_first_answer() -> None:
    waiter = ReplyWaiter()
    started = time.monotonic()
    assert waiter.wait(0.05) is None
    assert time.monotonic() - started < 1

    waiter.deliver("1", None)
    waiter.deliver("2", None)
    assert waiter.wait(0) == ("1", None)


def test_reply_waiter_monitor_deadline_moves_with_heartbeats() -> None:
    waiter = ReplyWaiter(monitor_timeout=0.5)
    beats = threading.Thread(target=_beat, args=(waiter, 3, 0.3))
    beats.start()
    # Without the heartbeats the wait would end at 0.5 s, before this answer.
    threading.Timer(1.1, waiter.deliver, args=("done", None)).start()

    assert waiter.wait(None) == ("done", None)
    beats.join()


def _beat(waiter: ReplyWaiter, count: int, interval: float) -> None:
    for _ in range(count):
        time.sleep(interval)
        waiter.heartbeat()
