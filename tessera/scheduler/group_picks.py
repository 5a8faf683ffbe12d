"""Hosts this scheduler picked for server group members that the cells cannot show yet.

Why: the super conductor reads where a group's members run from the cells
before it asks for hosts. Two requests for the same group that are scheduled
at about the same time both read the cells before either has an instance row
there, so both would see an empty group and an anti-affinity group could get
two members on one host. Each pick for a group member is therefore remembered
here (under the planner's decision lock) and added to later requests for the
same group until the cells show that member or :data:`TTL` seconds pass.
One scheduler process sees its own picks only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from tessera.scheduler.request import SchedulingRequest

TTL = 300.0
"""Seconds a pick is remembered at most (a build lands in its cell long before)."""


@dataclass(frozen=True)
class _Pick:
    """One member's host as this process chose it."""

    group: str
    """The group's uuid."""
    host: str
    """The host chosen."""
    at: float
    """When (monotonic clock)."""


class GroupPicks:
    """Member uuid -> pick, for picks the cells may not show yet."""

    def __init__(self, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._picks: dict[str, _Pick] = {}

    def merged(self, request: SchedulingRequest, exclude: Collection[str]) -> SchedulingRequest:
        """``request`` with the remembered picks of its group's other members added."""
        group = request.group_uuid
        if group is None:
            return request
        now = self._clock()
        with self._lock:
            self._expire(now)
            for uuid in request.group_member_hosts:
                self._picks.pop(uuid, None)  # the cells show it now
            extra = {
                uuid: pick.host
                for uuid, pick in self._picks.items()
                # Not limited to the spec's ``members``: that list was read before this
                # request was scheduled and may predate a concurrent request's members.
                if pick.group == group and uuid not in exclude
            }
        return request.with_group_picks(extra)

    def remember(self, request: SchedulingRequest, uuid: str | None, host: str) -> None:
        """``uuid`` of ``request`` was just given ``host``."""
        if request.group_uuid is None or uuid is None:
            return
        with self._lock:
            self._picks[uuid] = _Pick(request.group_uuid, host, self._clock())

    def forget(self, uuids: Collection[str | None]) -> None:
        """These picks were not claimed after all."""
        with self._lock:
            for uuid in uuids:
                if uuid is not None:
                    self._picks.pop(uuid, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._picks)

    def _expire(self, now: float) -> None:
        stale = [u for u, p in self._picks.items() if now - p.at > self._ttl]
        for uuid in stale:
            del self._picks[uuid]
