"""RPC over ``inproc://`` through oslo.messaging's public API: call, cast, fanout, errors."""

from __future__ import annotations

import datetime
import time
from collections import Counter
from collections.abc import Callable

import oslo_messaging as om
import pytest

from tessera.rpc.inproc_broker import PROCESS_REGISTRY
from tests.rpc.helpers import CellFault, Messaging, RpcEndpoint, wait_until

URL = Callable[[str], str]


def test_call_returns_the_servers_reply(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    messaging.server(transport, "compute", "host1", RpcEndpoint("host1"))

    reply = messaging.client(transport, "compute").call({}, "record", tag="hello")

    assert reply == {"server": "host1", "tag": "hello"}


def test_cast_is_delivered(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    endpoint = RpcEndpoint("host1")
    messaging.server(transport, "compute", "host1", endpoint)

    messaging.client(transport, "compute").cast({}, "record", tag="fire-and-forget")

    assert endpoint.wait_for(1)
    assert endpoint.items == ["fire-and-forget"]


def test_direct_call_reaches_only_the_named_server(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    host1, host2 = RpcEndpoint("host1"), RpcEndpoint("host2")
    messaging.server(transport, "compute", "host1", host1)
    messaging.server(transport, "compute", "host2", host2)
    client = messaging.client(transport, "compute").prepare(server="host2")

    replies = [client.call({}, "record", tag=f"m{i}") for i in range(6)]

    assert {reply["server"] for reply in replies} == {"host2"}
    assert host1.items == []
    assert host2.items == [f"m{i}" for i in range(6)]


def test_fanout_reaches_every_server_of_the_topic(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    endpoints = [RpcEndpoint(f"host{i}") for i in range(3)]
    for endpoint in endpoints:
        messaging.server(transport, "compute", endpoint.name, endpoint)
    other_topic = RpcEndpoint("conductor")
    messaging.server(transport, "conductor", "host0", other_topic)

    messaging.client(transport, "compute").prepare(fanout=True).cast({}, "record", tag="all")

    for endpoint in endpoints:
        assert endpoint.wait_for(1)
        assert endpoint.items == ["all"]
    assert other_topic.items == []


def test_servers_of_a_topic_take_turns(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    for name in ("cond1", "cond2"):
        messaging.server(transport, "conductor", name, RpcEndpoint(name))
    client = messaging.client(transport, "conductor")

    served = Counter(client.call({}, "record", tag=str(i))["server"] for i in range(20))

    assert sum(served.values()) == 20
    assert min(served["cond1"], served["cond2"]) >= 5, served


def test_each_cast_goes_to_exactly_one_server(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    endpoints = [RpcEndpoint(f"cond{i}") for i in range(3)]
    for endpoint in endpoints:
        messaging.server(transport, "conductor", endpoint.name, endpoint)
    client = messaging.client(transport, "conductor")

    for i in range(60):
        client.cast({}, "record", tag=f"c{i}")
    assert wait_until(lambda: sum(len(endpoint.items) for endpoint in endpoints) >= 60)

    received = [tag for endpoint in endpoints for tag in endpoint.items]
    assert sorted(received) == sorted(f"c{i}" for i in range(60))


def test_builtin_remote_exception_is_reraised(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    messaging.server(transport, "compute", "host1", RpcEndpoint("host1"))

    with pytest.raises(ValueError, match="bad value from host1"):
        messaging.client(transport, "compute").call({}, "fail", kind="value")


def test_allowed_remote_exception_keeps_its_type(messaging: Messaging, inproc_url: URL) -> None:
    url = inproc_url("cell1")
    messaging.server(messaging.rpc_transport(url), "compute", "host1", RpcEndpoint("host1"))
    caller = messaging.rpc_transport(url, exmods=[CellFault.__module__])

    with pytest.raises(CellFault, match="fault in host1"):
        messaging.client(caller, "compute").call({}, "fail", kind="fault")


def test_unknown_remote_exception_becomes_remote_error(
    messaging: Messaging, inproc_url: URL
) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    messaging.server(transport, "compute", "host1", RpcEndpoint("host1"))

    with pytest.raises(om.RemoteError) as raised:
        messaging.client(transport, "compute").call({}, "fail", kind="fault")
    assert raised.value.exc_type == "CellFault"


def test_call_without_listener_times_out(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    started = time.monotonic()

    with pytest.raises(om.MessagingTimeout):
        messaging.client(transport, "nobody", timeout=0.2).call({}, "record", tag="lost")

    assert 0.2 <= time.monotonic() - started < 2


def test_call_to_slow_server_times_out(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    messaging.server(transport, "compute", "host1", RpcEndpoint("host1"))

    with pytest.raises(om.MessagingTimeout):
        messaging.client(transport, "compute", timeout=0.1).call({}, "block", seconds=0.5)


def test_expired_call_is_not_run_by_a_late_server(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    client = messaging.client(transport, "compute", timeout=0.1).prepare(server="host1")
    with pytest.raises(om.MessagingTimeout):
        client.call({}, "record", tag="expired")
    client.cast({}, "record", tag="queued")
    endpoint = RpcEndpoint("host1")

    messaging.server(transport, "compute", "host1", endpoint)

    assert endpoint.wait_for(1)
    assert messaging.client(transport, "compute").call({}, "record", tag="after")
    assert sorted(endpoint.items) == ["after", "queued"]


def test_monitor_timeout_fails_a_call_without_heartbeats(
    messaging: Messaging, inproc_url: URL
) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    client = messaging.client(transport, "nobody", timeout=30, call_monitor_timeout=0.2)
    started = time.monotonic()

    with pytest.raises(om.MessagingTimeout):
        client.call({}, "record", tag="lost")

    assert time.monotonic() - started < 5


def test_heartbeats_keep_a_long_call_alive(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    messaging.server(transport, "compute", "host1", RpcEndpoint("host1"))
    # oslo's dispatcher heartbeats every monitor/2 s (whole seconds): at 1 s and 2 s here.
    client = messaging.client(transport, "compute", timeout=30, call_monitor_timeout=2)

    assert client.call({}, "block", seconds=2.5) == "done"


def test_messages_are_copied_like_on_a_wire(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    endpoint = RpcEndpoint("host1")
    messaging.server(transport, "compute", "host1", endpoint)
    sent = {"items": ["client"], "when": datetime.datetime(2026, 1, 2, 3, 4, 5)}

    reply = messaging.client(transport, "compute").call({}, "mutate", payload=sent)
    reply["items"].append("caller-again")

    assert sent == {"items": ["client"], "when": datetime.datetime(2026, 1, 2, 3, 4, 5)}
    kept = endpoint.items[0]
    assert kept["items"] == ["client", "server"]
    assert kept["when"] == "2026-01-02T03:04:05.000000"


def test_unserialisable_argument_is_refused(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))

    with pytest.raises((TypeError, ValueError)):
        messaging.client(transport, "compute").cast({}, "record", tag=object())


def test_casts_wait_for_the_first_listener(messaging: Messaging, inproc_url: URL) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    client = messaging.client(transport, "compute")
    client.cast({}, "record", tag="to-topic")
    client.prepare(server="host1").cast({}, "record", tag="to-host1")
    client.prepare(fanout=True).cast({}, "record", tag="fanout-before")
    endpoint = RpcEndpoint("host1")

    messaging.server(transport, "compute", "host1", endpoint)

    assert endpoint.wait_for(2)
    assert messaging.client(transport, "compute").call({}, "record", tag="barrier")
    # A fanout reaches the servers listening when it is sent, as on RabbitMQ.
    assert sorted(endpoint.items) == ["barrier", "to-host1", "to-topic"]


def test_restarted_server_gets_what_was_sent_while_down(
    messaging: Messaging, inproc_url: URL
) -> None:
    transport = messaging.rpc_transport(inproc_url("cell1"))
    first = messaging.server(transport, "compute", "host1", RpcEndpoint("first"))
    messaging.stop(first)
    messaging.client(transport, "compute").prepare(server="host1").cast({}, "record", tag="x")
    second = RpcEndpoint("second")

    messaging.server(transport, "compute", "host1", second)

    assert second.wait_for(1)
    assert second.items == ["x"]


def test_transport_cleanup_releases_its_listeners(messaging: Messaging, inproc_url: URL) -> None:
    url = inproc_url("cell1")
    old_transport = messaging.rpc_transport(url)
    old = RpcEndpoint("old")
    messaging.server(old_transport, "compute", "host1", old)
    old_transport.cleanup()
    sender = messaging.rpc_transport(url)

    messaging.client(sender, "compute").prepare(server="host1").cast({}, "record", tag="y")
    new = RpcEndpoint("new")
    messaging.server(messaging.rpc_transport(url), "compute", "host1", new)

    assert new.wait_for(1)
    assert new.items == ["y"]
    assert old.items == []


def test_url_path_is_the_virtual_host(messaging: Messaging, vhost: Callable[[str], str]) -> None:
    for url in ("inproc://", "inproc:///", f"inproc:///{vhost('cell1')}"):
        messaging.rpc_transport(url)

    assert PROCESS_REGISTRY.vhosts() == sorted(["/", vhost("cell1")])


def test_empty_path_and_slash_share_the_default_vhost(messaging: Messaging) -> None:
    messaging.server(messaging.rpc_transport("inproc://"), "compute", "h1", RpcEndpoint("h1"))
    client = messaging.client(messaging.rpc_transport("inproc:///"), "compute")

    assert client.call({}, "record", tag="t")["server"] == "h1"
