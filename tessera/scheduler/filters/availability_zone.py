"""AvailabilityZoneFilter, and the default zone of hosts in no zone."""

from __future__ import annotations

from collections.abc import Collection

from oslo_config import cfg

from tessera.scheduler.host_state import DEFAULT_AVAILABILITY_ZONE, HostState
from tessera.scheduler.request import SchedulingRequest

__all__ = ["DEFAULT_AVAILABILITY_ZONE", "AvailabilityZoneFilter", "default_zone"]

# Not registered by tessera.conf yet; read it when a service registers it.
OPTION = "default_availability_zone"


def default_zone(conf: cfg.ConfigOpts) -> str:
    """``[DEFAULT] default_availability_zone`` if the service registers it, else ``nova``."""
    if OPTION in conf:
        value = conf[OPTION]
        if value:
            return str(value)
    return DEFAULT_AVAILABILITY_ZONE


class AvailabilityZoneFilter:
    """Keeps hosts in the zone the request names (any host when it names none).

    A host's zone is its aggregates' ``availability_zone`` metadata, else the
    default zone; the host manager resolves it once per request.
    """

    def __init__(self, conf: cfg.ConfigOpts | None = None) -> None:
        pass

    def host_passes(
        self, host: HostState, request: SchedulingRequest, chosen_hosts: Collection[str]
    ) -> bool:
        """No zone asked, or the host's zone is the one asked."""
        wanted = request.availability_zone
        return wanted is None or host.availability_zone == wanted
