"""Soft server group policies as weighers: they order hosts, they never exclude one.

``soft-affinity`` prefers hosts with more of the group's members,
``soft-anti-affinity`` hosts with fewer (this request's earlier picks
included). Their multipliers are ``[filter_scheduler]
soft_affinity_weight_multiplier`` and ``soft_anti_affinity_weight_multiplier``
(1.0 when the options are not registered).
"""

from __future__ import annotations

from oslo_config import cfg

from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SOFT_AFFINITY, SOFT_ANTI_AFFINITY, SchedulingRequest


def _multiplier(conf: cfg.ConfigOpts, name: str) -> float:
    return float(getattr(conf.filter_scheduler, name))


class ServerGroupSoftAffinityWeigher:
    """More members of the group on a host: heavier (policy ``soft-affinity``)."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._multiplier = _multiplier(conf, "soft_affinity_weight_multiplier")

    @property
    def multiplier(self) -> float:
        """The configured multiplier."""
        return self._multiplier

    def weight(self, host: HostState, request: SchedulingRequest) -> float:
        """Members of the group on ``host``; 0 for other policies."""
        if request.group_policy != SOFT_AFFINITY:
            return 0.0
        return float(request.group_host_counts()[host.host])


class ServerGroupSoftAntiAffinityWeigher:
    """Fewer members of the group on a host: heavier (policy ``soft-anti-affinity``)."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._multiplier = _multiplier(conf, "soft_anti_affinity_weight_multiplier")

    @property
    def multiplier(self) -> float:
        """The configured multiplier."""
        return self._multiplier

    def weight(self, host: HostState, request: SchedulingRequest) -> float:
        """Minus the members of the group on ``host``; 0 for other policies."""
        if request.group_policy != SOFT_ANTI_AFFINITY:
            return 0.0
        return -float(request.group_host_counts()[host.host])
