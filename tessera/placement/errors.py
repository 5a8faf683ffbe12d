"""Typed errors of the placement layer; ``str()`` carries placement's own error text."""

from __future__ import annotations

# Placement's machine-readable error code for generation races (``errors[].code``).
CONCURRENT_UPDATE_CODE = "placement.concurrent_update"


class PlacementError(Exception):
    """A placement request failed; ``status`` is 0 when no HTTP answer arrived."""

    def __init__(self, message: str, status: int = 0, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class PlacementUnavailable(PlacementError):
    """Placement could not be reached, or its server failed (5xx)."""


class BadRequest(PlacementError):
    """Placement rejected the request as malformed (400)."""


class NotFound(PlacementError):
    """The provider, consumer or resource class does not exist (404)."""


class Conflict(PlacementError):
    """Placement refused a write that conflicts with its current state (409)."""


class ConcurrentUpdate(Conflict):
    """A provider or consumer generation changed under us: re-read and retry."""


class CapacityExceeded(Conflict):
    """An allocation does not fit the providers' inventory (409 on allocation writes)."""


class EmbeddedPlacementBusy(PlacementError):
    """Another in-process placement app is still open in this process."""


class PlacementStartFailed(PlacementError):
    """A placement server process did not come up."""


def error_for_status(status: int, message: str, code: str | None) -> PlacementError:
    """The typed error for an HTTP error ``status`` with placement's ``message``."""
    if status == 409:
        if code == CONCURRENT_UPDATE_CODE:
            return ConcurrentUpdate(message, status, code)
        return Conflict(message, status, code)
    kind: type[PlacementError] = {400: BadRequest, 404: NotFound}.get(status, PlacementError)
    if status >= 500:
        kind = PlacementUnavailable
    return kind(message, status, code)
