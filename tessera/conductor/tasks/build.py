"""Boot across cells: schedule, then land each instance in its cell (or bury it in cell0).

Every step re-checks the build request, which the API deletes when the user
deletes a server still building: whoever deletes the build request first owns
the clean-up, so a delete racing any step leaves no instance row, no mapping
pointing nowhere, no build request and no allocation behind.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from typing import Any

import oslo_messaging

from tessera.cells.targets import CellTargets
from tessera.conductor.tasks.server_group import with_group
from tessera.context import RequestContext
from tessera.network.service import NetworkService
from tessera.objects import build_request, instance_action, instance_fault, instance_mapping, tag
from tessera.objects import instance as instances
from tessera.objects import request_spec as request_specs
from tessera.objects.build_request import BuildRequest
from tessera.objects.cell_mapping import CellMapping
from tessera.objects.errors import HostMappingNotFound
from tessera.objects.instance import Instance
from tessera.objects.selection import Selection
from tessera.placement.client import PlacementClient
from tessera.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)
EVENT = "conductor_schedule_and_build_instances"


@dataclass(frozen=True)
class BuildDeps:
    """What the boot workflow talks to."""

    targets: CellTargets
    """Cells, their databases and compute clients."""
    scheduler: SchedulerAPI
    """Picks hosts and claims them."""
    placement: PlacementClient
    """To give back claims of builds that were deleted meanwhile."""
    host: str
    """This conductor's host (recorded on faults and events)."""
    network: NetworkService | None = None
    """To release the ports of builds that were deleted meanwhile."""
    cell_timeout: float = 10.0
    """Deadline of the cells' answers when looking up a server group's hosts."""


@dataclass(frozen=True)
class Pending:
    """An instance waiting to be built: its build request and request spec."""

    uuid: str
    """The instance's uuid."""
    request: BuildRequest
    """Its build request (holds the instance the API built)."""
    spec: dict[str, Any]
    """Its request spec."""

    def instance(self) -> Instance:
        """The instance as the API built it."""
        return Instance.from_dict(json.loads(self.request.instance))

    def tags(self) -> list[str]:
        """The tags it was requested with."""
        return [str(t) for t in json.loads(self.request.tags or "[]")]


def schedule_and_build(ctx: RequestContext, deps: BuildDeps, uuids: list[str]) -> None:
    """Schedule ``uuids`` as one request and build each in its cell."""
    pending = _load_pending(deps, uuids)
    if not pending:
        return
    spec = dict(pending[0].spec, num_instances=len(pending))
    uuids = [p.uuid for p in pending]
    try:
        spec = with_group(deps.targets, spec, uuids, deps.cell_timeout)
        destinations = deps.scheduler.select_destinations(ctx, spec, uuids)
    except Exception as exc:
        LOG.warning("Scheduling %d instance(s) failed: %s", len(pending), _message(exc))
        for item in pending:
            # A timed-out call may still have claimed: a buried server holds nothing.
            deps.placement.delete_allocations(item.uuid)
            bury_in_cell0(ctx, deps, item, exc)
        return
    for item, hosts in zip(pending, destinations, strict=True):
        try:
            _build_one(ctx, deps, item, hosts)
        except Exception as exc:
            LOG.exception("Building instance %s failed", item.uuid)
            deps.placement.delete_allocations(item.uuid)
            bury_in_cell0(ctx, deps, item, exc)


def _load_pending(deps: BuildDeps, uuids: list[str]) -> list[Pending]:
    pending = []
    with deps.targets.api_engine.connect() as conn:
        for uuid in uuids:
            request = build_request.get(conn, uuid)
            spec = request_specs.get(conn, uuid)
            if request is not None and spec is not None:
                pending.append(Pending(uuid, request, spec.spec))
    return pending


def _build_one(ctx: RequestContext, deps: BuildDeps, item: Pending, hosts: list[Selection]) -> None:
    selected, alternates = hosts[0], hosts[1:]
    try:
        cell = deps.targets.cell_of_host(selected.service_host)
    except HostMappingNotFound as exc:
        deps.placement.delete_allocations(item.uuid)
        reason = f"No host-to-cell mapping found for selected host {selected.service_host}."
        bury_in_cell0(ctx, deps, item, exc, message=reason)
        return
    values = {
        "host": selected.service_host,
        "node": selected.nodename,
        "availability_zone": selected.availability_zone,
    }
    record = _create_in_cell(ctx, deps, cell, item, values)
    if record is None:
        return
    deps.targets.compute(cell).build_and_run_instance(
        ctx, selected.service_host, record, item.spec, selected, alternates
    )


def _create_in_cell(
    ctx: RequestContext, deps: BuildDeps, cell: CellMapping, item: Pending, values: dict[str, Any]
) -> Instance | None:
    """Create the instance row in ``cell`` and point the mapping at it; None if deleted."""
    current = _current(deps, item.uuid)
    if current is None:
        _forget(deps, item.uuid)
        return None
    # As the build request is now, not as it was before scheduling: the user may
    # have renamed the server meanwhile (PUT /servers/{id} updates the build request).
    base = dataclasses.replace(item, request=current).instance()
    record = Instance({**base.values, **values}, base.flavor, base.metadata)
    with deps.targets.engine(cell).begin() as conn:
        created = instances.create(conn, record)
        tag.create_many(conn, item.uuid, item.tags())
        instance_action.start_action(
            conn, item.uuid, "create", ctx.request_id, created.user_id, created.project_id
        )
    if _land(deps, item.uuid, cell.id):
        return created
    # The user deleted the server meanwhile: undo what this step made.
    _destroy(deps, cell, item.uuid)
    _forget(deps, item.uuid)
    return None


def _current(deps: BuildDeps, uuid: str) -> BuildRequest | None:
    """The build request as it is now; None once the user deleted the server."""
    with deps.targets.api_engine.connect() as conn:
        return build_request.get(conn, uuid)


def _land(deps: BuildDeps, uuid: str, cell_id: int) -> bool:
    """Take the build request and point the mapping at the cell, in one transaction.

    False when the user deleted the server meanwhile: the mapping is left alone
    and the caller undoes what it made. One short write per instance keeps the
    API database free for the API's own writes during a burst.
    """
    with deps.targets.api_engine.begin() as conn:
        if not build_request.delete(conn, uuid):
            return False
        instance_mapping.set_cell(conn, uuid, cell_id)
        return True


def _forget(deps: BuildDeps, uuid: str) -> None:
    """Drop the allocation and the mapping of a server deleted during its build."""
    deps.placement.delete_allocations(uuid)
    if deps.network is not None:
        deps.network.deallocate_for_instance(uuid)
    with deps.targets.api_engine.begin() as conn:
        conn.execute(
            instance_mapping.TABLE.delete().where(instance_mapping.TABLE.c.instance_uuid == uuid)
        )


def _destroy(deps: BuildDeps, cell: CellMapping, uuid: str) -> None:
    with deps.targets.engine(cell).begin() as conn:
        instances.destroy(conn, uuid)


def _message(exc: BaseException) -> str:
    if isinstance(exc, oslo_messaging.RemoteError):
        return str(exc.value)
    return str(exc)


def bury_in_cell0(
    ctx: RequestContext,
    deps: BuildDeps,
    item: Pending,
    error: BaseException,
    message: str | None = None,
) -> None:
    """Record the instance in cell0 in ERROR with a fault and a failed ``create`` action."""
    cell0 = deps.targets.cell0()
    base = item.instance()
    values = {**base.values, "vm_state": "error", "task_state": None, "host": None, "node": None}
    with deps.targets.engine(cell0).begin() as conn:
        if instances.get_ref(conn, item.uuid) is not None:
            return  # already buried (a redelivered message)
        instances.create(conn, Instance(values, base.flavor, base.metadata))
        tag.create_many(conn, item.uuid, item.tags())
        instance_action.start_action(
            conn, item.uuid, "create", ctx.request_id, base.user_id, base.project_id
        )
        instance_action.record_event(
            conn, item.uuid, ctx.request_id, EVENT, deps.host, instance_action.format_error(error)
        )
        instance_fault.record(
            conn, item.uuid, error, deps.host, code=500, message=message or _message(error)
        )
    if not _land(deps, item.uuid, cell0.id):
        _destroy(deps, cell0, item.uuid)
        _forget(deps, item.uuid)
