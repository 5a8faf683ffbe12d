"""Writing the request's claims to placement, and taking them back.

A request's first claim goes through a shared :class:`ClaimBatcher`, so
concurrent requests share placement writes; the rarer one-by-one retries
after a conflict are written directly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from tessera.placement.client import Claim, PlacementClient
from tessera.placement.errors import Conflict, PlacementError
from tessera.scheduler.claim_batch import ClaimBatcher

LOG = logging.getLogger(__name__)


class Claimer:
    """Claims in placement: "does not fit" is an answer (False); other errors raise."""

    def __init__(self, placement: PlacementClient) -> None:
        self._placement = placement
        self.batcher = ClaimBatcher(placement)

    def claim_together(self, claims: Sequence[Claim]) -> bool:
        """Write every claim, all or nothing, possibly in one write with other requests'.

        False when they do not fit (someone else took the room first): the
        caller retries one by one.
        """
        return self.batcher.claim(claims)

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
