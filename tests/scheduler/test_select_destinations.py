"""select_destinations against real cell databases (SQLite) and a real embedded placement."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tessera.context import RequestContext
from tessera.objects.selection import Selection
from tessera.placement.client import PlacementClient, Response, Transport
from tessera.placement.embedded import EmbeddedPlacement
from tessera.placement.records import JSONObject
from tessera.scheduler.errors import NoValidHost
from tessera.scheduler.manager import SchedulerManager
from tests.scheduler.helpers import (
    CELL1_UUID,
    CELL2_UUID,
    TINY,
    Cloud,
    CountingTransport,
    inventory,
    new_uuids,
    spec,
)

CTX = RequestContext(user_id="user1", project_id="project1")


def select(
    manager: SchedulerManager, request: dict[str, Any], count: int = 1
) -> tuple[list[str], list[list[Selection]]]:
    """Schedule ``count`` new instances; return their uuids and selections."""
    uuids = new_uuids(count)
    raw = manager.select_destinations(CTX, request, uuids)
    return uuids, [[Selection.from_dict(s) for s in hosts] for hosts in raw]


def hosts_of(selections: list[Selection]) -> list[str]:
    return [s.service_host for s in selections]


@pytest.fixture
def graded(scloud: Cloud) -> Cloud:
    """Six hosts, three per cell, RAM interleaved: a1 > b1 > a2 > b2 > a3 > b3."""
    for i, host in enumerate(["a1", "b1", "a2", "b2", "a3", "b3"]):
        cell = "cell1" if host.startswith("a") else "cell2"
        scloud.add_compute(cell, host, inventory(ram=64000 - 4000 * i))
    return scloud


def test_selection_and_alternates_come_from_one_cell(graded: Cloud) -> None:
    uuids, result = select(graded.manager(), spec())
    assert hosts_of(result[0]) == ["a1", "a2", "a3"]
    selected = result[0][0]
    assert {s.cell_uuid for s in result[0]} == {CELL1_UUID}
    assert selected.nodename == "a1.node"
    assert selected.availability_zone == "nova"
    assert graded.held(uuids[0]) == {
        graded.nodes["a1"]: {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
    }
    allocations = selected.allocation_request["allocations"]
    assert allocations == {
        graded.nodes["a1"]: {"resources": {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}}
    }
    assert all(graded.used(h) == 0 for h in ["a2", "a3", "b1"])  # alternates are not claimed


def test_alternates_skip_hosts_selected_for_other_instances(graded: Cloud) -> None:
    group = {"policy": "anti-affinity", "hosts": []}
    _, result = select(graded.manager(), spec(instance_group=group), count=2)
    assert hosts_of(result[0]) == ["a1", "a2", "a3"]
    assert hosts_of(result[1]) == ["b1", "b2", "b3"]
    assert [graded.used(h) for h in ("a1", "b1")] == [1, 1]


def test_max_attempts_bounds_alternates(graded: Cloud) -> None:
    graded.conf.set_override("max_attempts", 1, group="scheduler")
    _, result = select(graded.manager(), spec())
    assert hosts_of(result[0]) == ["a1"]


def test_disabled_cell_gets_nothing(graded: Cloud) -> None:
    graded.disable("cell1")
    _, result = select(graded.manager(), spec(), count=2)
    assert {s.cell_uuid for hosts in result for s in hosts} == {CELL2_UUID}
    assert all(graded.used(h) == 0 for h in ("a1", "a2", "a3"))


def test_requested_cell_is_used_even_when_disabled(graded: Cloud) -> None:
    graded.disable("cell1")
    destination = {"cell_uuid": CELL1_UUID, "host": None}
    _, result = select(graded.manager(), spec(requested_destination=destination))
    assert hosts_of(result[0]) == ["a1", "a2", "a3"]


def test_down_disabled_and_unmapped_hosts_are_skipped(scloud: Cloud) -> None:
    scloud.add_compute("cell1", "down", inventory(ram=90000), up=False)
    scloud.add_compute("cell1", "off", inventory(ram=80000), disabled=True)
    scloud.add_compute("cell1", "new", inventory(ram=70000), mapped=False)
    scloud.add_compute("cell2", "ok")
    _, result = select(scloud.manager(), spec())
    assert hosts_of(result[0]) == ["ok"]


def test_availability_zone_from_aggregates(scloud: Cloud) -> None:
    scloud.add_compute("cell1", "big", inventory(ram=90000))
    scloud.add_compute("cell2", "zoned")
    scloud.add_aggregate("agg", ["zoned"], {"availability_zone": "az1", "ssd": "true"})
    manager = scloud.manager()
    _, result = select(manager, spec(availability_zone="az1"))
    assert hosts_of(result[0]) == ["zoned"]
    assert result[0][0].availability_zone == "az1"
    _, result = select(manager, spec())
    assert result[0][0].service_host == "big"


def test_ignore_and_force_hosts(graded: Cloud) -> None:
    manager = graded.manager()
    _, result = select(manager, spec(ignore_hosts=["a1"]))
    assert result[0][0].service_host == "b1"
    _, result = select(manager, spec(force_hosts=["b3"]))
    assert hosts_of(result[0]) == ["b3"]


def test_no_candidates_at_all(scloud: Cloud) -> None:
    scloud.add_compute("cell1", "small", inventory(vcpus=1))
    big = spec(flavor=replace(TINY, vcpus=4))
    with pytest.raises(NoValidHost) as info:
        select(scloud.manager(), big)
    assert info.value.message == "No valid host was found. "


def test_not_enough_hosts_claims_nothing(scloud: Cloud) -> None:
    for host in ("h1", "h2"):
        scloud.add_compute("cell1", host, inventory(vcpus=1))
    uuids = new_uuids(3)
    with pytest.raises(NoValidHost) as info:
        scloud.manager().select_destinations(CTX, spec(), uuids)
    assert info.value.message == "No valid host was found. There are not enough hosts available."
    assert all(scloud.held(u) == {} for u in uuids)
    assert scloud.used("h1") == scloud.used("h2") == 0


def test_multi_instance_claims_in_one_placement_request(
    scloud: Cloud, embedded: EmbeddedPlacement
) -> None:
    for host in ("h1", "h2", "h3"):
        scloud.add_compute("cell1", host)
    counting = CountingTransport(embedded.transport())
    manager = scloud.manager(PlacementClient(counting))
    uuids, result = select(manager, spec(), count=5)
    assert counting.calls == [("GET", "/allocation_candidates"), ("POST", "/allocations")]
    assert sorted(scloud.used(h) for h in ("h1", "h2", "h3")) == [1, 2, 2]
    for uuid, hosts in zip(uuids, result, strict=True):
        assert list(scloud.held(uuid)) == [hosts[0].compute_node_uuid]


class Intruder(CountingTransport):
    """Runs ``intrude`` (another scheduler's claim) just before the first multi-claim."""

    def __init__(self, inner: Transport, intrude: Callable[[], None]) -> None:
        super().__init__(inner)
        self.intrude = intrude

    def request(
        self, method: str, path: str, body: JSONObject | None = None, version: str = "1.39"
    ) -> Response:
        if (method, path) == ("POST", "/allocations") and (method, path) not in self.calls:
            self.intrude()
        return super().request(method, path, body, version)


def fill_h2(cloud: Cloud) -> Callable[[], None]:
    """Another scheduler's claim taking all of h2."""

    def intrude() -> None:
        node = cloud.nodes["h2"]
        assert cloud.placement.claim(new_uuids(1)[0], {node: {"VCPU": 2}}, "p", "u")

    return intrude


def test_conflict_falls_back_to_one_by_one_and_releases_on_failure(
    scloud: Cloud, embedded: EmbeddedPlacement
) -> None:
    for host in ("h1", "h2"):
        scloud.add_compute("cell1", host, inventory(vcpus=2))
    transport = Intruder(embedded.transport(), fill_h2(scloud))
    manager = scloud.manager(PlacementClient(transport))
    uuids = new_uuids(3)
    with pytest.raises(NoValidHost):
        manager.select_destinations(CTX, spec(), uuids)
    one_by_one = [path for method, path in transport.calls if method == "PUT"]
    assert len(one_by_one) >= 2
    assert all(scloud.held(u) == {} for u in uuids)
    assert (scloud.used("h1"), scloud.used("h2")) == (0, 2)


def test_conflict_falls_back_to_the_next_best_host(
    scloud: Cloud, embedded: EmbeddedPlacement
) -> None:
    for host in ("h1", "h2", "h3"):
        scloud.add_compute("cell1", host, inventory(vcpus=2))
    manager = scloud.manager(PlacementClient(Intruder(embedded.transport(), fill_h2(scloud))))
    uuids, result = select(manager, spec(), count=3)
    assert sorted(s[0].service_host for s in result) in (["h1", "h1", "h3"], ["h1", "h3", "h3"])
    assert scloud.used("h2") == 2
    assert all(len(scloud.held(u)) == 1 for u in uuids)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_unreachable_cell_is_skipped_quickly(
    scloud: Cloud, tmp_path: Path, silent_server: int, kind: str
) -> None:
    dead = (
        f"sqlite:///{tmp_path}/missing/dir/cell.db"
        if kind == "refused"
        else f"mysql+pymysql://root@127.0.0.1:{silent_server}/cell3"
    )
    scloud.add_cell("cell3", dead, "33333333-3333-4333-8333-333333333333")
    scloud.conf.set_override("cell_timeout", 1.0)
    scloud.add_compute("cell1", "alive")
    manager = scloud.manager()
    started = time.monotonic()
    _, result = select(manager, spec())
    assert hosts_of(result[0]) == ["alive"]
    assert time.monotonic() - started < 3.0


class Flaky(CountingTransport):
    """Answers allocation writes with 503 while ``failing`` is set."""

    failing = True

    def request(
        self, method: str, path: str, body: JSONObject | None = None, version: str = "1.39"
    ) -> Response:
        if self.failing and method in ("POST", "PUT") and path.startswith("/allocations"):
            return Response(503, {"errors": [{"detail": "down for maintenance"}]})
        return super().request(method, path, body, version)


def test_placement_failing_to_claim_leaves_nothing_behind(
    scloud: Cloud, embedded: EmbeddedPlacement
) -> None:
    for host in ("h1", "h2"):
        scloud.add_compute("cell1", host, inventory(vcpus=1))
    transport = Flaky(embedded.transport())
    manager = scloud.manager(PlacementClient(transport))
    with pytest.raises(NoValidHost):
        manager.select_destinations(CTX, spec(), new_uuids(1))
    transport.failing = False
    # No reservation of the failed request lingers: both hosts are still usable.
    _, result = select(manager, spec(), count=2)
    assert sorted(s[0].service_host for s in result) == ["h1", "h2"]
