"""Host weighers: the built-in ones by name, and ranking hosts by their total weight."""

from __future__ import annotations

from collections.abc import Sequence

from oslo_config import cfg

from tessera.scheduler import plugins
from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest
from tessera.scheduler.weighers.affinity import (
    ServerGroupSoftAffinityWeigher,
    ServerGroupSoftAntiAffinityWeigher,
)
from tessera.scheduler.weighers.base import Weigher, normalize, total_weights
from tessera.scheduler.weighers.resources import CPUWeigher, RAMWeigher

__all__ = ["BUILTIN_WEIGHERS", "Weigher", "load_weighers", "normalize", "rank"]

ALL = "all"

BUILTIN_WEIGHERS: dict[str, plugins.Factory[Weigher]] = {
    "RAMWeigher": RAMWeigher,
    "CPUWeigher": CPUWeigher,
    "ServerGroupSoftAffinityWeigher": ServerGroupSoftAffinityWeigher,
    "ServerGroupSoftAntiAffinityWeigher": ServerGroupSoftAntiAffinityWeigher,
}


def load_weighers(conf: cfg.ConfigOpts) -> list[Weigher]:
    """The weighers ``[filter_scheduler] weight_classes`` names (``all``: the built-ins)."""
    names: list[str] = []
    for name in conf.filter_scheduler.weight_classes:
        names.extend(BUILTIN_WEIGHERS if name.strip() == ALL else [name])
    unique = list(dict.fromkeys(n.strip() for n in names))
    return plugins.build_all(conf, unique, BUILTIN_WEIGHERS, "[filter_scheduler] weight_classes")


def rank(
    hosts: Sequence[HostState], request: SchedulingRequest, weighers: Sequence[Weigher]
) -> list[HostState]:
    """``hosts`` heaviest first; ties keep their input (placement's) order."""
    weights = total_weights(hosts, request, weighers)
    order = sorted(range(len(hosts)), key=lambda i: -weights[i])
    return [hosts[i] for i in order]
