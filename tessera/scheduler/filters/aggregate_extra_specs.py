"""AggregateInstanceExtraSpecsFilter: flavor extra specs vs aggregate metadata."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from oslo_config import cfg

from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest

SCOPE = "aggregate_instance_extra_specs:"
OR = "<or>"


def matches(wanted: str, values: frozenset[str]) -> bool:
    """``wanted`` equals one of the host's values; ``<or> a <or> b`` accepts either."""
    if wanted.lstrip().startswith(OR):
        alternatives = {a.strip() for a in wanted.split(OR) if a.strip()}
        return bool(alternatives & values)
    return wanted.strip() in values


def required_metadata(extra_specs: Mapping[str, str]) -> dict[str, str]:
    """Aggregate metadata key -> wanted value, from the scoped extra specs only."""
    return {k[len(SCOPE) :]: v for k, v in extra_specs.items() if k.startswith(SCOPE)}


class AggregateInstanceExtraSpecsFilter:
    """Keeps hosts whose aggregates carry every ``aggregate_instance_extra_specs:<key>``."""

    def __init__(self, conf: cfg.ConfigOpts | None = None) -> None:
        pass

    def host_passes(
        self, host: HostState, request: SchedulingRequest, chosen_hosts: Collection[str]
    ) -> bool:
        """Each scoped key must be in the host's aggregate metadata with a matching value."""
        for key, wanted in required_metadata(request.extra_specs).items():
            values = host.aggregate_metadata.get(key)
            if not values or not matches(wanted, values):
                return False
        return True
