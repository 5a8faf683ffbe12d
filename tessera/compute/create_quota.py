"""How many servers of one create request fit the quota, and the refusal when none do.

A create asks for ``min_count`` to ``max_count`` servers of one flavor. Each
server counts one ``instances``, its vCPUs as ``cores`` and its RAM as ``ram``
against the project's limits and, when the user has limits of its own, the
user's too. The most that fit (up to ``max_count``) are made; fewer than
``min_count`` is a refusal (HTTP 403) worded as the reference words it:
``Quota exceeded for cores, ram: Requested 4, 2048, but already used 20, 51200
of 20, 51200 cores, ram``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tessera.objects.quota import SERVER_RESOURCES, UNLIMITED, Counts


class QuotaExceeded(Exception):
    """The request does not fit the quota; ``str()`` is the client's message."""


@dataclass(frozen=True)
class Scope:
    """One set of limits and what is already used against them."""

    limits: Mapping[str, int]
    """Resource -> limit (``-1``: unlimited); resources absent are not limited here."""
    used: Counts
    """What the scope holds now."""


@dataclass(frozen=True)
class Size:
    """What one requested server counts."""

    vcpus: int
    """Its flavor's vCPUs."""
    ram: int
    """Its flavor's RAM in MiB."""

    def times(self, count: int) -> Counts:
        """What ``count`` such servers count."""
        return Counts(count, count * self.vcpus, count * self.ram)


@dataclass(frozen=True)
class _Over:
    """One resource a scope would exceed."""

    resource: str
    limit: int
    used: int


def _limited(scope: Scope) -> dict[str, int]:
    return {
        r: scope.limits[r]
        for r in SERVER_RESOURCES
        if r in scope.limits and scope.limits[r] != UNLIMITED
    }


def _overs(scopes: Sequence[Scope], delta: Counts) -> list[_Over]:
    """Resources over their limit after ``delta``, sorted by name (one entry each)."""
    found: dict[str, _Over] = {}
    wanted = delta.as_dict()
    for scope in scopes:  # later (narrower) scopes win the wording
        used = scope.used.as_dict()
        for resource, limit in _limited(scope).items():
            if used[resource] + wanted[resource] > limit:
                found[resource] = _Over(resource, limit, used[resource])
    return [found[r] for r in sorted(found)]


def _room(scopes: Sequence[Scope], size: Size) -> int | float:
    """How many more servers of ``size`` every scope has room for."""
    room: int | float = math.inf
    per_server = size.times(1).as_dict()
    for scope in scopes:
        used = scope.used.as_dict()
        for resource, limit in _limited(scope).items():
            if per_server[resource] > 0:
                room = min(room, max(limit - used[resource], 0) // per_server[resource])
    return room


def _message(overs: Sequence[_Over], requested: Mapping[str, str]) -> str:
    names = ", ".join(o.resource for o in overs)
    asked = ", ".join(requested[o.resource] for o in overs)
    used = ", ".join(str(o.used) for o in overs)
    limits = ", ".join(str(o.limit) for o in overs)
    return (
        f"Quota exceeded for {names}: Requested {asked}, "
        f"but already used {used} of {limits} {names}"
    )


def allowed_count(scopes: Sequence[Scope], size: Size, min_count: int, max_count: int) -> int:
    """How many servers to make: ``max_count`` if they fit, else the most that do.

    Raises QuotaExceeded when not even ``min_count`` fit.
    """
    overs = _overs(scopes, size.times(max_count))
    if not overs:
        return max_count
    room = _room(scopes, size)
    if room >= min_count:
        return int(min(room, max_count))
    count = str(min_count) if min_count == max_count else f"{min_count}-{max_count}"
    total = size.times(max_count)
    requested = {"instances": count, "cores": str(total.cores), "ram": str(total.ram)}
    raise QuotaExceeded(_message(overs, requested))


def check_recorded(scopes: Sequence[Scope], size: Size, count: int) -> None:
    """After recording ``count`` servers: raise QuotaExceeded if usage is now over a limit.

    ``scopes`` hold usage counted after the record (these servers included);
    concurrent creates of one project can each pass :func:`allowed_count` and
    together go over, and this second look refuses the request that did.
    """
    overs = _overs(scopes, Counts())
    if not overs:
        return
    mine = size.times(count).as_dict()
    before = [_Over(o.resource, o.limit, max(o.used - mine[o.resource], 0)) for o in overs]
    raise QuotaExceeded(_message(before, {r: str(n) for r, n in mine.items()}))
