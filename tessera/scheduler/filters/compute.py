"""ComputeFilter: only hosts whose compute service is up and enabled."""

from __future__ import annotations

from collections.abc import Collection

from oslo_config import cfg

from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest


class ComputeFilter:
    """Drops hosts whose compute service is down or disabled by an operator."""

    def __init__(self, conf: cfg.ConfigOpts | None = None) -> None:
        pass

    def host_passes(
        self, host: HostState, request: SchedulingRequest, chosen_hosts: Collection[str]
    ) -> bool:
        """Up (recent heartbeat, not forced down) and not disabled."""
        return host.service_up and not host.service_disabled
