"""Group commit of claims: concurrent requests share placement writes, each keeps its own answer."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from tessera.context import RequestContext
from tessera.placement.client import Claim, PlacementClient, Response, Transport
from tessera.placement.embedded import EmbeddedPlacement
from tessera.placement.errors import PlacementError
from tessera.placement.records import JSONObject
from tessera.scheduler.claim_batch import ClaimBatcher
from tests.scheduler.helpers import Cloud, CountingTransport, inventory, new_uuids, spec

CTX = RequestContext(user_id="user1", project_id="project1")
WAIT = 30.0
"""Seconds any test waits for other threads before failing (generous: CI machines are busy)."""


def is_write(call: tuple[str, str]) -> bool:
    method, path = call
    return method in ("POST", "PUT") and path.startswith("/allocations")


class HeldWrites(CountingTransport):
    """Holds the first allocation write until :meth:`release`; can fail writes with a 503."""

    def __init__(self, inner: Transport) -> None:
        super().__init__(inner)
        self.entered = threading.Event()
        self._released = threading.Event()
        self._held_one = False
        self._lock = threading.Lock()
        self.failing = False

    def release(self) -> None:
        self._released.set()

    def request(
        self, method: str, path: str, body: JSONObject | None = None, version: str = "1.39"
    ) -> Response:
        if is_write((method, path)):
            with self._lock:
                hold, self._held_one = not self._held_one, True
            if hold:
                self.entered.set()
                assert self._released.wait(WAIT)
            if self.failing:
                self.calls.append((method, path))
                return Response(503, {"errors": [{"detail": "down for maintenance"}]})
        return super().request(method, path, body, version)


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the other threads"
        time.sleep(0.005)


def writes(transport: CountingTransport) -> int:
    return sum(1 for call in transport.calls if is_write(call))


# --------------------------------------------------------------------------- the batcher


class Providers:
    """Providers in the embedded placement, and claims on them."""

    def __init__(self, client: PlacementClient) -> None:
        self.client = client

    def add(self, name: str, vcpus: int) -> str:
        node = new_uuids(1)[0]
        generation = self.client.ensure_resource_provider(node, name)
        self.client.set_inventory(node, inventory(vcpus=vcpus), generation)
        return node

    @staticmethod
    def claim(node: str, vcpus: int = 1) -> Claim:
        return Claim(new_uuids(1)[0], {node: {"VCPU": vcpus}}, "project1", "user1")


@pytest.fixture
def providers(embedded: EmbeddedPlacement) -> Providers:
    return Providers(PlacementClient(embedded.transport()))


def held_batch(
    embedded: EmbeddedPlacement, first: list[Claim], queued: list[list[Claim]]
) -> tuple[HeldWrites, ClaimBatcher, Future[bool], list[Future[bool]]]:
    """Start ``first`` (its write is held), queue ``queued`` behind it; nothing released yet."""
    transport = HeldWrites(embedded.transport())
    batcher = ClaimBatcher(PlacementClient(transport))
    pool = ThreadPoolExecutor(1 + len(queued))
    leader = pool.submit(batcher.claim, first)
    assert transport.entered.wait(WAIT)
    followers = [pool.submit(batcher.claim, claims) for claims in queued]
    wait_until(lambda: batcher.queued == len(queued))
    pool.shutdown(wait=False)
    return transport, batcher, leader, followers


def test_a_lone_request_is_written_at_once(
    providers: Providers, embedded: EmbeddedPlacement
) -> None:
    node = providers.add("h1", vcpus=4)
    transport = CountingTransport(embedded.transport())
    claims = [providers.claim(node), providers.claim(node)]
    assert ClaimBatcher(PlacementClient(transport)).claim(claims)
    assert transport.calls == [("POST", "/allocations")]
    assert providers.client.get_provider_usages(node)["VCPU"] == 2


def test_requests_queued_during_a_write_share_the_next_one(
    providers: Providers, embedded: EmbeddedPlacement
) -> None:
    node = providers.add("h1", vcpus=16)
    queued = [[providers.claim(node)] for _ in range(5)]
    transport, _, leader, followers = held_batch(embedded, [providers.claim(node)], queued)
    transport.release()
    assert leader.result(WAIT) and all(f.result(WAIT) for f in followers)
    assert writes(transport) == 2  # the held one, then all five queued together
    for claims in queued:
        held = providers.client.get_allocations(claims[0].consumer_uuid).allocations
        assert held == {node: {"VCPU": 1}}
    assert providers.client.get_provider_usages(node)["VCPU"] == 6


def test_a_claim_that_does_not_fit_fails_only_its_own_request(
    providers: Providers, embedded: EmbeddedPlacement
) -> None:
    roomy = providers.add("roomy", vcpus=16)
    full = providers.add("full", vcpus=1)
    assert providers.client.claim(new_uuids(1)[0], {full: {"VCPU": 1}}, "p", "u")
    good = [providers.claim(roomy), providers.claim(roomy)]
    bad = [providers.claim(roomy), providers.claim(full)]  # all or nothing: neither stays
    queued = [[good[0]], bad, [good[1]]]
    transport, _, leader, followers = held_batch(embedded, [providers.claim(roomy)], queued)
    transport.release()
    assert leader.result(WAIT)
    assert [f.result(WAIT) for f in followers] == [True, False, True]
    # Held write, the refused batch, then each of the three requests alone.
    assert writes(transport) == 5
    for claim in good:
        assert providers.client.get_allocations(claim.consumer_uuid).allocations
    for claim in bad:
        assert providers.client.get_allocations(claim.consumer_uuid).allocations == {}
    assert providers.client.get_provider_usages(roomy)["VCPU"] == 3


def test_one_consumer_twice_is_never_written_twice(
    providers: Providers, embedded: EmbeddedPlacement
) -> None:
    node = providers.add("h1", vcpus=16)
    twice = providers.claim(node)
    queued = [[twice], [providers.claim(node)], [twice]]
    transport, _, leader, followers = held_batch(embedded, [providers.claim(node)], queued)
    transport.release()
    assert leader.result(WAIT)
    # The repeat waits for a write of its own, where placement refuses the existing consumer.
    assert [f.result(WAIT) for f in followers] == [True, True, False]
    assert writes(transport) == 3
    assert providers.client.get_provider_usages(node)["VCPU"] == 3


def test_a_failing_placement_fails_every_request_of_the_batch(
    providers: Providers, embedded: EmbeddedPlacement
) -> None:
    node = providers.add("h1", vcpus=16)
    queued = [[providers.claim(node)] for _ in range(3)]
    transport, batcher, leader, followers = held_batch(embedded, [providers.claim(node)], queued)
    transport.failing = True
    transport.release()
    for future in [leader, *followers]:
        with pytest.raises(PlacementError, match="down for maintenance"):
            future.result(WAIT)
    assert writes(transport) == 2  # no pointless one-by-one retries against a failing placement
    # The batcher is idle again and works once placement does.
    transport.failing = False
    assert batcher.queued == 0
    assert batcher.claim([providers.claim(node)])
    assert providers.client.get_provider_usages(node).get("VCPU", 0) == 1


def test_a_consumer_twice_in_one_request_is_rejected(providers: Providers) -> None:
    node = providers.add("h1", vcpus=4)
    claim = providers.claim(node)
    with pytest.raises(ValueError, match="more than once"):
        ClaimBatcher(providers.client).claim([claim, claim])


# --------------------------------------------------------------------------- the scheduler


class SlowWrites(CountingTransport):
    """Allocation writes take a while, as under load, so a burst queues behind each one."""

    def request(
        self, method: str, path: str, body: JSONObject | None = None, version: str = "1.39"
    ) -> Response:
        if is_write((method, path)):
            time.sleep(0.05)
        return super().request(method, path, body, version)


def test_a_burst_shares_few_placement_writes(scloud: Cloud, embedded: EmbeddedPlacement) -> None:
    hosts = [f"h{i}" for i in range(4)]
    for i, host in enumerate(hosts):
        scloud.add_compute("cell1" if i % 2 else "cell2", host, inventory(vcpus=64))
    transport = SlowWrites(embedded.transport())
    manager = scloud.manager(PlacementClient(transport))
    uuids = new_uuids(40)
    start = threading.Barrier(len(uuids))

    def one(uuid: str) -> str:
        start.wait(WAIT)
        return str(manager.select_destinations(CTX, spec(), [uuid])[0][0]["service_host"])

    with ThreadPoolExecutor(len(uuids)) as pool:
        chosen = list(pool.map(one, uuids))
    print(f"40 requests, {writes(transport)} placement writes")
    assert writes(transport) <= 20
    for uuid, host in zip(uuids, chosen, strict=True):
        assert scloud.held(uuid) == {
            scloud.nodes[host]: {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
        }
    counts = Counter(chosen)
    assert {h: scloud.used(h) for h in hosts} == {h: counts[h] for h in hosts}
    assert max(counts.values()) - min(counts.values()) <= 2  # still spread by the ledger


def test_a_request_whose_host_filled_up_in_a_batch_moves_on(
    scloud: Cloud, embedded: EmbeddedPlacement
) -> None:
    hosts = ["h1", "h2", "h3"]
    for host in hosts:
        scloud.add_compute("cell1", host, inventory(vcpus=8))
    transport = HeldWrites(embedded.transport())
    manager = scloud.manager(PlacementClient(transport))
    batcher = manager._claimer.batcher
    uuids = new_uuids(6)

    def one(uuid: str) -> str:
        return str(manager.select_destinations(CTX, spec(), [uuid])[0][0]["service_host"])

    with ThreadPoolExecutor(len(uuids)) as pool:
        futures = [pool.submit(one, uuids[0])]
        assert transport.entered.wait(WAIT)
        futures += [pool.submit(one, uuid) for uuid in uuids[1:]]
        wait_until(lambda: batcher.queued == len(uuids) - 1)
        # Another scheduler takes all of h2 while this one's claims wait.
        assert scloud.placement.claim(new_uuids(1)[0], {scloud.nodes["h2"]: {"VCPU": 8}}, "p", "u")
        transport.release()
        chosen = [f.result(WAIT) for f in futures]
    assert "h2" not in chosen
    # Some request had chosen h2 and moved on to its next-best host, one by one.
    assert any(method == "PUT" for method, _ in transport.calls)
    for uuid, host in zip(uuids, chosen, strict=True):
        assert list(scloud.held(uuid)) == [scloud.nodes[host]]
    assert [scloud.used(h) for h in hosts] == [chosen.count("h1"), 8, chosen.count("h3")]
