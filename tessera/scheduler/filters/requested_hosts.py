"""The request's own host constraints, applied before any filter.

``ignore_hosts`` and ``requested_destination.host`` narrow the candidates;
``force_hosts`` (an admin's explicit choice) keeps only those hosts and skips
the filters, as the reference does; no forced host among the candidates
means no host at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest


@dataclass(frozen=True)
class Narrowed:
    """Candidates left by the request's own constraints."""

    hosts: list[HostState]
    """Hosts still in play."""
    forced: bool
    """The hosts are forced ones: the filters do not run."""


def narrow(hosts: Sequence[HostState], request: SchedulingRequest) -> Narrowed:
    """Apply ignore_hosts, the requested destination host and force_hosts."""
    kept = [h for h in hosts if h.host not in request.ignore_hosts]
    if request.destination_host is not None:
        kept = [h for h in kept if h.host == request.destination_host]
    if request.force_hosts:
        forced = [h for h in kept if h.host in request.force_hosts]
        return Narrowed(forced, True)
    return Narrowed(kept, False)
