"""The cell conductor: the database of one cell for its computes, and reschedules.

It is started with the cell's ``[database] connection`` and transport only;
it never reaches the API database or the API transport (the isolation rule).
"""

from __future__ import annotations

import datetime
import logging
import uuid as uuidlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.compute.rpcapi import ComputeAPI
from tessera.context import RequestContext
from tessera.db.main import models
from tessera.db.types import table_of
from tessera.network.service import NetworkService
from tessera.objects import instance as instances
from tessera.objects import instance_action, instance_fault, service, tag
from tessera.objects.errors import InstanceNotFound
from tessera.objects.instance import Instance, UnexpectedTaskState
from tessera.objects.selection import Selection
from tessera.placement.client import PlacementClient
from tessera.rpc.endpoint import endpoint_target

LOG = logging.getLogger(__name__)
NODES = table_of(models.ComputeNode)
_TIMES = ("launched_at", "terminated_at")

EXHAUSTED = (
    "Exceeded maximum number of retries. Exhausted all hosts available for retrying "
    "build failures for instance {uuid}."
)


def allocations_of(selection: Selection) -> dict[str, dict[str, int]]:
    """Provider -> resource class -> amount, from a selection's allocation request."""
    request = selection.allocation_request
    raw = request.get("allocations", request)
    return {rp: dict(body.get("resources", body)) for rp, body in raw.items()}


class CellConductorManager:
    """RPC endpoint of ``tessera-conductor`` in a cell."""

    target = endpoint_target()

    def __init__(
        self,
        engine: Engine,
        placement: PlacementClient,
        compute: ComputeAPI,
        host: str,
        network: NetworkService | None = None,
    ) -> None:
        self._engine = engine
        self._placement = placement
        self._compute = compute
        self._host = host
        self._network = network

    # -------------------------------------------------------------- service protocol
    def init_host(self) -> None:
        """Nothing to prepare: every request opens what it needs."""

    def reset(self) -> None:
        """No caches to reload."""

    def cleanup_host(self) -> None:
        """Nothing to release."""

    # -------------------------------------------------------------- services and nodes
    def service_register(
        self, ctxt: RequestContext, host: str, binary: str, topic: str | None
    ) -> int:
        """Create or find a compute's service record."""
        with self._engine.begin() as conn:
            return service.register(conn, host, binary, topic).id

    def service_heartbeat(self, ctxt: RequestContext, service_id: int) -> None:
        """Record a compute's heartbeat."""
        with self._engine.begin() as conn:
            service.heartbeat(conn, service_id)

    def compute_node_update(
        self, ctxt: RequestContext, host: str, nodename: str, values: dict[str, Any]
    ) -> str:
        """Create or update the node of ``host``; return its uuid."""
        fixed = ("id", "host", "hypervisor_hostname")
        allowed = {k: v for k, v in values.items() if k in NODES.c and k not in fixed}
        with self._engine.begin() as conn:
            where = (
                NODES.c.host == host,
                NODES.c.hypervisor_hostname == nodename,
                NODES.c.deleted == 0,
            )
            found = conn.execute(sa.select(NODES.c.uuid).where(*where)).scalar_one_or_none()
            if found is None:
                # A new node gets its identity here; it is also its placement provider.
                found = str(allowed.pop("uuid", None) or uuidlib.uuid4())
                conn.execute(
                    sa.insert(NODES).values(
                        host=host, hypervisor_hostname=nodename, uuid=found, **allowed
                    )
                )
            else:
                allowed.pop("uuid", None)
                conn.execute(sa.update(NODES).where(*where).values(**allowed))
        return str(found)

    # -------------------------------------------------------------- instances
    def instance_get(self, ctxt: RequestContext, uuid: str) -> dict[str, Any] | None:
        """The live instance, or None."""
        try:
            with self._engine.connect() as conn:
                return instances.get(conn, uuid).to_dict()
        except InstanceNotFound:
            return None

    def instance_update(
        self,
        ctxt: RequestContext,
        uuid: str,
        values: dict[str, Any],
        expected_task_state: list[str | None] | None = None,
    ) -> dict[str, Any] | None:
        """Update a live instance; None when it is gone or in another task state."""
        parsed = {k: _parse_time(v) if k in _TIMES else v for k, v in values.items()}
        try:
            with self._engine.begin() as conn:
                return instances.update(conn, uuid, parsed, expected_task_state).to_dict()
        except (InstanceNotFound, UnexpectedTaskState) as exc:
            LOG.info("Not updating instance %s: %s", uuid, exc)
            return None

    def instance_finish_delete(self, ctxt: RequestContext, uuid: str) -> None:
        """Soft-delete the instance once its guest and allocations are gone; free its ports."""
        with self._engine.begin() as conn:
            instances.soft_delete(conn, uuid)
            tag.delete_all(conn, uuid)  # tags are not soft-deleted: they go with the server
        if self._network is not None:
            self._network.deallocate_for_instance(uuid)

    def instance_fault(
        self,
        ctxt: RequestContext,
        uuid: str,
        code: int,
        message: str,
        details: str | None,
        host: str | None,
    ) -> None:
        """Record a fault reported by a compute."""
        with self._engine.begin() as conn:
            conn.execute(
                sa.insert(instance_fault.TABLE).values(
                    instance_uuid=uuid, code=code, message=message[:255], details=details, host=host
                )
            )

    def action_event(
        self,
        ctxt: RequestContext,
        uuid: str,
        event: str,
        host: str | None,
        error: str | None = None,
    ) -> None:
        """Record a finished event of the request's action."""
        with self._engine.begin() as conn:
            instance_action.record_event(conn, uuid, ctxt.request_id, event, host, error)

    # -------------------------------------------------------------- reschedules
    def build_instances(
        self,
        ctxt: RequestContext,
        instance: dict[str, Any],
        request_spec: dict[str, Any],
        alternates: list[dict[str, Any]],
    ) -> None:
        """Claim the next alternate that fits and send the build there."""
        record = Instance.from_dict(instance)
        remaining = [Selection.from_dict(a) for a in alternates]
        while remaining:
            selection, remaining = remaining[0], remaining[1:]
            if self._claim(record, selection):
                self._send_build(ctxt, record, request_spec, selection, remaining)
                return
        self._exhausted(record)

    def _claim(self, record: Instance, selection: Selection) -> bool:
        try:
            return self._placement.claim(
                record.uuid,
                allocations_of(selection),
                record.project_id or "",
                record.user_id or "",
            )
        except Exception:
            LOG.exception("Claim on alternate %s failed", selection.service_host)
            return False

    def _send_build(
        self,
        ctxt: RequestContext,
        record: Instance,
        spec: dict[str, Any],
        selection: Selection,
        remaining: list[Selection],
    ) -> None:
        values = {"host": selection.service_host, "node": selection.nodename}
        with self._engine.begin() as conn:
            try:
                updated = instances.update(conn, record.uuid, values, ["scheduling"])
            except (InstanceNotFound, UnexpectedTaskState):
                updated = None
        if updated is None:
            # Deleted while rescheduling: give back the claim just made.
            self._placement.delete_allocations(record.uuid)
            return
        self._compute.build_and_run_instance(
            ctxt, selection.service_host, updated, spec, selection, remaining
        )

    def _exhausted(self, record: Instance) -> None:
        message = EXHAUSTED.format(uuid=record.uuid)
        with self._engine.begin() as conn:
            try:
                instances.update(conn, record.uuid, {"vm_state": "error", "task_state": None})
            except InstanceNotFound:
                return
            conn.execute(
                sa.insert(instance_fault.TABLE).values(
                    instance_uuid=record.uuid, code=500, message=message[:255], host=self._host
                )
            )


def _parse_time(value: Any) -> Any:
    # Times cross RPC as ISO strings.
    return datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
