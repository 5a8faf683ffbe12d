"""Writing the request's claims to placement, and taking them back."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from tessera.placement.client import Claim, PlacementClient
from tessera.placement.errors import Conflict, PlacementError

LOG = logging.getLogger(__name__)


class Claimer:
    """Claims in placement: "does not fit" is an answer (False); other errors raise."""

    def __init__(self, placement: PlacementClient) -> None:
        self._placement = placement

    def claim_together(self, claims: Sequence[Claim]) -> bool:
        """Write every claim in one request, all or nothing."""
        try:
            self._placement.claim_many(claims)
        except Conflict as exc:
            # Someone else took the room first: the caller retries one by one.
            LOG.info("Claiming %d instances at once conflicted: %s", len(claims), exc)
            return False
        return True

    def claim_one(self, claim: Claim) -> bool:
        """Write one instance's claim; False when it does not fit or lost a race."""
        try:
            return self._placement.claim(
                claim.consumer_uuid, claim.allocations, claim.project_id, claim.user_id
            )
        except Conflict as exc:
            LOG.info("Claim of %s conflicted: %s", claim.consumer_uuid, exc)
            return False

    def release(self, consumers: Iterable[str]) -> None:
        """Delete the consumers' allocations; a failure is logged for the reconciler."""
        for consumer in consumers:
            try:
                self._placement.delete_allocations(consumer)
            except PlacementError:
                LOG.exception("Could not release the allocations of %s", consumer)
