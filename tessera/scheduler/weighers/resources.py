"""RAM and CPU weighers: more free means heavier (spread); a negative multiplier stacks."""

from __future__ import annotations

from oslo_config import cfg

from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest


class RAMWeigher:
    """Free RAM (MiB) times ``[filter_scheduler] ram_weight_multiplier``."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._multiplier = float(conf.filter_scheduler.ram_weight_multiplier)

    @property
    def multiplier(self) -> float:
        """The configured RAM multiplier."""
        return self._multiplier

    def weight(self, host: HostState, request: SchedulingRequest) -> float:
        """Free ``MEMORY_MB``, in-flight claims deducted."""
        return float(host.free.get("MEMORY_MB", 0))


class CPUWeigher:
    """Free vCPUs times ``[filter_scheduler] cpu_weight_multiplier``."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._multiplier = float(conf.filter_scheduler.cpu_weight_multiplier)

    @property
    def multiplier(self) -> float:
        """The configured CPU multiplier."""
        return self._multiplier

    def weight(self, host: HostState, request: SchedulingRequest) -> float:
        """Free ``VCPU``, in-flight claims deducted."""
        return float(host.free.get("VCPU", 0))
