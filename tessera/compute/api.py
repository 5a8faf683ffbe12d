"""What the REST API calls for servers: create, show and delete, across cells.

Create writes the build request, request spec and instance mapping of every
requested server in one API-database transaction and casts once to the super
conductor. Every later lookup goes mapping -> cell -> cell database.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Engine

from tessera.cells.targets import CellTargets
from tessera.compute import server_reads, visible
from tessera.compute.server_create import ServerCreator
from tessera.compute.server_create import ServerRequest as ServerRequest
from tessera.compute.server_details import BASIC, CellUnreachable, ServerDetails, Wanted
from tessera.compute.server_details import ServerView as ServerView
from tessera.compute.server_parts import ImageLookup
from tessera.compute.server_reads import ApiRecord
from tessera.conductor.rpcapi import SuperConductorAPI
from tessera.context import RequestContext
from tessera.network.service import NetworkService
from tessera.objects import build_request, instance_mapping
from tessera.objects import instance as instances
from tessera.objects import request_spec as request_specs
from tessera.objects import service as services
from tessera.objects.errors import InstanceMappingNotFound, InstanceNotFound
from tessera.objects.instance import Instance
from tessera.placement.client import PlacementClient

LOG = logging.getLogger(__name__)


class ServerAPI:
    """Server operations over the API database and every cell."""

    def __init__(
        self,
        targets: CellTargets,
        conductor: SuperConductorAPI,
        placement: PlacementClient,
        network: NetworkService | None = None,
        service_down_time: float = 60.0,
        images: ImageLookup | None = None,
        cell_timeout: float = 10.0,
    ) -> None:
        self._targets = targets
        self._conductor = conductor
        self._placement = placement
        self._network = network
        self._service_down_time = service_down_time
        self._cell_timeout = cell_timeout
        self._details = ServerDetails(targets, network, images, service_down_time, cell_timeout)

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
        creator = ServerCreator(self._targets, self._conductor, self._network, self._cell_timeout)
        return creator.create(ctx, request)

    def _release_ports(self, uuids: list[str]) -> None:
        if self._network is not None:
            for uuid in uuids:
                self._network.deallocate_for_instance(uuid)

    def get(
        self,
        ctx: RequestContext,
        uuid: str,
        wanted: Wanted = BASIC,
        *,
        partial_if_cell_down: bool = False,
    ) -> ServerView:
        """The server as its cell has it (or its build request while scheduling).

        ``wanted`` names the optional parts to load. A cell that does not answer
        raises CellUnreachable, or with ``partial_if_cell_down`` gives what the API
        database knows (:meth:`ServerDetails.partial`, 2.69).
        """
        found = self._api_record(ctx, uuid, wanted)
        if found.mapping.cell is None:
            with self._targets.api_engine.connect() as conn:
                request = build_request.get(conn, uuid)
            if request is not None:
                record = Instance.from_dict(json.loads(request.instance))
                tags = [str(t) for t in json.loads(request.tags or "[]")]
                return self._details.unbuilt(record, wanted, tags)
            found = self._api_record(ctx, uuid, wanted)  # landed in a cell meanwhile
            if found.mapping.cell is None:
                raise InstanceNotFound(uuid)
        try:
            return self._details.in_cell(found, wanted)
        except CellUnreachable:
            if not partial_if_cell_down:
                raise
            return self._details.partial(uuid, wanted)

    def _api_record(self, ctx: RequestContext, uuid: str, wanted: Wanted) -> ApiRecord:
        """The server's mapping and the parts ``wanted`` asks of the API database."""
        try:
            with self._targets.api_reader.connect() as conn:
                found = server_reads.read_api(conn, uuid, wanted, self._targets.cell_by_id)
        except InstanceMappingNotFound:
            raise InstanceNotFound(uuid) from None
        visible.check(ctx, found.mapping)
        return found

    def details(self, views: Sequence[ServerView], wanted: Wanted) -> list[ServerView]:
        """A listing page's views, complete (parts read in batches for the whole page)."""
        return self._details.page(views, wanted)

    def _mapping(self, ctx: RequestContext, uuid: str) -> instance_mapping.InstanceMapping:
        return visible.mapping(self._targets, ctx, uuid)

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
        # The mapping still points at no cell: the conductor points it at one only in the
        # transaction that takes the build request, and a row it made meanwhile is its own
        # to destroy once it finds the build request gone.
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
