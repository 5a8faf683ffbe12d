"""Conductor RPC APIs: the cell conductor's (for computes) and the super conductor's.

Both listen on topic ``conductor``, each on its own transport: a cell
conductor on its cell's vhost, the super conductor on the API level's.
Computes never open a database; everything they store goes through here.
"""

from __future__ import annotations

from typing import Any

from tessera.context import RequestContext
from tessera.objects.instance import Instance
from tessera.objects.selection import Selection
from tessera.rpc.endpoint import RPCClient

TOPIC = "conductor"


class CellConductorAPI:
    """What a compute host asks of its cell conductor."""

    def __init__(self, transport: Any, timeout: float = 60.0) -> None:
        self._client = RPCClient(transport, TOPIC, timeout)

    def service_register(
        self, ctx: RequestContext, host: str, binary: str, topic: str | None
    ) -> int:
        """Create (or find) the service record; return its id."""
        return int(
            self._client.call(ctx, "service_register", host=host, binary=binary, topic=topic)
        )

    def service_heartbeat(self, ctx: RequestContext, service_id: int) -> None:
        """Record that the service is up now."""
        self._client.call(ctx, "service_heartbeat", service_id=service_id)

    def compute_node_update(
        self, ctx: RequestContext, host: str, nodename: str, values: dict[str, Any]
    ) -> str:
        """Create or update the host's compute node record; return the node uuid."""
        return str(
            self._client.call(
                ctx, "compute_node_update", host=host, nodename=nodename, values=values
            )
        )

    def instance_get(self, ctx: RequestContext, uuid: str) -> Instance | None:
        """The live instance, or None when it is gone (deleted meanwhile)."""
        raw = self._client.call(ctx, "instance_get", uuid=uuid)
        return None if raw is None else Instance.from_dict(raw)

    def instance_update(
        self,
        ctx: RequestContext,
        uuid: str,
        values: dict[str, Any],
        expected_task_state: list[str | None] | None = None,
    ) -> Instance | None:
        """Update the instance; None if it is gone or not in an expected task state."""
        raw = self._client.call(
            ctx,
            "instance_update",
            uuid=uuid,
            values=values,
            expected_task_state=expected_task_state,
        )
        return None if raw is None else Instance.from_dict(raw)

    def instance_finish_delete(self, ctx: RequestContext, uuid: str) -> None:
        """Soft-delete the instance row once its guest is gone."""
        self._client.call(ctx, "instance_finish_delete", uuid=uuid)

    def instance_fault(
        self,
        ctx: RequestContext,
        uuid: str,
        code: int,
        message: str,
        details: str | None,
        host: str | None,
    ) -> None:
        """Record why the instance failed."""
        self._client.call(
            ctx, "instance_fault", uuid=uuid, code=code, message=message, details=details, host=host
        )

    def action_event(
        self, ctx: RequestContext, uuid: str, event: str, host: str | None, error: str | None = None
    ) -> None:
        """Record a finished event of the request's action (``error`` = traceback)."""
        self._client.call(ctx, "action_event", uuid=uuid, event=event, host=host, error=error)

    def build_instances(
        self,
        ctx: RequestContext,
        instance: Instance,
        request_spec: dict[str, Any],
        alternates: list[Selection],
    ) -> None:
        """Reschedule a failed build to the next alternate, inside the cell."""
        self._client.cast(
            ctx,
            "build_instances",
            instance=instance.to_dict(),
            request_spec=request_spec,
            alternates=[a.to_dict() for a in alternates],
        )


class SuperConductorAPI:
    """What the API asks of the super conductor."""

    def __init__(self, transport: Any, timeout: float = 60.0) -> None:
        self._client = RPCClient(transport, TOPIC, timeout)

    def schedule_and_build_instances(
        self,
        ctx: RequestContext,
        instance_uuids: list[str],
    ) -> None:
        """Schedule and build instances whose build requests and specs are stored."""
        self._client.cast(ctx, "schedule_and_build_instances", instance_uuids=instance_uuids)
