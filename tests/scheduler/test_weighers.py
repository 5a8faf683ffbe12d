"""Weighers as unit tests: normalization, multipliers, plugging in by path."""

from __future__ import annotations

from typing import Any

import pytest
from oslo_config import cfg

from tessera.scheduler.errors import SchedulerConfigError
from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest
from tessera.scheduler.weighers import load_weighers, normalize, rank

REQUEST = SchedulingRequest({"VCPU": 1}, "project", "user")


def host(name: str, vcpu: int, ram: int) -> HostState:
    return HostState(f"node-{name}", name, name, "cell", free={"VCPU": vcpu, "MEMORY_MB": ram})


HOSTS = [host("small", 2, 1024), host("ram", 2, 8192), host("cpu", 16, 2048)]


class DiskWeigher:
    """A pluggable weigher outside the package: prefers less free disk."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.multiplier = -1.0

    def weight(self, host: HostState, request: SchedulingRequest) -> float:
        return float(host.free.get("DISK_GB", 0))


def names(hosts: list[HostState]) -> list[str]:
    return [h.host for h in hosts]


def weighers(conf: cfg.ConfigOpts, **overrides: Any) -> list[Any]:
    for key, value in overrides.items():
        conf.set_override(key, value, group="filter_scheduler")
    return list(load_weighers(conf))


def test_normalize() -> None:
    assert normalize([]) == []
    assert normalize([5, 5]) == [0.0, 0.0]
    assert normalize([0, 5, 10]) == [0.0, 0.5, 1.0]


def test_all_is_ram_cpu_and_the_soft_group_policies(conf: cfg.ConfigOpts) -> None:
    assert [type(w).__name__ for w in weighers(conf)] == [
        "RAMWeigher",
        "CPUWeigher",
        "ServerGroupSoftAffinityWeigher",
        "ServerGroupSoftAntiAffinityWeigher",
    ]


def test_ram_only_spreads_by_free_ram(conf: cfg.ConfigOpts) -> None:
    found = weighers(conf, weight_classes=["RAMWeigher"])
    assert names(rank(HOSTS, REQUEST, found)) == ["ram", "cpu", "small"]


def test_cpu_multiplier_dominates(conf: cfg.ConfigOpts) -> None:
    found = weighers(conf, cpu_weight_multiplier=3.0)
    assert names(rank(HOSTS, REQUEST, found)) == ["cpu", "ram", "small"]


def test_negative_multipliers_stack(conf: cfg.ConfigOpts) -> None:
    found = weighers(conf, ram_weight_multiplier=-1.0, cpu_weight_multiplier=-1.0)
    assert names(rank(HOSTS, REQUEST, found))[0] == "small"


def test_ties_keep_input_order(conf: cfg.ConfigOpts) -> None:
    same = [host(n, 4, 4096) for n in ("x", "y", "z")]
    assert names(rank(same, REQUEST, weighers(conf))) == ["x", "y", "z"]


def test_pluggable_by_module_path(conf: cfg.ConfigOpts) -> None:
    found = weighers(conf, weight_classes=["RAMWeigher", f"{__name__}:DiskWeigher"])
    assert [type(w).__name__ for w in found] == ["RAMWeigher", "DiskWeigher"]
    with pytest.raises(SchedulerConfigError, match="cannot load"):
        weighers(conf, weight_classes=[f"{__name__}:Missing"])
    with pytest.raises(SchedulerConfigError, match="unknown name"):
        weighers(conf, weight_classes=["Nope"])
