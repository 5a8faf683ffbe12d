"""The scheduler's RPC endpoint: ``select_destinations``.

Per request: ask placement once for allocation candidates (one read shared by
concurrent requests for the same resources, see
:mod:`tessera.scheduler.shared_reads`), keep those on
mapped hosts of enabled cells, filter and weigh them (deducting claims still
in flight, see :mod:`tessera.scheduler.in_flight`), then claim: all instances
in one placement request (shared with concurrent requests' claims, see
:mod:`tessera.scheduler.claim_batch`), or, when that conflicts, one by one down
each instance's ranking. Either every instance ends up claimed or none does.

Safe to call from many RPC threads at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oslo_config import cfg
from sqlalchemy.engine import Engine

from tessera.context import RequestContext
from tessera.objects.cell_mapping import URLBases
from tessera.objects.selection import Selection
from tessera.placement.client import Claim, PlacementClient
from tessera.placement.errors import PlacementError
from tessera.rpc.endpoint import endpoint_target
from tessera.scheduler import candidates as candidates_mod
from tessera.scheduler.candidates import NodeCandidate
from tessera.scheduler.cell_cache import CellCache
from tessera.scheduler.cell_engines import CellEngines
from tessera.scheduler.claims import Claimer
from tessera.scheduler.errors import NOT_ENOUGH_HOSTS, NoValidHost
from tessera.scheduler.filters import load_filters
from tessera.scheduler.filters.availability_zone import default_zone
from tessera.scheduler.host_manager import HostManager, HostSettings
from tessera.scheduler.host_state import HostState
from tessera.scheduler.in_flight import InFlightClaims
from tessera.scheduler.planner import Pick, Planner, alternates
from tessera.scheduler.request import AFFINITY, SchedulingRequest, from_spec
from tessera.scheduler.shared_reads import SharedReads, read_key
from tessera.scheduler.weighers import load_weighers

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchedulerSettings:
    """The ``[scheduler]`` options select_destinations reads."""

    max_attempts: int = 3
    """Hosts per instance: the selected one plus ``max_attempts - 1`` alternates."""
    max_placement_results: int = 1000
    """``limit`` of the allocation candidates query."""

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> SchedulerSettings:
        """Read the settings from the service's configuration."""
        return cls(conf.scheduler.max_attempts, conf.scheduler.max_placement_results)


@dataclass(frozen=True)
class Snapshot:
    """What one request decided on: placement's answer and the matching host states."""

    request: SchedulingRequest
    """The typed request."""
    nodes: dict[str, NodeCandidate]
    """Node uuid -> placement's candidate there."""
    hosts: list[HostState]
    """Host states of mapped hosts of the cells asked, in placement's order."""
    token: int
    """The in-flight ledger token taken before placement was asked."""


class SchedulerManager:
    """``tessera-scheduler``'s endpoint (topic ``scheduler``)."""

    target = endpoint_target()

    def __init__(
        self,
        hosts: HostManager,
        planner: Planner,
        placement: PlacementClient,
        ledger: InFlightClaims,
        settings: SchedulerSettings,
    ) -> None:
        self.hosts = hosts
        self._planner = planner
        self._placement = placement
        self._claimer = Claimer(placement)
        self._ledger = ledger
        self._reads: SharedReads[dict[str, NodeCandidate]] = SharedReads(ledger)
        self._settings = settings

    def init_host(self) -> None:
        """Load the cell caches before the first request."""
        self.hosts.cells.reset()

    def reset(self) -> None:
        """SIGHUP: reload cells, enabled cells and host mappings."""
        self.hosts.reset()

    def cleanup_host(self) -> None:
        """Close the cell databases' pools."""
        self.hosts.close()

    def select_destinations(
        self, ctxt: RequestContext, request_spec: dict[str, Any], instance_uuids: list[str]
    ) -> list[list[dict[str, Any]]]:
        """For each instance ``[selected, *alternates]`` as ``Selection.to_dict()``.

        Raises NoValidHost when not every instance could be claimed; then no
        claim of this request remains.
        """
        request = from_spec(ctxt, request_spec)
        key = read_key(request.resources)
        with self._reads.snapshot(key, lambda: self._candidates(request)) as (token, nodes):
            snapshot = self._snapshot(request, token, nodes)
            picks = self._claim(snapshot, instance_uuids)
        return self._selections(snapshot, picks)

    # ------------------------------------------------------------------ snapshot

    def _snapshot(
        self, request: SchedulingRequest, token: int, nodes: dict[str, NodeCandidate]
    ) -> Snapshot:
        states = self.hosts.host_states(request, list(nodes))
        order = {uuid: i for i, uuid in enumerate(nodes)}
        states.sort(key=lambda s: order[s.node_uuid])
        hosts = [
            s.with_resources(nodes[s.node_uuid].total, nodes[s.node_uuid].free) for s in states
        ]
        LOG.debug("%d candidates from placement, %d on usable hosts", len(nodes), len(hosts))
        return Snapshot(request, nodes, hosts, token)

    def _candidates(self, request: SchedulingRequest) -> dict[str, NodeCandidate]:
        try:
            answer = self._placement.get_allocation_candidates(
                request.resources, limit=self._settings.max_placement_results
            )
        except PlacementError as exc:
            LOG.warning("Placement gave no allocation candidates: %s", exc)
            raise NoValidHost("") from exc
        nodes = candidates_mod.by_node(answer)
        if not nodes:
            LOG.info("Placement has no allocation candidates for %s", request.resources)
            raise NoValidHost("")
        return nodes

    # ------------------------------------------------------------------ claims

    def _claim(self, snap: Snapshot, uuids: Sequence[str]) -> list[Pick]:
        plan = self._planner.plan(snap.hosts, snap.request, len(uuids), snap.token, uuids)
        if plan is None:
            raise NoValidHost(NOT_ENOUGH_HOSTS)
        try:
            if self._claim_together(snap, uuids, plan):
                return plan
            return self._claim_one_by_one(snap, uuids)
        except PlacementError as exc:
            # Placement failed (not a lost race); nothing of this request stays claimed.
            LOG.warning("Placement failed while claiming: %s", exc)
            raise NoValidHost(NOT_ENOUGH_HOSTS) from exc

    def _claim_together(self, snap: Snapshot, uuids: Sequence[str], plan: list[Pick]) -> bool:
        claims = [self._claim_of(snap, uuid, pick) for uuid, pick in zip(uuids, plan, strict=True)]
        claimed = False
        try:
            claimed = self._claimer.claim_together(claims)
        finally:
            self._settle(plan, claimed)
        return claimed

    def _claim_one_by_one(self, snap: Snapshot, uuids: Sequence[str]) -> list[Pick]:
        done: list[Pick] = []
        try:
            for uuid in uuids:
                pick = self._claim_next_best(snap, uuid, [p.host.host for p in done], uuids)
                if pick is None:
                    raise NoValidHost(NOT_ENOUGH_HOSTS)
                done.append(pick)
        except (NoValidHost, PlacementError):
            self._claimer.release(uuids[: len(done)])
            self._planner.cancel(done)
            raise
        return done

    def _claim_next_best(
        self, snap: Snapshot, uuid: str, chosen: list[str], siblings: Sequence[str]
    ) -> Pick | None:
        """Claim the best host still untried for ``uuid``; None when none is left."""
        tried: set[str] = set()
        request, token = snap.request, snap.token
        while pick := self._planner.pick(snap.hosts, request, token, chosen, tried, uuid, siblings):
            claimed = False
            try:
                claimed = self._claimer.claim_one(self._claim_of(snap, uuid, pick))
            finally:
                self._settle([pick], claimed)
            if claimed:
                return pick
            tried.add(pick.host.node_uuid)
        return None

    def _settle(self, picks: list[Pick], claimed: bool) -> None:
        """Confirm the picks' ledger entries if placement took the claims, else drop them."""
        if claimed:
            self._planner.confirm(picks)
        else:
            self._planner.cancel(picks)

    @staticmethod
    def _claim_of(snap: Snapshot, uuid: str, pick: Pick) -> Claim:
        allocations = snap.nodes[pick.host.node_uuid].allocation_request.allocations
        return Claim(uuid, allocations, snap.request.project_id, snap.request.user_id)

    # ------------------------------------------------------------------ answer

    def _selections(self, snap: Snapshot, picks: Sequence[Pick]) -> list[list[dict[str, Any]]]:
        selected = {p.host.host for p in picks}
        limit = self._settings.max_attempts - 1
        if snap.request.group_policy == AFFINITY:
            limit = 0  # another host would leave the group: no alternates
        return [
            [_selection(snap, host).to_dict() for host in [p.host, *alternates(p, selected, limit)]]
            for p in picks
        ]


def _selection(snap: Snapshot, host: HostState) -> Selection:
    request = snap.nodes[host.node_uuid].allocation_request
    return Selection(
        compute_node_uuid=host.node_uuid,
        service_host=host.host,
        nodename=host.nodename,
        cell_uuid=host.cell_uuid,
        allocation_request=candidates_mod.allocation_request_json(request),
        availability_zone=host.availability_zone,
    )


def build_manager(
    conf: cfg.ConfigOpts,
    api: Engine,
    placement: PlacementClient,
    engines: CellEngines | None = None,
) -> SchedulerManager:
    """A manager wired from the configuration (filters, weighers, deadlines)."""
    settings = HostSettings(
        cell_timeout=conf.cell_timeout,
        service_down_time=conf.service_down_time,
        default_availability_zone=default_zone(conf),
    )
    cells = CellCache(api, URLBases.from_conf(conf))
    hosts = HostManager(cells, engines or CellEngines(), api, settings)
    ledger = InFlightClaims()
    planner = Planner(load_filters(conf), load_weighers(conf), ledger)
    return SchedulerManager(hosts, planner, placement, ledger, SchedulerSettings.from_conf(conf))
