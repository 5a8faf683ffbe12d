"""Placement's allocation candidates, per compute node (root provider).

One candidate per node: placement's first allocation request landing in the
node's provider tree, and the tree's capacity and use from the provider
summaries of the same answer (so usage and candidates are one snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tessera.placement.records import (
    AllocationRequest,
    Candidates,
    ProviderSummary,
    allocations_to_json,
)


@dataclass(frozen=True)
class NodeCandidate:
    """One node placement can fit the request on."""

    node_uuid: str
    """The root resource provider, i.e. the compute node's uuid."""
    allocation_request: AllocationRequest
    """What to claim there for one instance."""
    total: dict[str, int]
    """Resource class -> capacity over the node's provider tree."""
    free: dict[str, int]
    """Resource class -> capacity minus use, as of this answer."""


def _root_of(uuid: str, summary: ProviderSummary) -> str:
    return summary.root_provider_uuid or uuid


def _tree_usage(candidates: Candidates, root: str) -> tuple[dict[str, int], dict[str, int]]:
    total: dict[str, int] = {}
    free: dict[str, int] = {}
    for uuid, summary in candidates.summaries.items():
        if _root_of(uuid, summary) != root:
            continue
        for rc, usage in summary.resources.items():
            total[rc] = total.get(rc, 0) + usage.capacity
            free[rc] = free.get(rc, 0) + usage.free
    return total, free


def by_node(candidates: Candidates) -> dict[str, NodeCandidate]:
    """Node uuid -> its candidate, in placement's order."""
    found: dict[str, NodeCandidate] = {}
    for root, requests in candidates.by_root_provider().items():
        total, free = _tree_usage(candidates, root)
        found[root] = NodeCandidate(root, requests[0], total, free)
    return found


def allocation_request_json(request: AllocationRequest) -> dict[str, Any]:
    """Placement's own allocation-request body: ``{"allocations": {rp: {"resources"}}}``."""
    return {
        "allocations": allocations_to_json(request.allocations),
        "mappings": {suffix: list(rps) for suffix, rps in request.mappings.items()},
    }
