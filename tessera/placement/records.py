"""Typed records the placement client sends and returns, and their JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSONObject = dict[str, Any]
# provider uuid -> resource class -> amount
Allocations = dict[str, dict[str, int]]

INSTANCE_CONSUMER = "INSTANCE"


@dataclass(frozen=True)
class Inventory:
    """One resource class's inventory on a provider."""

    total: int
    """Physical amount."""
    reserved: int = 0
    """Amount kept back for the host itself."""
    allocation_ratio: float = 1.0
    """Overcommit factor: capacity is ``(total - reserved) * allocation_ratio``."""
    min_unit: int = 1
    """Smallest amount one allocation may take."""
    max_unit: int | None = None
    """Largest amount one allocation may take; None means ``total``."""
    step_size: int = 1
    """Allocations must be multiples of this."""

    def to_json(self) -> JSONObject:
        """Placement's inventory body (without the provider generation)."""
        return {
            "total": self.total,
            "reserved": self.reserved,
            "allocation_ratio": self.allocation_ratio,
            "min_unit": self.min_unit,
            "max_unit": self.total if self.max_unit is None else self.max_unit,
            "step_size": self.step_size,
        }


@dataclass(frozen=True)
class Claim:
    """The allocations one consumer should hold."""

    consumer_uuid: str
    """The consumer (an instance or a migration)."""
    allocations: Allocations
    """Provider uuid -> resource class -> amount."""
    project_id: str
    """Owning project."""
    user_id: str
    """Owning user."""
    consumer_generation: int | None = None
    """The consumer's current generation; None for a consumer that does not exist yet."""
    consumer_type: str = INSTANCE_CONSUMER
    """Placement's consumer type (``INSTANCE`` or ``MIGRATION``)."""

    def to_json(self) -> JSONObject:
        """The per-consumer body of ``PUT /allocations/{c}`` and ``POST /allocations``."""
        return {
            "allocations": allocations_to_json(self.allocations),
            "project_id": self.project_id,
            "user_id": self.user_id,
            "consumer_generation": self.consumer_generation,
            "consumer_type": self.consumer_type,
        }


@dataclass(frozen=True)
class ConsumerAllocations:
    """What one consumer holds, as placement reports it."""

    allocations: Allocations
    """Provider uuid -> resource class -> amount; empty when it holds nothing."""
    consumer_generation: int | None = None
    """The generation to send with the next write; None for an unknown consumer."""
    project_id: str | None = None
    """Owning project, when the consumer exists."""
    user_id: str | None = None
    """Owning user, when the consumer exists."""
    consumer_type: str | None = None
    """Consumer type, when the consumer exists."""


@dataclass(frozen=True)
class ResourceUsage:
    """Capacity and use of one resource class on one provider."""

    capacity: int
    """``(total - reserved) * allocation_ratio``."""
    used: int
    """Amount already allocated."""

    @property
    def free(self) -> int:
        """Amount still allocatable."""
        return self.capacity - self.used


@dataclass(frozen=True)
class ProviderSummary:
    """A provider that takes part in at least one allocation candidate."""

    resources: dict[str, ResourceUsage]
    """Resource class -> capacity and use."""
    traits: tuple[str, ...] = ()
    """The provider's traits."""
    root_provider_uuid: str | None = None
    """Root of the provider's tree."""
    parent_provider_uuid: str | None = None
    """Parent provider; None for a root."""


@dataclass(frozen=True)
class AllocationRequest:
    """One way to satisfy the request: what to allocate on which providers."""

    allocations: Allocations
    """Provider uuid -> resource class -> amount; pass it to ``claim``."""
    mappings: dict[str, list[str]] = field(default_factory=dict)
    """Request group suffix -> provider uuids that satisfied it."""


@dataclass(frozen=True)
class Candidates:
    """``GET /allocation_candidates``, decoded."""

    requests: tuple[AllocationRequest, ...]
    """The allocation requests, in placement's order."""
    summaries: dict[str, ProviderSummary]
    """Provider uuid -> its summary."""

    def by_root_provider(self) -> dict[str, list[AllocationRequest]]:
        """Allocation requests grouped by the root provider (the host) they land on.

        Placement's order is kept within each group, and groups appear in the
        order of their first request, so the scheduler can walk hosts in turn.
        """
        grouped: dict[str, list[AllocationRequest]] = {}
        for request in self.requests:
            grouped.setdefault(self._root_of(request), []).append(request)
        return grouped

    def _root_of(self, request: AllocationRequest) -> str:
        # Requests spanning a tree name several providers; they share one root.
        uuid = next(iter(request.allocations))
        summary = self.summaries.get(uuid)
        if summary is None or summary.root_provider_uuid is None:
            return uuid
        return summary.root_provider_uuid


def allocations_to_json(allocations: Allocations) -> JSONObject:
    """``{rp: {rc: n}}`` -> placement's ``{rp: {"resources": {rc: n}}}``."""
    return {rp: {"resources": dict(resources)} for rp, resources in allocations.items()}


def allocations_from_json(body: JSONObject) -> Allocations:
    """Placement's ``{rp: {"resources": {rc: n}, ...}}`` -> ``{rp: {rc: n}}``."""
    return {rp: dict(entry["resources"]) for rp, entry in body.items()}


def consumer_from_json(body: JSONObject) -> ConsumerAllocations:
    """Decode ``GET /allocations/{consumer}``."""
    return ConsumerAllocations(
        allocations=allocations_from_json(body.get("allocations", {})),
        consumer_generation=body.get("consumer_generation"),
        project_id=body.get("project_id"),
        user_id=body.get("user_id"),
        consumer_type=body.get("consumer_type"),
    )


def candidates_from_json(body: JSONObject) -> Candidates:
    """Decode ``GET /allocation_candidates`` (microversion 1.12 or later)."""
    requests = tuple(
        AllocationRequest(allocations_from_json(req["allocations"]), req.get("mappings", {}))
        for req in body.get("allocation_requests", [])
    )
    summaries = {
        uuid: _summary_from_json(summary)
        for uuid, summary in body.get("provider_summaries", {}).items()
    }
    return Candidates(requests, summaries)


def _summary_from_json(body: JSONObject) -> ProviderSummary:
    resources = {
        rc: ResourceUsage(int(usage["capacity"]), int(usage["used"]))
        for rc, usage in body.get("resources", {}).items()
    }
    return ProviderSummary(
        resources=resources,
        traits=tuple(body.get("traits", ())),
        root_provider_uuid=body.get("root_provider_uuid"),
        parent_provider_uuid=body.get("parent_provider_uuid"),
    )
