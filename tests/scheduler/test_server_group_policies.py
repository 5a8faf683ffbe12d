"""Server group policies in the scheduler: filters, soft weighers, concurrent requests.

The end-to-end boots are in ``tests/functional/test_server_groups.py``; here the
spec's ``instance_group`` is written by hand, as the super conductor fills it.
"""

from __future__ import annotations

import uuid as uuidlib
from collections import Counter
from typing import Any

import pytest

from tessera.scheduler.errors import NoValidHost
from tessera.scheduler.filters.server_group import (
    ServerGroupAffinityFilter,
    ServerGroupAntiAffinityFilter,
)
from tessera.scheduler.group_picks import GroupPicks
from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest
from tessera.scheduler.weighers import rank
from tessera.scheduler.weighers.affinity import (
    ServerGroupSoftAffinityWeigher,
    ServerGroupSoftAntiAffinityWeigher,
)
from tests.scheduler.helpers import Cloud, inventory, spec
from tests.scheduler.test_select_destinations import hosts_of, select

HOSTS = [HostState(f"n-{h}", h, f"{h}.node", "cell") for h in ("a", "b", "c")]


def group(
    policy: str, members: dict[str, str | None] | None = None, **extra: Any
) -> dict[str, Any]:
    """An ``instance_group`` entry as the super conductor writes it."""
    placed = members or {}
    return {
        "uuid": extra.pop("uuid", str(uuidlib.uuid4())),
        "policy": policy,
        "rules": extra.pop("rules", {}),
        "members": list(placed),
        "hosts": sorted({h for h in placed.values() if h}),
        "member_hosts": placed,
        **extra,
    }


def request(**values: Any) -> SchedulingRequest:
    return SchedulingRequest(resources={"VCPU": 1}, project_id="p", user_id="u", **values)


def passing(f: Any, req: SchedulingRequest, chosen: tuple[str, ...] = ()) -> list[str]:
    return [h.host for h in HOSTS if f.host_passes(h, req, chosen)]


# --------------------------------------------------------------------------- filters


def test_anti_affinity_counts_members_against_max_server_per_host() -> None:
    f = ServerGroupAntiAffinityFilter()
    members = {"m1": "a", "m2": "a", "m3": "b"}
    assert passing(f, request(group_policy="anti-affinity", group_member_hosts=members)) == ["c"]
    two = request(group_policy="anti-affinity", group_member_hosts=members, group_max_per_host=2)
    assert passing(f, two) == ["b", "c"]
    assert passing(f, two, chosen=("b", "c", "c")) == []


def test_members_on_no_host_do_not_pin_affinity() -> None:
    f = ServerGroupAffinityFilter()
    buried = request(group_policy="affinity", group_member_hosts={"m1": None})
    assert passing(f, buried) == ["a", "b", "c"]
    placed = request(group_policy="affinity", group_member_hosts={"m1": None, "m2": "b"})
    assert passing(f, placed) == ["b"]


# --------------------------------------------------------------------------- weighers


def test_soft_weighers_order_by_members_and_ignore_other_policies(conf: Any) -> None:
    members = {"m1": "b", "m2": "b", "m3": "c"}
    soft = request(group_policy="soft-affinity", group_member_hosts=members)
    anti = request(group_policy="soft-anti-affinity", group_member_hosts=members)
    affinity = ServerGroupSoftAffinityWeigher(conf)
    spread = ServerGroupSoftAntiAffinityWeigher(conf)
    assert [h.host for h in rank(HOSTS, soft, [affinity])] == ["b", "c", "a"]
    assert [h.host for h in rank(HOSTS, anti, [spread])] == ["a", "c", "b"]
    assert [h.host for h in rank(HOSTS, anti, [affinity])] == ["a", "b", "c"]  # no effect
    assert [h.host for h in rank(HOSTS, anti.choosing(["a", "a", "a"]), [spread])] == [
        "c",
        "b",
        "a",
    ]


def test_soft_multipliers_default_to_one(conf: Any) -> None:
    assert ServerGroupSoftAffinityWeigher(conf).multiplier == 1.0
    assert ServerGroupSoftAntiAffinityWeigher(conf).multiplier == 1.0


# --------------------------------------------------------------------------- group picks


def test_group_picks_are_shared_until_the_cells_show_them() -> None:
    now = [0.0]
    picks = GroupPicks(ttl=60, clock=lambda: now[0])
    g = str(uuidlib.uuid4())
    first = request(group_policy="anti-affinity", group_uuid=g)
    picks.remember(first, "m1", "a")
    later = picks.merged(request(group_policy="anti-affinity", group_uuid=g), exclude=())
    assert dict(later.group_member_hosts) == {"m1": "a"}
    assert picks.merged(first, exclude={"m1"}).group_member_hosts == {}  # its own request
    other = picks.merged(request(group_policy="anti-affinity", group_uuid="other"), ())
    assert other.group_member_hosts == {}
    # The cells show m1 now (on another host after a reschedule): theirs wins, the pick goes.
    shown = request(group_policy="anti-affinity", group_uuid=g, group_member_hosts={"m1": "b"})
    assert dict(picks.merged(shown, ()).group_member_hosts) == {"m1": "b"}
    assert len(picks) == 0
    picks.remember(first, "m2", "c")
    now[0] = 61.0
    assert picks.merged(first, ()).group_member_hosts == {} and len(picks) == 0


# --------------------------------------------------------------------------- select_destinations


@pytest.fixture
def pair(scloud: Cloud) -> Cloud:
    """Two hosts in two cells, ``a1`` with the most free RAM."""
    scloud.add_compute("cell1", "a1", inventory(ram=64000))
    scloud.add_compute("cell2", "b1", inventory(ram=32000))
    return scloud


def test_concurrent_requests_of_one_group_see_each_others_picks(pair: Cloud) -> None:
    manager = pair.manager()
    entry = group("anti-affinity")
    # Both conductors read the group before either member reached a cell.
    _, first = select(manager, spec(instance_group=entry))
    _, second = select(manager, spec(instance_group=entry))
    assert {hosts_of(first[0])[0], hosts_of(second[0])[0]} == {"a1", "b1"}
    with pytest.raises(NoValidHost):
        select(manager, spec(instance_group=entry))


def test_affinity_requests_get_no_alternates_off_the_group_host(pair: Cloud) -> None:
    _, result = select(pair.manager(), spec(instance_group=group("affinity")), count=2)
    assert [hosts_of(r) for r in result] == [["a1"], ["a1"]]


def quiet_resources(cloud: Cloud) -> None:
    """RAM and CPU weighers off: with multiplier 1.0 each (the reference's defaults too)
    they outvote a soft policy whenever they disagree with it."""
    for name in ("ram_weight_multiplier", "cpu_weight_multiplier"):
        cloud.conf.set_override(name, 0.0, group="filter_scheduler")


def test_soft_anti_affinity_spreads_then_doubles_up(pair: Cloud) -> None:
    quiet_resources(pair)
    _, result = select(pair.manager(), spec(instance_group=group("soft-anti-affinity")), count=3)
    placed = Counter(hosts_of(r)[0] for r in result)
    assert sorted(placed.values()) == [1, 2]


def test_soft_affinity_stacks_on_the_members_host(pair: Cloud) -> None:
    quiet_resources(pair)
    entry = group("soft-affinity", {"m1": "b1"})
    _, result = select(pair.manager(), spec(instance_group=entry), count=2)
    assert [hosts_of(r)[0] for r in result] == ["b1", "b1"]
