"""The scheduler's RPC API (API-level transport, topic ``scheduler``)."""

from __future__ import annotations

from typing import Any

from tessera.context import RequestContext
from tessera.objects.selection import Selection
from tessera.rpc.endpoint import RPCClient

TOPIC = "scheduler"


class SchedulerAPI:
    """Client of ``tessera-scheduler``."""

    def __init__(self, transport: Any, timeout: float = 60.0) -> None:
        self._client = RPCClient(transport, TOPIC, timeout)

    def select_destinations(
        self, ctx: RequestContext, request_spec: dict[str, Any], instance_uuids: list[str]
    ) -> list[list[Selection]]:
        """For each instance: ``[selected, *alternates]``, claimed in placement.

        Raises ``NoValidHost`` (re-raised from the scheduler) when not every
        instance could be placed; then no claim of this request remains.
        """
        raw = self._client.call(
            ctx, "select_destinations", request_spec=request_spec, instance_uuids=instance_uuids
        )
        return [[Selection.from_dict(s) for s in hosts] for hosts in raw]
