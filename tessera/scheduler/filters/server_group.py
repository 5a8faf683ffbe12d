"""Server group filters: affinity (same host) and anti-affinity (different hosts).

Where the group's members run travels in the spec (``instance_group``:
``member_hosts`` and ``hosts``, filled by the super conductor at schedule
time, plus this scheduler's own recent picks); the hosts picked earlier in the
same request count as members too, so a multi-instance request honours the
policy among its own instances.
"""

from __future__ import annotations

from collections.abc import Collection

from oslo_config import cfg

from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import AFFINITY, ANTI_AFFINITY, SchedulingRequest


class ServerGroupAffinityFilter:
    """With policy ``affinity``: only the host the group already lives on."""

    def __init__(self, conf: cfg.ConfigOpts | None = None) -> None:
        pass

    def host_passes(
        self, host: HostState, request: SchedulingRequest, chosen_hosts: Collection[str]
    ) -> bool:
        """Any host for a group with no members placed yet."""
        if request.group_policy != AFFINITY:
            return True
        members = request.group_host_counts(chosen_hosts)
        return not members or host.host in members


class ServerGroupAntiAffinityFilter:
    """With policy ``anti-affinity``: fewer than ``max_server_per_host`` members (1) there."""

    def __init__(self, conf: cfg.ConfigOpts | None = None) -> None:
        pass

    def host_passes(
        self, host: HostState, request: SchedulingRequest, chosen_hosts: Collection[str]
    ) -> bool:
        """Hosts full of the group's members (and of this request's picks) are out."""
        if request.group_policy != ANTI_AFFINITY:
            return True
        on_host = request.group_host_counts(chosen_hosts)[host.host]
        return on_host < request.group_max_per_host
