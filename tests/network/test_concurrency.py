"""Concurrent callers, each with its own engine (as separate processes would be).

Threads start together at a barrier so their transactions really overlap; the store's
unique constraints, not any lock of this process, must keep the results consistent.
"""

from __future__ import annotations

import ipaddress
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import sqlalchemy as sa

from tessera.db.engines import create_engine
from tessera.network.records import Network, Port
from tessera.network.schema import networks, ports
from tessera.network.service import NetworkService
from tests.network.conftest import EngineFactory

T = TypeVar("T")

INSTANCES = 50
THREADS = 8


def run_together(count: int, work: Callable[[int], T]) -> list[T]:
    """``work(i)`` for i in range(count) on ``count`` threads released at once."""
    barrier = threading.Barrier(count)

    def start(index: int) -> T:
        barrier.wait(timeout=30)
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def test_schema_and_default_network_from_two_processes(fresh_db: Callable[[str], str]) -> None:
    url = fresh_db("net")
    engines = [create_engine(url), create_engine(url)]

    def boot(index: int) -> Network:
        return NetworkService(engines[index]).ensure_default_network()

    try:
        first, second = run_together(2, boot)
        assert first == second
        with engines[0].connect() as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(networks)).scalar_one()
        assert count == 1
    finally:
        for engine in engines:
            engine.dispose()


def test_default_network_from_two_threads(new_engine: EngineFactory) -> None:
    services = [NetworkService(new_engine()), NetworkService(new_engine())]
    first, second = run_together(2, lambda index: services[index].ensure_default_network())
    assert first == second
    with services[0].engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(networks)).scalar_one() == 1


def test_fifty_instances_from_eight_threads(new_engine: EngineFactory) -> None:
    services = [NetworkService(new_engine()) for _ in range(THREADS)]
    instances = [str(uuid.uuid4()) for _ in range(INSTANCES)]

    def allocate_share(index: int) -> list[Port]:
        mine = instances[index::THREADS]
        made: list[Port] = []
        for instance in mine:
            made.extend(services[index].allocate_for_instance(instance, "p1", "auto"))
        return made

    made = [port for share in run_together(THREADS, allocate_share) for port in share]

    assert sorted(port.device_id or "" for port in made) == sorted(instances)
    addresses = [port.ip_address for port in made]
    assert len(set(addresses)) == INSTANCES
    assert len({port.mac_address for port in made}) == INSTANCES
    # Every allocator took the lowest free address, so the pool fills without gaps.
    first = ipaddress.IPv4Address("10.0.0.2")
    assert sorted(addresses, key=ipaddress.IPv4Address) == [
        str(first + n) for n in range(INSTANCES)
    ]
    with services[0].engine.connect() as conn:
        rows = conn.execute(sa.select(ports.c.ip_address, ports.c.mac_address)).all()
    assert sorted(row.ip_address for row in rows) == sorted(addresses)


def test_same_instance_allocated_twice_at_once(service: NetworkService) -> None:
    network = service.ensure_default_network()
    extra = service.create_network("extra", "172.16.0.0/28", shared=True)
    instance = str(uuid.uuid4())
    request = [{"uuid": network.id}, {"uuid": extra.id}]

    results = run_together(4, lambda _i: service.allocate_for_instance(instance, "p1", request))
    assert all(result == results[0] for result in results)
    assert service.ports_of(instance) == results[0]
    assert len(results[0]) == 2


def test_allocate_and_deallocate_churn_never_shares_an_address(service: NetworkService) -> None:
    service.ensure_default_network()
    rounds = 6

    def churn(_index: int) -> None:
        for _ in range(rounds):
            instance = str(uuid.uuid4())
            service.allocate_for_instance(instance, "p1", "auto")
            service.deallocate_for_instance(instance)
            service.allocate_for_instance(str(uuid.uuid4()), "p1", "auto")

    run_together(THREADS, churn)
    with service.engine.connect() as conn:
        addresses = list(conn.execute(sa.select(ports.c.ip_address)).scalars())
    assert len(addresses) == THREADS * rounds
    assert len(set(addresses)) == len(addresses)
