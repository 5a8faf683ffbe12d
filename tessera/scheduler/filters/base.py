"""The interface every host filter implements."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest


class HostFilter(Protocol):
    """Decides whether one host may take one instance of a request.

    Implementations are classes built with the service's ``ConfigOpts``
    (``Cls(conf)``); ``[filter_scheduler] enabled_filters`` names them.
    """

    def host_passes(
        self, host: HostState, request: SchedulingRequest, chosen_hosts: Collection[str]
    ) -> bool:
        """True to keep ``host``; ``chosen_hosts`` were picked earlier in this request."""
        ...
