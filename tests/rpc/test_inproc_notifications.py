"""Notifications over ``inproc://``: ``messagingv2`` notifier, listeners, pools, requeue."""

from __future__ import annotations

from collections.abc import Callable

from tests.rpc.helpers import (
    Messaging,
    NotificationEndpoint,
    RequeueOnceEndpoint,
    wait_until,
)

URL = Callable[[str], str]
TOPIC = "versioned_notifications"


def test_listener_gets_info_notifications(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.notification_transport(inproc_url("api"))
    endpoint = NotificationEndpoint()
    messaging.listener(transport, TOPIC, endpoint)

    messaging.notifier(transport, TOPIC).info({}, "instance.create.end", {"uuid": "u1"})

    assert endpoint.wait_for(1)
    assert endpoint.items == [("instance.create.end", {"uuid": "u1"})]


def test_notifications_wait_for_the_first_listener(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.notification_transport(inproc_url("api"))
    notifier = messaging.notifier(transport, TOPIC)
    for i in range(3):
        notifier.info({}, "instance.update", {"n": i})
    endpoint = NotificationEndpoint()

    messaging.listener(transport, TOPIC, endpoint)

    assert endpoint.wait_for(3)
    assert sorted(payload["n"] for _, payload in endpoint.items) == [0, 1, 2]


def test_only_subscribed_priorities_are_consumed(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.notification_transport(inproc_url("api"))
    endpoint = NotificationEndpoint()  # has only ``info``: listens to ``<topic>.info``
    messaging.listener(transport, TOPIC, endpoint)
    notifier = messaging.notifier(transport, TOPIC)

    notifier.error({}, "instance.create.error", {"n": 1})
    notifier.info({}, "instance.create.end", {"n": 2})

    assert endpoint.wait_for(1)
    assert endpoint.items == [("instance.create.end", {"n": 2})]


def test_each_pool_gets_each_notification_once(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.notification_transport(inproc_url("api"))
    pool_a = [NotificationEndpoint(f"a{i}") for i in range(2)]
    pool_b = NotificationEndpoint("b")
    for endpoint in pool_a:
        messaging.listener(transport, TOPIC, endpoint, pool="pool-a")
    messaging.listener(transport, TOPIC, pool_b, pool="pool-b")
    notifier = messaging.notifier(transport, TOPIC)

    for i in range(20):
        notifier.info({}, "instance.update", {"n": i})

    assert pool_b.wait_for(20)
    assert sorted(p["n"] for _, p in pool_b.items) == list(range(20))
    assert wait_until(lambda: sum(len(endpoint.items) for endpoint in pool_a) >= 20)
    shared = [p["n"] for endpoint in pool_a for _, p in endpoint.items]
    assert sorted(shared) == list(range(20))


def test_requeued_notification_comes_back(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.notification_transport(inproc_url("api"))
    endpoint = RequeueOnceEndpoint()
    messaging.listener(transport, TOPIC, endpoint, allow_requeue=True)

    messaging.notifier(transport, TOPIC).info({}, "instance.update", {"n": 7})

    assert endpoint.wait_for(2)
    assert endpoint.items == [{"n": 7}, {"n": 7}]
