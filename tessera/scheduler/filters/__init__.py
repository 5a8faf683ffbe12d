"""Host filters: the built-in ones by name, and the chain a request runs through."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from oslo_config import cfg

from tessera.scheduler import plugins
from tessera.scheduler.filters.aggregate_extra_specs import AggregateInstanceExtraSpecsFilter
from tessera.scheduler.filters.availability_zone import AvailabilityZoneFilter
from tessera.scheduler.filters.base import HostFilter
from tessera.scheduler.filters.compute import ComputeFilter
from tessera.scheduler.filters.requested_hosts import narrow
from tessera.scheduler.filters.server_group import (
    ServerGroupAffinityFilter,
    ServerGroupAntiAffinityFilter,
)
from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest

__all__ = ["BUILTIN_FILTERS", "HostFilter", "filter_hosts", "load_filters"]

LOG = logging.getLogger(__name__)

BUILTIN_FILTERS: dict[str, plugins.Factory[HostFilter]] = {
    "ComputeFilter": ComputeFilter,
    "AvailabilityZoneFilter": AvailabilityZoneFilter,
    "AggregateInstanceExtraSpecsFilter": AggregateInstanceExtraSpecsFilter,
    "ServerGroupAffinityFilter": ServerGroupAffinityFilter,
    "ServerGroupAntiAffinityFilter": ServerGroupAntiAffinityFilter,
}


def load_filters(conf: cfg.ConfigOpts) -> list[HostFilter]:
    """The filters ``[filter_scheduler] enabled_filters`` names, in order."""
    names = conf.filter_scheduler.enabled_filters
    return plugins.build_all(conf, names, BUILTIN_FILTERS, "[filter_scheduler] enabled_filters")


def filter_hosts(
    hosts: Sequence[HostState],
    request: SchedulingRequest,
    chosen_hosts: Collection[str],
    filters: Sequence[HostFilter],
) -> list[HostState]:
    """Hosts that pass the request's constraints and every filter, in input order."""
    narrowed = narrow(hosts, request)
    kept = narrowed.hosts
    if narrowed.forced:
        return kept
    for host_filter in filters:
        kept = [h for h in kept if host_filter.host_passes(h, request, chosen_hosts)]
        if not kept:
            LOG.info("Filter %s left no hosts", type(host_filter).__name__)
            break
    return kept
