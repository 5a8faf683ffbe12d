"""What one ``select_destinations`` call asks for, read once from the request spec dict.

The spec's keys are documented in :mod:`tessera.objects.request_spec`; every
filter and weigher reads this typed view instead of the raw dict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tessera.context import RequestContext
from tessera.objects.flavor import Flavor

AFFINITY = "affinity"
ANTI_AFFINITY = "anti-affinity"
SOFT_AFFINITY = "soft-affinity"
SOFT_ANTI_AFFINITY = "soft-anti-affinity"


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
    group_uuid: str | None = None
    """The server group's uuid, if any."""
    group_member_hosts: Mapping[str, str | None] = field(default_factory=dict)
    """Member uuid -> its host (None: in a cell but on no host), for members already placed."""
    group_max_per_host: int = 1
    """``anti-affinity`` rule ``max_server_per_host``: members allowed on one host."""
    group_chosen: tuple[str, ...] = ()
    """Hosts picked earlier in this request, as the weighers see them (see :meth:`choosing`)."""
    ignore_hosts: frozenset[str] = frozenset()
    """Hosts that must not be chosen (e.g. the source of a move)."""
    force_hosts: frozenset[str] = frozenset()
    """Hosts an admin forced; when any is a candidate, filters are skipped."""
    destination_cell: str | None = None
    """``requested_destination.cell_uuid``: only this cell is queried, disabled or not."""
    destination_host: str | None = None
    """``requested_destination.host``: only this host may be chosen."""

    def group_host_counts(self, chosen: Collection[str] = ()) -> Counter[str]:
        """Host -> members of the group there, picks of this request included."""
        counts = Counter(h for h in self.group_member_hosts.values() if h)
        for host in self.group_hosts - set(counts):
            counts[host] = 1  # a host known without its members (an older spec)
        counts.update(self.group_chosen)
        counts.update(chosen)
        return counts

    def choosing(self, chosen: Collection[str]) -> SchedulingRequest:
        """This request with ``chosen`` recorded for the weighers (filters get it apart)."""
        if self.group_policy is None or not chosen:
            return self
        return replace(self, group_chosen=tuple(chosen))

    def with_group_picks(self, picks: Mapping[str, str]) -> SchedulingRequest:
        """This request with more placed members (member uuid -> host)."""
        if not picks:
            return self
        hosts = {**picks, **self.group_member_hosts}
        return replace(self, group_member_hosts=hosts)


def from_spec(ctxt: RequestContext, spec: Mapping[str, Any]) -> SchedulingRequest:
    """Read the typed request out of a spec dict (the caller's context fills project/user)."""
    flavor = Flavor.from_dict(dict(spec["flavor"]))
    group = spec.get("instance_group") or {}
    rules = group.get("rules") or {}
    destination = spec.get("requested_destination") or {}
    return SchedulingRequest(
        resources=flavor.resources(),
        project_id=str(spec.get("project_id") or ctxt.project_id or ""),
        user_id=str(spec.get("user_id") or ctxt.user_id or ""),
        extra_specs=dict(flavor.extra_specs),
        availability_zone=spec.get("availability_zone") or None,
        group_policy=group.get("policy") or None,
        group_hosts=frozenset(group.get("hosts") or ()),
        group_uuid=group.get("uuid") or None,
        group_member_hosts=dict(group.get("member_hosts") or {}),
        group_max_per_host=int(rules.get("max_server_per_host") or 1),
        ignore_hosts=frozenset(spec.get("ignore_hosts") or ()),
        force_hosts=frozenset(spec.get("force_hosts") or ()),
        destination_cell=destination.get("cell_uuid") or None,
        destination_host=destination.get("host") or None,
    )
