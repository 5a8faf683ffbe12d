"""Choosing hosts: filter, check the fit, weigh, take the best, reserve it.

Each choice reads the in-flight ledger and reserves its host in one step
under the ledger's lock, so concurrent requests (and the instances of one
request) see each other's choices before placement does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tessera.scheduler.filters import HostFilter, filter_hosts
from tessera.scheduler.group_picks import GroupPicks
from tessera.scheduler.host_state import HostState
from tessera.scheduler.in_flight import InFlightClaims
from tessera.scheduler.request import SchedulingRequest
from tessera.scheduler.weighers import Weigher, rank


@dataclass(frozen=True)
class Pick:
    """The host chosen for one instance, and the ranking it was chosen from."""

    host: HostState
    """The best host at the moment of choosing."""
    ranked: tuple[HostState, ...]
    """Every host that passed for this instance, best first (``host`` included)."""
    reservation: int
    """Its entry in the in-flight ledger (confirm or cancel it)."""
    uuid: str | None = None
    """The instance it is for, when the caller said."""


class Planner:
    """Filters and weighs host states; reserves choices in the in-flight ledger."""

    def __init__(
        self,
        filters: Sequence[HostFilter],
        weighers: Sequence[Weigher],
        ledger: InFlightClaims,
        groups: GroupPicks | None = None,
    ) -> None:
        self._filters = list(filters)
        self._weighers = list(weighers)
        self._ledger = ledger
        self._groups = groups if groups is not None else GroupPicks()

    def rank(
        self, hosts: Sequence[HostState], request: SchedulingRequest, chosen: Collection[str]
    ) -> list[HostState]:
        """Hosts that pass, still fit one instance, best first."""
        passed = filter_hosts(hosts, request, chosen, self._filters)
        fitting = [h for h in passed if h.fits(request.resources)]
        return rank(fitting, request.choosing(chosen), self._weighers)

    def pick(
        self,
        base: Sequence[HostState],
        request: SchedulingRequest,
        token: int,
        chosen: Collection[str] = (),
        excluded: Collection[str] = (),
        uuid: str | None = None,
        siblings: Collection[str] = (),
    ) -> Pick | None:
        """Choose and reserve the best host for one more instance (None: no host fits).

        ``uuid`` is the instance and ``siblings`` every instance of its request:
        a group member's pick is remembered for concurrent requests of its group.
        """
        with self._ledger.deciding():
            in_flight = self._ledger.usage_since(token)
            hosts = [
                h.minus(in_flight.get(h.node_uuid, {})) for h in base if h.node_uuid not in excluded
            ]
            request = self._groups.merged(request, {*siblings, *([uuid] if uuid else [])})
            ranked = self.rank(hosts, request, chosen)
            if not ranked:
                return None
            best = ranked[0]
            reservation = self._ledger.reserve(best.node_uuid, request.resources)
            self._groups.remember(request, uuid, best.host)
            return Pick(best, tuple(ranked), reservation, uuid)

    def plan(
        self,
        base: Sequence[HostState],
        request: SchedulingRequest,
        count: int,
        token: int,
        uuids: Sequence[str] = (),
    ) -> list[Pick] | None:
        """One pick per instance, each seeing the earlier ones (None: not all fit)."""
        picks: list[Pick] = []
        with self._ledger.deciding():
            for i in range(count):
                uuid = uuids[i] if i < len(uuids) else None
                chosen = [p.host.host for p in picks]
                pick = self.pick(base, request, token, chosen, uuid=uuid, siblings=uuids)
                if pick is None:
                    self.cancel(picks)
                    return None
                picks.append(pick)
        return picks

    def cancel(self, picks: Sequence[Pick]) -> None:
        """Drop the picks' reservations (their claims were not written)."""
        for pick in picks:
            self._ledger.cancel(pick.reservation)
        self._groups.forget([p.uuid for p in picks])

    def confirm(self, picks: Sequence[Pick]) -> None:
        """Placement accepted the picks' claims."""
        for pick in picks:
            self._ledger.confirm(pick.reservation)


def alternates(pick: Pick, selected_hosts: Collection[str], limit: int) -> list[HostState]:
    """Up to ``limit`` next-best hosts of the pick's cell, none selected in this request."""
    found: list[HostState] = []
    seen: set[str] = set(selected_hosts)
    for host in pick.ranked:
        if len(found) >= limit:
            break
        if host.cell_uuid == pick.host.cell_uuid and host.host not in seen:
            found.append(host)
            seen.add(host.host)
    return found
