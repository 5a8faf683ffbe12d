"""Host filters as unit tests over hand-made host states."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from oslo_config import cfg

from tessera.scheduler.errors import SchedulerConfigError
from tessera.scheduler.filters import HostFilter, filter_hosts, load_filters
from tessera.scheduler.filters.aggregate_extra_specs import (
    AggregateInstanceExtraSpecsFilter,
    matches,
)
from tessera.scheduler.filters.availability_zone import AvailabilityZoneFilter, default_zone
from tessera.scheduler.filters.compute import ComputeFilter
from tessera.scheduler.filters.server_group import (
    ServerGroupAffinityFilter,
    ServerGroupAntiAffinityFilter,
)
from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest

CELL = "11111111-1111-4111-8111-111111111111"


def host(name: str, **values: Any) -> HostState:
    return HostState(f"node-{name}", name, f"{name}.node", CELL, **values)


def request(**values: Any) -> SchedulingRequest:
    return SchedulingRequest({"VCPU": 1}, "project", "user", **values)


def passing(
    host_filter: HostFilter,
    hosts: list[HostState],
    req: SchedulingRequest,
    chosen: tuple[str, ...] = (),
) -> list[str]:
    return [h.host for h in hosts if host_filter.host_passes(h, req, chosen)]


def test_compute_filter_wants_up_and_enabled() -> None:
    hosts = [host("ok"), host("down", service_up=False), host("off", service_disabled=True)]
    assert passing(ComputeFilter(), hosts, request()) == ["ok"]


def test_availability_zone_filter() -> None:
    hosts = [host("a", availability_zone="az1"), host("b")]
    assert passing(AvailabilityZoneFilter(), hosts, request(availability_zone="az1")) == ["a"]
    assert passing(AvailabilityZoneFilter(), hosts, request(availability_zone="nova")) == ["b"]
    assert passing(AvailabilityZoneFilter(), hosts, request()) == ["a", "b"]


def test_default_zone_is_nova_unless_configured() -> None:
    conf = cfg.ConfigOpts()
    assert default_zone(conf) == "nova"
    conf.register_opt(cfg.StrOpt("default_availability_zone", default="zone0"))
    assert default_zone(conf) == "zone0"


def test_aggregate_extra_specs_filter() -> None:
    ssd = host("ssd", aggregate_metadata={"disk": frozenset({"ssd"}), "gpu": frozenset({"a", "b"})})
    hdd = host("hdd", aggregate_metadata={"disk": frozenset({"hdd"})})
    bare = host("bare")
    hosts = [ssd, hdd, bare]
    scoped = "aggregate_instance_extra_specs:"
    f = AggregateInstanceExtraSpecsFilter()
    assert passing(f, hosts, request(extra_specs={f"{scoped}disk": "ssd"})) == ["ssd"]
    assert passing(f, hosts, request(extra_specs={f"{scoped}gpu": "b"})) == ["ssd"]
    assert passing(f, hosts, request(extra_specs={"hw:cpu_policy": "dedicated"})) == [
        "ssd",
        "hdd",
        "bare",
    ]
    assert passing(f, hosts, request(extra_specs={f"{scoped}disk": "<or> hdd <or> nvme"})) == [
        "hdd"
    ]


def test_or_matching() -> None:
    assert matches("<or> x <or> y", frozenset({"y"}))
    assert not matches("<or> x <or> y", frozenset({"z"}))
    assert matches(" ssd ", frozenset({"ssd"}))


def test_affinity_sticks_to_the_group_and_to_earlier_picks() -> None:
    hosts = [host("a"), host("b"), host("c")]
    f = ServerGroupAffinityFilter()
    assert passing(f, hosts, request(group_policy="affinity")) == ["a", "b", "c"]
    assert passing(f, hosts, request(group_policy="affinity", group_hosts=frozenset({"b"}))) == [
        "b"
    ]
    assert passing(f, hosts, request(group_policy="affinity"), chosen=("c",)) == ["c"]
    assert passing(f, hosts, request(group_policy="anti-affinity"), chosen=("c",)) == [
        "a",
        "b",
        "c",
    ]


def test_anti_affinity_avoids_the_group_and_earlier_picks() -> None:
    hosts = [host("a"), host("b"), host("c")]
    f = ServerGroupAntiAffinityFilter()
    req = request(group_policy="anti-affinity", group_hosts=frozenset({"a"}))
    assert passing(f, hosts, req) == ["b", "c"]
    assert passing(f, hosts, req, chosen=("b",)) == ["c"]
    assert passing(f, hosts, request(), chosen=("b",)) == ["a", "b", "c"]


def test_chain_applies_ignore_destination_and_force() -> None:
    hosts = [host("a"), host("b", service_up=False), host("c")]
    filters: list[HostFilter] = [ComputeFilter()]

    def names(req: SchedulingRequest) -> list[str]:
        return [h.host for h in filter_hosts(hosts, req, (), filters)]

    assert names(request()) == ["a", "c"]
    assert names(request(ignore_hosts=frozenset({"a"}))) == ["c"]
    assert names(request(destination_host="c")) == ["c"]
    # Forced hosts skip the filters, as an admin asked for exactly them.
    assert names(request(force_hosts=frozenset({"b"}))) == ["b"]
    assert names(request(force_hosts=frozenset({"zz"}))) == []


def test_enabled_filters_by_name_and_path(conf: cfg.ConfigOpts) -> None:
    assert [type(f).__name__ for f in load_filters(conf)] == [
        "ComputeFilter",
        "AvailabilityZoneFilter",
        "AggregateInstanceExtraSpecsFilter",
        "ServerGroupAntiAffinityFilter",
        "ServerGroupAffinityFilter",
    ]
    path = "tessera.scheduler.filters.compute:ComputeFilter"
    conf.set_override("enabled_filters", [path], group="filter_scheduler")
    assert [type(f).__name__ for f in load_filters(conf)] == ["ComputeFilter"]
    conf.set_override("enabled_filters", ["NoSuchFilter"], group="filter_scheduler")
    with pytest.raises(SchedulerConfigError, match="NoSuchFilter"):
        load_filters(conf)


def test_fits_and_minus() -> None:
    h = host("a", free={"VCPU": 2, "MEMORY_MB": 1024})
    assert h.fits({"VCPU": 2, "MEMORY_MB": 1024})
    assert not h.minus({"VCPU": 1}).fits({"VCPU": 2})
    assert not h.fits({"DISK_GB": 1})
    assert replace(h, free={}).minus({}) == replace(h, free={})
