"""Virtual hosts isolate cells: on ``inproc://`` exactly as on RabbitMQ.

The same scenario runs against both transports. cell2's server has run once before
(so its queues exist, as a real compute's do after a restart); RabbitMQ drops a cast
to a queue that never existed, which is not what this test is about.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import oslo_messaging as om
import pytest

from tests.rpc.helpers import Messaging, NotificationEndpoint, RpcEndpoint

URL = Callable[[str], str]


@pytest.fixture(params=["inproc", "rabbit"])
def cell_urls(request: pytest.FixtureRequest, inproc_url: URL) -> tuple[str, str]:
    """Transport URLs of two cells' vhosts on the parametrised transport."""
    if request.param == "rabbit":
        urls: tuple[str, str] = request.getfixturevalue("rabbit_urls")
        return urls
    return inproc_url("cell1"), inproc_url("cell2")


def test_cells_never_see_each_others_messages(
    messaging: Messaging, cell_urls: tuple[str, str]
) -> None:
    # Queues outlive a test on RabbitMQ: a fresh topic keeps runs apart.
    topic = f"compute-{secrets.token_hex(3)}"
    cell1, cell2 = (messaging.rpc_transport(url) for url in cell_urls)
    in_cell1 = RpcEndpoint("cell1-host1")
    messaging.server(cell1, topic, "host1", in_cell1)
    messaging.stop(messaging.server(cell2, topic, "host1", RpcEndpoint("cell2-old")))
    via_cell2 = messaging.client(cell2, topic, timeout=1).prepare(server="host1")

    with pytest.raises(om.MessagingTimeout):
        via_cell2.call({}, "record", tag="call-via-cell2")
    via_cell2.cast({}, "record", tag="cast-via-cell2")
    in_cell2 = RpcEndpoint("cell2-host1")
    messaging.server(cell2, topic, "host1", in_cell2)

    assert in_cell2.wait_for(1)
    barrier = messaging.client(cell1, topic).prepare(server="host1")
    assert barrier.call({}, "record", tag="barrier-cell1")["server"] == "cell1-host1"
    assert in_cell2.items == ["cast-via-cell2"]
    assert in_cell1.items == ["barrier-cell1"]


def test_cast_before_any_listener_stays_in_its_cell(messaging: Messaging, inproc_url: URL) -> None:
    cell1 = messaging.rpc_transport(inproc_url("cell1"))
    cell2 = messaging.rpc_transport(inproc_url("cell2"))
    in_cell1 = RpcEndpoint("cell1")
    messaging.server(cell1, "compute", "host1", in_cell1)

    messaging.client(cell2, "compute").prepare(server="host1").cast({}, "record", tag="c2")
    messaging.client(cell2, "compute").prepare(fanout=True).cast({}, "record", tag="fan")
    in_cell2 = RpcEndpoint("cell2")
    messaging.server(cell2, "compute", "host1", in_cell2)

    assert in_cell2.wait_for(1)
    assert messaging.client(cell1, "compute").call({}, "record", tag="barrier")
    assert in_cell2.items == ["c2"]
    assert in_cell1.items == ["barrier"]


def test_notifications_stay_in_their_vhost(messaging: Messaging, inproc_url: URL) -> None:
    api = messaging.notification_transport(inproc_url("api"))
    cell1 = messaging.notification_transport(inproc_url("cell1"))
    on_api, on_cell1 = NotificationEndpoint("api"), NotificationEndpoint("cell1")
    messaging.listener(api, "notifications", on_api)
    messaging.listener(cell1, "notifications", on_cell1)

    messaging.notifier(cell1, "notifications").info({}, "compute.instance.update", {"n": 1})
    messaging.notifier(api, "notifications").info({}, "instance.create.end", {"n": 2})

    assert on_api.wait_for(1)
    assert on_cell1.wait_for(1)
    assert on_api.items == [("instance.create.end", {"n": 2})]
    assert on_cell1.items == [("compute.instance.update", {"n": 1})]
