"""PlacementClient against the real placement app, in-process on SQLite."""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

from tessera.placement.client import Claim, Inventory, PlacementClient, Response, Transport
from tessera.placement.embedded import EmbeddedPlacement
from tessera.placement.errors import CapacityExceeded, ConcurrentUpdate, Conflict, NotFound
from tessera.placement.records import JSONObject

MakeHost = Callable[..., str]
SMALL = {"VCPU": Inventory(4), "MEMORY_MB": Inventory(4096)}
FLAVOR = {"VCPU": 1, "MEMORY_MB": 512}
T = TypeVar("T")


def _uuid() -> str:
    return str(uuid.uuid4())


class CountingTransport:
    """Wraps a transport and records the method and path of every request."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []

    def request(
        self, method: str, path: str, body: JSONObject | None = None, version: str = "1.39"
    ) -> Response:
        self.calls.append((method, path))
        return self.inner.request(method, path, body, version)


def test_provider_and_inventory(client: PlacementClient) -> None:
    rp = _uuid()
    assert client.ensure_resource_provider(rp, "host1") == 0
    assert client.ensure_resource_provider(rp, "host1") == 0  # idempotent
    generation = client.set_inventory(rp, {"VCPU": Inventory(16, allocation_ratio=4.0)})
    assert generation == 1
    summary = client.get_allocation_candidates({"VCPU": 1}).summaries[rp]
    assert summary.resources["VCPU"].capacity == 64
    assert summary.resources["VCPU"].used == 0


def test_set_inventory_retries_once_on_a_stale_generation(client: PlacementClient) -> None:
    rp = _uuid()
    client.ensure_resource_provider(rp, "host1")
    client.set_inventory(rp, {"VCPU": Inventory(8)})
    # Generation 0 is stale now: the client re-reads it and succeeds.
    assert client.set_inventory(rp, {"VCPU": Inventory(16)}, generation=0) == 2
    assert (
        client.get_allocation_candidates({"VCPU": 1}).summaries[rp].resources["VCPU"].capacity == 16
    )


def test_set_inventory_of_unknown_provider_is_not_found(client: PlacementClient) -> None:
    with pytest.raises(NotFound):
        client.set_inventory(_uuid(), {"VCPU": Inventory(1)})


def test_ensure_refuses_a_name_taken_by_another_provider(client: PlacementClient) -> None:
    client.ensure_resource_provider(_uuid(), "host1")
    with pytest.raises(Conflict, match="host1"):
        client.ensure_resource_provider(_uuid(), "host1")


def test_candidates_are_filtered_by_capacity(client: PlacementClient, make_host: MakeHost) -> None:
    small = make_host("small", SMALL)
    big = make_host("big")
    candidates = client.get_allocation_candidates({"VCPU": 8, "MEMORY_MB": 1024})
    assert list(candidates.by_root_provider()) == [big]
    assert candidates.requests[0].allocations == {big: {"VCPU": 8, "MEMORY_MB": 1024}}
    both = client.get_allocation_candidates({"VCPU": 2})
    assert set(both.by_root_provider()) == {small, big}
    assert len(client.get_allocation_candidates({"VCPU": 2}, limit=1).requests) == 1


def test_candidates_in_tree_and_member_of(
    client: PlacementClient, embedded: EmbeddedPlacement, make_host: MakeHost
) -> None:
    first, second = make_host("first"), make_host("second")
    assert list(client.get_allocation_candidates(FLAVOR, in_tree=first).summaries) == [first]
    aggregate = _uuid()
    body = {"aggregates": [aggregate], "resource_provider_generation": 1}
    resp = embedded.transport().request("PUT", f"/resource_providers/{second}/aggregates", body)
    assert resp.status == 200
    found = client.get_allocation_candidates(FLAVOR, member_of=[aggregate, _uuid()])
    assert list(found.summaries) == [second]


def test_claim_uses_capacity(client: PlacementClient, make_host: MakeHost) -> None:
    rp = make_host("host1")
    consumer = _uuid()
    assert client.claim(consumer, {rp: FLAVOR}, "project", "user")
    held = client.get_allocations(consumer)
    assert held.allocations == {rp: FLAVOR}
    assert (held.project_id, held.user_id, held.consumer_type) == ("project", "user", "INSTANCE")
    assert held.consumer_generation == 1
    assert client.get_provider_usages(rp) == {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 0}
    summary = client.get_allocation_candidates(FLAVOR).summaries[rp]
    assert summary.resources["MEMORY_MB"].used == 512


def test_claim_returns_false_when_the_host_is_full(
    client: PlacementClient, make_host: MakeHost
) -> None:
    rp = make_host("small", SMALL)
    assert client.claim(_uuid(), {rp: {"VCPU": 4}}, "project", "user")
    assert not client.claim(_uuid(), {rp: {"VCPU": 1}}, "project", "user")
    assert not client.claim(_uuid(), {rp: {"DISK_GB": 1}}, "project", "user")  # no such inventory
    assert client.get_allocation_candidates({"VCPU": 1}).requests == ()


def test_claim_with_a_stale_consumer_generation_raises(
    client: PlacementClient, make_host: MakeHost
) -> None:
    rp = make_host("host1")
    consumer = _uuid()
    assert client.claim(consumer, {rp: FLAVOR}, "project", "user")
    with pytest.raises(ConcurrentUpdate, match="consumer generation conflict"):
        client.claim(consumer, {rp: {"VCPU": 2}}, "project", "user")
    assert client.claim(consumer, {rp: {"VCPU": 2}}, "project", "user", consumer_generation=1)
    assert client.get_allocations(consumer).allocations == {rp: {"VCPU": 2}}


def test_claim_many_writes_every_consumer_in_one_request(
    embedded: EmbeddedPlacement, make_host: MakeHost
) -> None:
    first, second = make_host("first"), make_host("second")
    counting = CountingTransport(embedded.transport())
    client = PlacementClient(counting)
    claims = [
        Claim(_uuid(), {rp: FLAVOR}, "project", "user") for rp in (first, second, first, second)
    ]
    client.claim_many(claims)
    assert counting.calls == [("POST", "/allocations")]
    for claim in claims:
        assert client.get_allocations(claim.consumer_uuid).allocations == claim.allocations
    assert client.get_provider_usages(first)["VCPU"] == 2


def test_claim_many_is_all_or_nothing(client: PlacementClient, make_host: MakeHost) -> None:
    rp = make_host("small", SMALL)
    claims = [Claim(_uuid(), {rp: {"VCPU": 2}}, "project", "user") for _ in range(3)]
    with pytest.raises(CapacityExceeded, match="Unable to allocate inventory"):
        client.claim_many(claims)
    assert all(not client.get_allocations(c.consumer_uuid).allocations for c in claims)
    assert client.get_provider_usages(rp)["VCPU"] == 0
    client.claim_many(claims[:2])  # two do fit
    assert client.get_provider_usages(rp)["VCPU"] == 4


def test_claim_many_rejects_a_repeated_consumer(client: PlacementClient) -> None:
    claim = Claim(_uuid(), {}, "project", "user")
    with pytest.raises(ValueError, match="more than once"):
        client.claim_many([claim, claim])
    client.claim_many([])  # nothing to do, no request


def test_delete_allocations(client: PlacementClient, make_host: MakeHost) -> None:
    rp = make_host("host1")
    consumer = _uuid()
    client.claim(consumer, {rp: FLAVOR}, "project", "user")
    assert client.delete_allocations(consumer)
    assert not client.delete_allocations(consumer)
    assert client.get_allocations(consumer).allocations == {}
    assert client.get_provider_usages(rp)["VCPU"] == 0


def test_usages_per_project_and_user(client: PlacementClient, make_host: MakeHost) -> None:
    rp = make_host("host1")
    client.claim(_uuid(), {rp: FLAVOR}, "p1", "alice")
    client.claim(_uuid(), {rp: {"VCPU": 2, "MEMORY_MB": 1024}}, "p1", "bob")
    client.claim(_uuid(), {rp: {"VCPU": 4}}, "p2", "alice")
    assert client.get_usages("p1") == {"VCPU": 3, "MEMORY_MB": 1536}
    assert client.get_usages("p1", "bob") == {"VCPU": 2, "MEMORY_MB": 1024}
    assert client.get_usages("nobody") == {}


def test_move_allocations(client: PlacementClient, make_host: MakeHost) -> None:
    rp = make_host("host1")
    instance, migration = _uuid(), _uuid()
    client.claim(instance, {rp: FLAVOR}, "project", "user")
    assert client.move_allocations(instance, migration, consumer_type="MIGRATION")
    assert client.get_allocations(instance).allocations == {}
    moved = client.get_allocations(migration)
    assert moved.allocations == {rp: FLAVOR}
    assert (moved.project_id, moved.consumer_type) == ("project", "MIGRATION")
    assert client.get_provider_usages(rp)["VCPU"] == 1
    assert not client.move_allocations(instance, migration)  # nothing left to move
    assert client.move_allocations(migration, instance)  # and back
    assert client.get_allocations(instance).consumer_type == "MIGRATION"


def test_delete_resource_provider(client: PlacementClient, make_host: MakeHost) -> None:
    rp = make_host("host1")
    consumer = _uuid()
    client.claim(consumer, {rp: FLAVOR}, "project", "user")
    with pytest.raises(Conflict, match="has allocations"):
        client.delete_resource_provider(rp)
    client.delete_allocations(consumer)
    assert client.delete_resource_provider(rp)
    assert not client.delete_resource_provider(rp)


def _race(threads: int, call: Callable[[], T]) -> list[T]:
    """Run ``call`` in ``threads`` threads released at the same moment."""
    barrier = threading.Barrier(threads)

    def run(_: int) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, range(threads)))


def test_concurrent_ensure_resource_provider(
    client: PlacementClient, embedded: EmbeddedPlacement
) -> None:
    providers = [(_uuid(), f"host{i}") for i in range(5)]
    for rp, name in providers:
        assert _race(4, functools.partial(client.ensure_resource_provider, rp, name)) == [0] * 4
    listed = embedded.transport().request("GET", "/resource_providers").json or {}
    assert sorted(p["uuid"] for p in listed["resource_providers"]) == sorted(
        u for u, _ in providers
    )


def test_concurrent_claims_never_overcommit(client: PlacementClient, make_host: MakeHost) -> None:
    rp = make_host("small", SMALL)

    def claim() -> bool:
        return client.claim(_uuid(), {rp: {"VCPU": 1}}, "project", "user")

    assert _race(8, claim).count(True) == 4
    assert client.get_provider_usages(rp)["VCPU"] == 4
