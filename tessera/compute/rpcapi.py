"""The compute service's RPC API (a cell's transport, topic ``compute``, server = host)."""

from __future__ import annotations

from typing import Any

from tessera.context import RequestContext
from tessera.objects.instance import Instance
from tessera.objects.selection import Selection
from tessera.rpc.endpoint import RPCClient

TOPIC = "compute"


class ComputeAPI:
    """Client of ``tessera-compute`` services of one cell."""

    def __init__(self, transport: Any, timeout: float = 60.0) -> None:
        self._client = RPCClient(transport, TOPIC, timeout)

    def build_and_run_instance(
        self,
        ctx: RequestContext,
        host: str,
        instance: Instance,
        request_spec: dict[str, Any],
        selection: Selection,
        alternates: list[Selection],
    ) -> None:
        """Ask ``host`` to spawn the instance; ``alternates`` are for a reschedule."""
        self._client.cast(
            ctx,
            "build_and_run_instance",
            server=host,
            instance=instance.to_dict(),
            request_spec=request_spec,
            selection=selection.to_dict(),
            alternates=[a.to_dict() for a in alternates],
        )

    def terminate_instance(self, ctx: RequestContext, host: str, instance_uuid: str) -> None:
        """Ask ``host`` to destroy the guest, then finish the delete through its conductor."""
        self._client.cast(ctx, "terminate_instance", server=host, instance_uuid=instance_uuid)

    def stop_instance(self, ctx: RequestContext, host: str, instance_uuid: str) -> None:
        """Ask ``host`` to power the guest off (the API set ``powering-off``)."""
        self._client.cast(ctx, "stop_instance", server=host, instance_uuid=instance_uuid)

    def start_instance(self, ctx: RequestContext, host: str, instance_uuid: str) -> None:
        """Ask ``host`` to power the guest on (the API set ``powering-on``)."""
        self._client.cast(ctx, "start_instance", server=host, instance_uuid=instance_uuid)

    def reboot_instance(
        self, ctx: RequestContext, host: str, instance_uuid: str, hard: bool
    ) -> None:
        """Ask ``host`` to reboot the guest (the API set ``rebooting``/``rebooting_hard``)."""
        self._client.cast(
            ctx, "reboot_instance", server=host, instance_uuid=instance_uuid, hard=hard
        )

    def snapshot_instance(
        self, ctx: RequestContext, host: str, instance_uuid: str, image_id: str
    ) -> None:
        """Ask ``host`` to upload the guest's root disk as ``image_id`` (the API set
        ``image_snapshot_pending`` and created the queued image)."""
        self._client.cast(
            ctx, "snapshot_instance", server=host, instance_uuid=instance_uuid, image_id=image_id
        )
