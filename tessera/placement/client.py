"""A typed client of the placement API, over any :class:`Transport`.

Every method is one small step the scheduler, conductor or a compute needs.
Errors come back as the typed exceptions of :mod:`tessera.placement.errors`
carrying placement's own error text; a 409 ``placement.concurrent_update``
(a generation race) is always :class:`~tessera.placement.errors.ConcurrentUpdate`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from urllib.parse import quote, urlencode

from tessera.placement.errors import (
    CapacityExceeded,
    ConcurrentUpdate,
    Conflict,
    NotFound,
    PlacementError,
    error_for_status,
)
from tessera.placement.records import (
    INSTANCE_CONSUMER,
    Allocations,
    Candidates,
    Claim,
    ConsumerAllocations,
    Inventory,
    JSONObject,
    candidates_from_json,
    consumer_from_json,
)
from tessera.placement.transport import (
    DEFAULT_VERSION,
    HTTPTransport,
    Response,
    Transport,
    WSGITransport,
)

__all__ = [
    "Candidates",
    "Claim",
    "ConsumerAllocations",
    "HTTPTransport",
    "Inventory",
    "PlacementClient",
    "Response",
    "Transport",
    "WSGITransport",
]


class PlacementClient:
    """Placement operations as typed calls; as thread-safe as its transport."""

    def __init__(self, transport: Transport, version: str = DEFAULT_VERSION) -> None:
        self._transport = transport
        self._version = version

    # ------------------------------------------------------------------ providers

    def ensure_resource_provider(self, uuid: str, name: str) -> int:
        """Create the provider unless it exists; return its generation."""
        generation = self._provider_generation(uuid)
        if generation is not None:
            return generation
        resp = self._call("POST", "/resource_providers", {"uuid": uuid, "name": name}, allow=(409,))
        if resp.status != 409:
            return int(_body(resp)["generation"])
        # Someone else created it between our GET and POST: take theirs. If it is
        # still missing, the name belongs to another provider and the 409 stands.
        generation = self._provider_generation(uuid)
        if generation is None:
            raise _error(resp, "POST", "/resource_providers")
        return generation

    def delete_resource_provider(self, uuid: str) -> bool:
        """Delete the provider; False if it did not exist, Conflict while it is in use."""
        resp = self._call("DELETE", f"/resource_providers/{_q(uuid)}", allow=(404,))
        return resp.status != 404

    def set_inventory(
        self, rp_uuid: str, inventories: Mapping[str, Inventory], generation: int | None = None
    ) -> int:
        """Replace the provider's whole inventory; return its new generation.

        ``generation`` saves a read when the caller already knows it. On a
        generation race the current generation is re-read and the write retried once.
        """
        if generation is None:
            generation = self._require_generation(rp_uuid)
        try:
            return self._put_inventories(rp_uuid, inventories, generation)
        except ConcurrentUpdate:
            return self._put_inventories(rp_uuid, inventories, self._require_generation(rp_uuid))

    def get_provider_usages(self, rp_uuid: str) -> dict[str, int]:
        """Resource class -> amount allocated on the provider."""
        resp = self._call("GET", f"/resource_providers/{_q(rp_uuid)}/usages")
        return {rc: int(n) for rc, n in _body(resp)["usages"].items()}

    def _provider_generation(self, uuid: str) -> int | None:
        resp = self._call("GET", f"/resource_providers/{_q(uuid)}", allow=(404,))
        return None if resp.status == 404 else int(_body(resp)["generation"])

    def _require_generation(self, uuid: str) -> int:
        generation = self._provider_generation(uuid)
        if generation is None:
            raise NotFound(f"Resource provider {uuid} not found", 404)
        return generation

    def _put_inventories(
        self, rp_uuid: str, inventories: Mapping[str, Inventory], generation: int
    ) -> int:
        body = {
            "resource_provider_generation": generation,
            "inventories": {rc: inv.to_json() for rc, inv in inventories.items()},
        }
        resp = self._call("PUT", f"/resource_providers/{_q(rp_uuid)}/inventories", body)
        return int(_body(resp)["resource_provider_generation"])

    # ------------------------------------------------------------------ candidates

    def get_allocation_candidates(
        self,
        resources: Mapping[str, int],
        limit: int | None = None,
        in_tree: str | None = None,
        member_of: Sequence[str] | None = None,
    ) -> Candidates:
        """Providers able to hold ``resources``, optionally in one tree or aggregates.

        ``member_of`` lists aggregate uuids; a provider in any of them qualifies.
        """
        params = {"resources": ",".join(f"{rc}:{n}" for rc, n in sorted(resources.items()))}
        if limit is not None:
            params["limit"] = str(limit)
        if in_tree is not None:
            params["in_tree"] = in_tree
        if member_of:
            aggregates = [member_of] if isinstance(member_of, str) else list(member_of)
            params["member_of"] = "in:" + ",".join(aggregates)
        resp = self._call("GET", f"/allocation_candidates?{urlencode(params, safe=':,')}")
        return candidates_from_json(_body(resp))

    # ------------------------------------------------------------------ allocations

    def claim(
        self,
        consumer_uuid: str,
        allocations: Allocations,
        project_id: str,
        user_id: str,
        consumer_generation: int | None = None,
    ) -> bool:
        """Write one instance's allocations; False when they do not fit.

        Raises ConcurrentUpdate when ``consumer_generation`` is stale (None for
        a consumer that already holds allocations counts as stale).
        """
        claim = Claim(consumer_uuid, allocations, project_id, user_id, consumer_generation)
        try:
            self._write_allocations("PUT", f"/allocations/{_q(consumer_uuid)}", claim.to_json())
        except CapacityExceeded:
            return False
        return True

    def claim_many(self, claims: Sequence[Claim]) -> None:
        """Write several consumers' allocations in one request: all or nothing.

        Raises CapacityExceeded when any of them does not fit, ConcurrentUpdate
        on a generation race; in both cases nothing was written.
        """
        if not claims:
            return
        body = {claim.consumer_uuid: claim.to_json() for claim in claims}
        if len(body) != len(claims):
            raise ValueError("claim_many: a consumer appears more than once")
        self._write_allocations("POST", "/allocations", body)

    def get_allocations(self, consumer_uuid: str) -> ConsumerAllocations:
        """What the consumer holds (empty allocations for an unknown consumer)."""
        resp = self._call("GET", f"/allocations/{_q(consumer_uuid)}")
        return consumer_from_json(_body(resp))

    def delete_allocations(self, consumer_uuid: str) -> bool:
        """Drop all the consumer's allocations; False if it held none."""
        resp = self._call("DELETE", f"/allocations/{_q(consumer_uuid)}", allow=(404,))
        return resp.status != 404

    def move_allocations(
        self, source_consumer: str, target_consumer: str, consumer_type: str | None = None
    ) -> bool:
        """Move the source's allocations to the target in one atomic request.

        The target's own allocations, if any, are replaced; it takes the source's
        project, user and (unless ``consumer_type`` is given) type. Returns False
        when the source holds nothing. A race on either consumer raises ConcurrentUpdate.
        """
        source = self.get_allocations(source_consumer)
        if not source.allocations:
            return False
        target = self.get_allocations(target_consumer)
        emptied = _claim_like(source_consumer, {}, source, source.consumer_generation)
        moved = _claim_like(target_consumer, source.allocations, source, target.consumer_generation)
        if consumer_type is not None:
            moved = replace(moved, consumer_type=consumer_type)
        body = {source_consumer: emptied.to_json(), target_consumer: moved.to_json()}
        self._write_allocations("POST", "/allocations", body)
        return True

    def get_usages(self, project_id: str, user_id: str | None = None) -> dict[str, int]:
        """Resource class -> amount used by the project (and user), all consumer types."""
        # Without consumer_type=all, placement 16 groups by consumer type with a
        # query PostgreSQL rejects (GROUP BY misses the resource class): a 500.
        params = {"project_id": project_id, "consumer_type": "all"}
        if user_id is not None:
            params["user_id"] = user_id
        resp = self._call("GET", f"/usages?{urlencode(params)}")
        return _flat_usages(_body(resp)["usages"])

    def _write_allocations(self, method: str, path: str, body: JSONObject) -> None:
        try:
            self._call(method, path, body)
        except ConcurrentUpdate:
            raise
        except Conflict as exc:
            # Placement's other 409s on allocation writes all mean "does not fit".
            raise CapacityExceeded(str(exc), exc.status, exc.code) from exc

    # ------------------------------------------------------------------ plumbing

    def _call(
        self,
        method: str,
        path: str,
        body: JSONObject | None = None,
        allow: Collection[int] = (),
    ) -> Response:
        """Send; raise the typed error for a 4xx/5xx answer unless its status is in ``allow``."""
        resp = self._transport.request(method, path, body, self._version)
        if resp.status >= 400 and resp.status not in allow:
            raise _error(resp, method, path)
        return resp


def _claim_like(
    consumer: str, allocations: Allocations, owner: ConsumerAllocations, generation: int | None
) -> Claim:
    """A claim for ``consumer`` owned like ``owner`` (same project, user and type)."""
    if owner.project_id is None or owner.user_id is None:
        raise PlacementError(f"Consumer {consumer}: placement reported no project/user")
    return Claim(
        consumer,
        allocations,
        owner.project_id,
        owner.user_id,
        generation,
        owner.consumer_type or INSTANCE_CONSUMER,
    )


def _flat_usages(usages: JSONObject) -> dict[str, int]:
    """Resource class -> total; from microversion 1.38 usages come per consumer type."""
    groups = [group for group in usages.values() if isinstance(group, dict)]
    if not groups:
        groups = [usages]
    totals: dict[str, int] = {}
    for group in groups:
        for rc, amount in group.items():
            if rc != "consumer_count":
                totals[rc] = totals.get(rc, 0) + int(amount)
    return totals


def _body(resp: Response) -> JSONObject:
    if resp.json is None:
        raise PlacementError(f"Placement answered {resp.status} without a JSON body", resp.status)
    return resp.json


def _error(resp: Response, method: str, path: str) -> PlacementError:
    """The typed error for ``resp``, with placement's own error text."""
    detail, code = _error_detail(resp)
    return error_for_status(resp.status, f"{method} {path} -> {resp.status}: {detail}", code)


def _error_detail(resp: Response) -> tuple[str, str | None]:
    """Placement's ``errors[0]`` detail and code (its API-WG error format)."""
    errors = (resp.json or {}).get("errors") or []
    if not errors or not isinstance(errors[0], dict):
        return "(no error detail)", None
    first = errors[0]
    # Placement pads the detail with newlines and spaces; one line reads better in logs.
    detail = " ".join(str(first.get("detail") or first.get("title") or "").split())
    return detail, first.get("code")


def _q(segment: str) -> str:
    """Quote one path segment."""
    return quote(segment, safe="")
