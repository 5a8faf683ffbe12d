"""The interface every weigher implements, and how their weights combine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest


class Weigher(Protocol):
    """Scores hosts; higher raw weights are better before the multiplier applies.

    Implementations are classes built with the service's ``ConfigOpts``
    (``Cls(conf)``); ``[filter_scheduler] weight_classes`` names them.
    """

    @property
    def multiplier(self) -> float:
        """Scale of this weigher's normalized weight (negative inverts it)."""
        ...

    def weight(self, host: HostState, request: SchedulingRequest) -> float:
        """The raw (unnormalized) weight of ``host`` for ``request``."""
        ...


def normalize(values: Sequence[float]) -> list[float]:
    """Map ``values`` onto 0..1 over their own range (all 0.0 when they are equal)."""
    if not values:
        return []
    low, high = min(values), max(values)
    if high == low:
        return [0.0] * len(values)
    return [(v - low) / (high - low) for v in values]


def total_weights(
    hosts: Sequence[HostState], request: SchedulingRequest, weighers: Sequence[Weigher]
) -> list[float]:
    """Per host: the sum over weighers of multiplier x normalized raw weight."""
    totals = [0.0] * len(hosts)
    for weigher in weighers:
        raw = [weigher.weight(h, request) for h in hosts]
        for i, value in enumerate(normalize(raw)):
            totals[i] += weigher.multiplier * value
    return totals
