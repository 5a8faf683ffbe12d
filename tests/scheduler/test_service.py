"""The whole scheduler service over in-process messaging: RPC, errors, discovery, record."""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tessera.context import RequestContext
from tessera.db.engines import Databases
from tessera.objects import service
from tessera.rpc.notifier import Notifier
from tessera.rpc.registry import TransportRegistry
from tessera.scheduler.errors import ALLOWED_REMOTE_EXMODS, NoValidHost
from tessera.scheduler.rpcapi import SchedulerAPI
from tessera.scheduler.service import BINARY, build_scheduler_service
from tests.rpc.helpers import wait_until
from tests.scheduler.helpers import Cloud, new_uuids, spec

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import oslo_messaging

CTX = RequestContext(user_id="user1", project_id="project1")


@pytest.fixture
def running(scloud: Cloud, _fresh_brokers: None) -> Iterator[TransportRegistry]:
    """A started scheduler on a private in-process vhost.

    Computes and options the test sets up before asking for this fixture are
    there at start-up.
    """
    conf = scloud.conf
    conf.set_override("transport_url", f"inproc:///t{secrets.token_hex(4)}-api")
    conf.set_override("connection", scloud.dbs.api, group="api_database")
    conf.set_override("connection", scloud.dbs.cell0, group="database")
    conf.set_override("host", "sched1")
    transports, databases = TransportRegistry(conf), Databases()
    scheduler = build_scheduler_service(conf, transports, databases, scloud.placement)
    scheduler.start()
    yield transports
    scheduler.stop()
    scheduler.wait()
    transports.cleanup()
    databases.dispose()


def client(transports: TransportRegistry) -> tuple[SchedulerAPI, Any]:
    """A scheduler client whose transport lets NoValidHost through as itself."""
    transport = oslo_messaging.get_rpc_transport(
        transports.conf,
        url=transports.conf.transport_url,
        allowed_remote_exmods=ALLOWED_REMOTE_EXMODS,
    )
    return SchedulerAPI(transport, timeout=30), transport


@pytest.fixture
def early(scloud: Cloud) -> str:
    """An unmapped compute that exists before the scheduler starts; discovery every 60 s."""
    scloud.add_compute("cell1", "early", mapped=False)
    scloud.conf.set_override("discover_hosts_in_cells_interval", 0, group="scheduler")
    return "early"


def test_scheduler_service_end_to_end(
    scloud: Cloud, early: str, running: TransportRegistry
) -> None:
    # Periodic discovery runs right at start. A host is usable as soon as its mapping
    # is written, even before the discovering scheduler reloads its cache.
    assert wait_until(lambda: scloud.mapped_hosts() == [early])

    api, transport = client(running)
    uuid = new_uuids(1)[0]
    [[selected]] = api.select_destinations(CTX, spec(), [uuid])
    assert selected.service_host == "early"
    assert list(scloud.held(uuid)) == [scloud.nodes["early"]]

    with pytest.raises(NoValidHost) as info:
        api.select_destinations(CTX, spec(), new_uuids(20))
    assert info.value.message == "No valid host was found. There are not enough hosts available."

    with scloud.dbs.engine("cell0").connect() as conn:
        record = service.get_by_host_and_binary(conn, "sched1", BINARY)
    assert record is not None and record.topic == "scheduler"
    transport.cleanup()


def test_compute_service_notification_maps_the_host(
    scloud: Cloud, running: TransportRegistry
) -> None:
    # No periodic discovery here (the default): only the event can map it.
    scloud.add_compute("cell2", "fresh", mapped=False)
    notifier = Notifier(running, scloud.conf.transport_url, "tessera-compute", "fresh")
    notifier.info(CTX, "service.create", {"host": "fresh", "binary": "tessera-compute"})
    assert wait_until(lambda: "fresh" in scloud.mapped_hosts(), timeout=10)

    def node_marked_mapped() -> bool:
        with scloud.dbs.engine("cell2").connect() as conn:
            return conn.execute(sa.text("SELECT mapped FROM compute_nodes")).scalar_one() == 1

    # Discovery commits the host mapping (API DB) before it marks the node (cell DB).
    assert wait_until(node_marked_mapped, timeout=10)
