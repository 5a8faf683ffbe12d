"""What the REST API calls for servers: create, show and delete, across cells.

Create writes the build request, request spec and instance mapping of every
requested server in one API-database transaction and casts once to the super
conductor. Every later lookup goes mapping -> cell -> cell database.
"""

from __future__ import annotations

import json
import logging
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from tessera.cells.targets import CellTargets
from tessera.conductor.rpcapi import SuperConductorAPI
from tessera.context import RequestContext
from tessera.db.types import utcnow
from tessera.network.service import NetworkService
from tessera.objects import build_request, flavor, instance_fault, instance_mapping
from tessera.objects import instance as instances
from tessera.objects import request_spec as request_specs
from tessera.objects import service as services
from tessera.objects.build_request import BuildRequest
from tessera.objects.errors import InstanceMappingNotFound, InstanceNotFound
from tessera.objects.instance import Instance
from tessera.objects.instance_fault import Fault
from tessera.objects.request_spec import RequestSpec
from tessera.placement.client import PlacementClient

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerRequest:
    """A validated request to create one or more servers."""

    name: str
    """Display name (suffixed ``-<n>`` when several are made)."""
    flavor_id: str
    """The flavor's public id."""
    image_ref: str | None = None
    """Image to boot from."""
    min_count: int = 1
    """Fewest servers acceptable."""
    max_count: int = 1
    """Servers to make."""
    availability_zone: str | None = None
    """Requested zone, if any."""
    metadata: dict[str, str] = field(default_factory=dict)
    """User metadata."""
    key_name: str | None = None
    """Keypair to inject."""
    description: str | None = None
    """Free text."""
    networks: Any = "auto"
    """``auto``, ``none`` or a list of ``{"uuid": <network>}`` (ports to create)."""


@dataclass(frozen=True)
class ServerView:
    """A server as the API shows it: the instance and, in ERROR, its fault."""

    instance: Instance
    """The instance (from its cell, or from its build request while scheduling)."""
    fault: Fault | None = None
    """The latest fault, shown when the server is in ERROR."""
    addresses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Fixed addresses by network name, as the API shows them."""


class ServerAPI:
    """Server operations over the API database and every cell."""

    def __init__(
        self,
        targets: CellTargets,
        conductor: SuperConductorAPI,
        placement: PlacementClient,
        network: NetworkService | None = None,
        service_down_time: float = 60.0,
    ) -> None:
        self._targets = targets
        self._conductor = conductor
        self._placement = placement
        self._network = network
        self._service_down_time = service_down_time

    def _compute_up(self, conn: Any, host: str) -> bool:
        """Whether the compute service of ``host`` is heard from (so it can delete)."""
        record = services.get_by_host_and_binary(conn, host, services.COMPUTE_BINARY)
        return record is not None and record.is_up(self._service_down_time)

    @property
    def network(self) -> NetworkService | None:
        """The built-in network service, if this API has one."""
        return self._network

    @property
    def targets(self) -> CellTargets:
        """The cells this API reaches (shared with the admin resources)."""
        return self._targets

    @property
    def api_engine(self) -> Engine:
        """The API database."""
        return self._targets.api_engine

    def reload(self) -> None:
        """Re-read cell mappings now (SIGHUP)."""
        self._targets.reload()

    def create(self, ctx: RequestContext, request: ServerRequest) -> list[Instance]:
        """Record the servers as build requests and hand them to the super conductor."""
        with self._targets.api_engine.connect() as conn:
            size = flavor.get_by_flavorid(conn, request.flavor_id)
        reservation = f"r-{uuidlib.uuid4().hex[:8]}"
        records = [
            _new_instance(ctx, request, size, reservation, i) for i in range(request.max_count)
        ]
        self._allocate_ports(ctx, request, records)
        try:
            with self._targets.api_engine.begin() as conn:
                for record in records:
                    _record_build(conn, ctx, record, request)
        except Exception:
            self._release_ports([r.uuid for r in records])
            raise
        self._conductor.schedule_and_build_instances(ctx, [r.uuid for r in records])
        return records

    def _allocate_ports(
        self, ctx: RequestContext, request: ServerRequest, records: list[Instance]
    ) -> None:
        """Ports first: a request the network cannot serve is refused before it is recorded."""
        if self._network is None:
            return
        self._network.validate_request(ctx.project_id, request.networks)
        done: list[str] = []
        try:
            for record in records:
                self._network.allocate_for_instance(
                    record.uuid,
                    ctx.project_id,
                    request.networks,
                    availability_zone=request.availability_zone,
                )
                done.append(record.uuid)
        except Exception:
            self._release_ports(done)
            raise

    def _release_ports(self, uuids: list[str]) -> None:
        if self._network is not None:
            for uuid in uuids:
                self._network.deallocate_for_instance(uuid)

    def _addresses(self, uuid: str) -> dict[str, list[dict[str, Any]]]:
        if self._network is None:
            return {}
        return dict(self._network.addresses(uuid))

    def get(self, ctx: RequestContext, uuid: str) -> ServerView:
        """The server as its cell has it (or its build request while scheduling)."""
        mapping = self._mapping(ctx, uuid)
        if mapping.cell is None:
            with self._targets.api_engine.connect() as conn:
                request = build_request.get(conn, uuid)
            if request is not None:
                return ServerView(Instance.from_dict(json.loads(request.instance)))
            mapping = self._mapping(ctx, uuid)  # landed in a cell meanwhile
            if mapping.cell is None:
                raise InstanceNotFound(uuid)
        assert mapping.cell is not None
        with self._targets.engine(mapping.cell).connect() as conn:
            record = instances.get(conn, uuid)
            fault = instance_fault.latest(conn, uuid) if record.vm_state == "error" else None
        return ServerView(record, fault, self._addresses(uuid))

    def _mapping(self, ctx: RequestContext, uuid: str) -> instance_mapping.InstanceMapping:
        try:
            with self._targets.api_engine.connect() as conn:
                mapping = instance_mapping.get_by_instance_uuid(conn, uuid, self._targets.bases)
        except InstanceMappingNotFound:
            raise InstanceNotFound(uuid) from None
        if not ctx.is_admin and mapping.project_id != ctx.project_id:
            raise InstanceNotFound(uuid)  # never reveal another project's servers
        return mapping

    def delete(self, ctx: RequestContext, uuid: str) -> None:
        """Delete a server wherever it is in its life."""
        mapping = self._mapping(ctx, uuid)
        if mapping.cell is None and self._delete_build_request(uuid):
            self._delete_unbuilt(uuid)
            return
        mapping = self._mapping(ctx, uuid)
        if mapping.cell is None:
            return  # the conductor dropped it (deleted meanwhile)
        self._delete_in_cell(ctx, mapping)

    def _delete_build_request(self, uuid: str) -> bool:
        with self._targets.api_engine.begin() as conn:
            return build_request.delete(conn, uuid)

    def _delete_unbuilt(self, uuid: str) -> None:
        """We won the race: the conductor will not build it. Drop what it may hold."""
        self._placement.delete_allocations(uuid)
        self._release_ports([uuid])
        with self._targets.api_engine.begin() as conn:
            mapping = instance_mapping.get_by_instance_uuid(conn, uuid, self._targets.bases)
            cell = mapping.cell
        if cell is not None:
            # The conductor created the row just before losing the race; it will
            # see the build request gone and destroy it too, which is harmless.
            with self._targets.engine(cell).begin() as conn:
                instances.destroy(conn, uuid)
        with self._targets.api_engine.begin() as conn:
            conn.execute(
                instance_mapping.TABLE.delete().where(
                    instance_mapping.TABLE.c.instance_uuid == uuid
                )
            )
            request_specs.delete(conn, uuid)

    def _delete_in_cell(
        self,
        ctx: RequestContext,
        mapping: instance_mapping.InstanceMapping,
    ) -> None:
        assert mapping.cell is not None
        cell, uuid = mapping.cell, mapping.instance_uuid
        with self._targets.api_engine.begin() as conn:
            conn.execute(
                instance_mapping.TABLE.update()
                .where(instance_mapping.TABLE.c.instance_uuid == uuid)
                .values(queued_for_delete=True)
            )
        with self._targets.engine(cell).begin() as conn:
            record = instances.get(conn, uuid)
            host_up = bool(record.host) and self._compute_up(conn, record.host)
            if host_up:
                instances.update(conn, uuid, {"task_state": "deleting"})
        if host_up:
            self._targets.compute(cell).terminate_instance(ctx, record.host, uuid)
            return
        # No host (buried in cell0, between two hosts of a reschedule) or a host that
        # is down: delete here. A compute that comes back destroys the orphaned guest.
        with self._targets.engine(cell).begin() as conn:
            instances.soft_delete(conn, uuid)
        self._placement.delete_allocations(uuid)
        self._release_ports([uuid])


def _new_instance(
    ctx: RequestContext, request: ServerRequest, size: flavor.Flavor, reservation: str, index: int
) -> Instance:
    name = request.name if request.max_count == 1 else f"{request.name}-{index + 1}"
    values: dict[str, Any] = {
        "uuid": str(uuidlib.uuid4()),
        "user_id": ctx.user_id,
        "project_id": ctx.project_id,
        "display_name": name,
        "display_description": request.description,
        "hostname": name,
        "image_ref": request.image_ref,
        "vm_state": "building",
        "task_state": "scheduling",
        "power_state": 0,
        "memory_mb": size.memory_mb,
        "vcpus": size.vcpus,
        "root_gb": size.root_gb,
        "ephemeral_gb": size.ephemeral_gb,
        "instance_type_id": size.id,
        "availability_zone": request.availability_zone,
        "launch_index": index,
        "reservation_id": reservation,
        "key_name": request.key_name,
        "locked": False,
        "progress": 0,
        "hidden": False,
        "created_at": utcnow(),
    }
    return Instance(values, size.to_dict(), dict(request.metadata))


def _record_build(conn: Any, ctx: RequestContext, record: Instance, request: ServerRequest) -> None:
    spec = {
        "instance_uuid": record.uuid,
        "project_id": ctx.project_id,
        "user_id": ctx.user_id,
        "flavor": record.flavor,
        "num_instances": request.max_count,
        "image_ref": request.image_ref,
        "availability_zone": request.availability_zone,
        "scheduler_hints": {},
    }
    build_request.create(
        conn, BuildRequest(record.uuid, ctx.project_id or "", json.dumps(record.to_dict()))
    )
    request_specs.create(conn, RequestSpec(record.uuid, spec))
    instance_mapping.create(conn, record.uuid, ctx.project_id or "", ctx.user_id)
