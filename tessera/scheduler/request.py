"""What one ``select_destinations`` call asks for, read once from the request spec dict.

The spec's keys are documented in :mod:`tessera.objects.request_spec`; every
filter and weigher reads this typed view instead of the raw dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tessera.context import RequestContext
from tessera.objects.flavor import Flavor

AFFINITY = "affinity"
ANTI_AFFINITY = "anti-affinity"


@dataclass(frozen=True)
class SchedulingRequest:
    """A request spec as the scheduler needs it."""

    resources: dict[str, int]
    """Placement resources one instance consumes (zero amounts left out)."""
    project_id: str
    """Project the claims are written for."""
    user_id: str
    """User the claims are written for."""
    extra_specs: Mapping[str, str] = field(default_factory=dict)
    """The flavor's extra specs."""
    availability_zone: str | None = None
    """The zone the user asked for; None means any."""
    group_policy: str | None = None
    """The server group's policy (``affinity``, ``anti-affinity``, ...), if any."""
    group_hosts: frozenset[str] = frozenset()
    """Hosts the group's existing members run on."""
    ignore_hosts: frozenset[str] = frozenset()
    """Hosts that must not be chosen (e.g. the source of a move)."""
    force_hosts: frozenset[str] = frozenset()
    """Hosts an admin forced; when any is a candidate, filters are skipped."""
    destination_cell: str | None = None
    """``requested_destination.cell_uuid``: only this cell is queried, disabled or not."""
    destination_host: str | None = None
    """``requested_destination.host``: only this host may be chosen."""


def from_spec(ctxt: RequestContext, spec: Mapping[str, Any]) -> SchedulingRequest:
    """Read the typed request out of a spec dict (the caller's context fills project/user)."""
    flavor = Flavor.from_dict(dict(spec["flavor"]))
    group = spec.get("instance_group") or {}
    destination = spec.get("requested_destination") or {}
    return SchedulingRequest(
        resources={rc: n for rc, n in flavor.resources().items() if n > 0},
        project_id=str(spec.get("project_id") or ctxt.project_id or ""),
        user_id=str(spec.get("user_id") or ctxt.user_id or ""),
        extra_specs=dict(flavor.extra_specs),
        availability_zone=spec.get("availability_zone") or None,
        group_policy=group.get("policy") or None,
        group_hosts=frozenset(group.get("hosts") or ()),
        ignore_hosts=frozenset(spec.get("ignore_hosts") or ()),
        force_hosts=frozenset(spec.get("force_hosts") or ()),
        destination_cell=destination.get("cell_uuid") or None,
        destination_host=destination.get("host") or None,
    )
