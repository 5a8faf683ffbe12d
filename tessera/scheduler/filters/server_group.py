"""Server group filters: affinity (same host) and anti-affinity (different hosts).

The group's members' hosts travel in the spec (``instance_group.hosts``); the
hosts picked earlier in the same request count as members too, so a
multi-instance request honours the policy among its own instances.
"""

from __future__ import annotations

from collections.abc import Collection

from oslo_config import cfg

from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import AFFINITY, ANTI_AFFINITY, SchedulingRequest


def _group_hosts(request: SchedulingRequest, chosen_hosts: Collection[str]) -> set[str]:
    return set(request.group_hosts) | set(chosen_hosts)


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
        members = _group_hosts(request, chosen_hosts)
        return not members or host.host in members


class ServerGroupAntiAffinityFilter:
    """With policy ``anti-affinity``: never a host a member already runs on."""

    def __init__(self, conf: cfg.ConfigOpts | None = None) -> None:
        pass

    def host_passes(
        self, host: HostState, request: SchedulingRequest, chosen_hosts: Collection[str]
    ) -> bool:
        """Hosts of the group's members (and of this request's picks) are out."""
        if request.group_policy != ANTI_AFFINITY:
            return True
        return host.host not in _group_hosts(request, chosen_hosts)
