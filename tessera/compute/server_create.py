"""Creating servers: quota, ports, the group hint, then one API-database transaction.

Order of a create, cheapest refusal first:

1. flavor, group hint and limits (one API-database connection);
2. usage and how many servers fit (:mod:`tessera.compute.create_quota`);
3. ports (the network may refuse the request);
4. one transaction: group membership, and per server its build request
   (with its tags), request spec and instance mapping;
5. a second look at the quota from the API database alone, which refuses a
   request that concurrent creates of the same project pushed over a limit
   (its records are removed again);
6. one cast to the super conductor.
"""

from __future__ import annotations

import json
import logging
import uuid as uuidlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tessera.cells.targets import CellTargets
from tessera.compute import create_quota, server_group_hints
from tessera.compute.create_quota import Scope, Size
from tessera.conductor.rpcapi import SuperConductorAPI
from tessera.context import RequestContext
from tessera.db.types import utcnow
from tessera.network.service import NetworkService
from tessera.objects import build_request, flavor, instance_mapping, quota
from tessera.objects import request_spec as request_specs
from tessera.objects.build_request import BuildRequest
from tessera.objects.instance import Instance
from tessera.objects.request_spec import RequestSpec
from tessera.objects.server_group import MEMBERS, ServerGroup

LOG = logging.getLogger(__name__)


class ZeroDiskFlavor(Exception):
    """An image-backed server of a flavor without a root disk, which policy refuses."""

    def __init__(self) -> None:
        super().__init__("Only volume-backed servers are allowed for flavors with zero disk.")


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
    """Most servers to make (as many as the quota allows, down to ``min_count``)."""
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
    scheduler_hints: Mapping[str, Any] = field(default_factory=dict)
    """The request's scheduler hints as given (stored in the request spec)."""
    group: str | None = None
    """Uuid of the server group the servers join (the ``group`` hint)."""
    tags: tuple[str, ...] = ()
    """Tags the servers are created with (validated, 2.52)."""
    zero_disk_allowed: bool = True
    """Whether policy lets the caller boot (from an image) a flavor with no root disk."""


@dataclass(frozen=True)
class _Plan:
    """What steps 1 and 2 decided."""

    size: flavor.Flavor
    """The flavor."""
    group: ServerGroup | None
    """The group joined, if any."""
    limits: Mapping[str, int]
    """The project's limits."""
    own: Mapping[str, int]
    """The user's own limits (usually none)."""
    usage: quota.ServerUsage
    """That usage (its cells' sums are reused by the second look)."""
    count: int
    """How many servers to make."""


class ServerCreator:
    """One create request's work; see the module docstring for its order."""

    def __init__(
        self,
        targets: CellTargets,
        conductor: SuperConductorAPI,
        network: NetworkService | None,
        cell_timeout: float,
    ) -> None:
        self._targets = targets
        self._conductor = conductor
        self._network = network
        self._cell_timeout = cell_timeout

    def create(self, ctx: RequestContext, request: ServerRequest) -> list[Instance]:
        """Record the servers and hand them to the super conductor; return them."""
        plan = self._plan(ctx, request)
        reservation = f"r-{uuidlib.uuid4().hex[:8]}"
        records = [
            _new_instance(ctx, request, plan.size, reservation, i, plan.count)
            for i in range(plan.count)
        ]
        uuids = [r.uuid for r in records]
        self._allocate_ports(ctx, request, records)
        try:
            self._record(ctx, request, plan, records)
            self._recheck(ctx, plan, uuids)
        except Exception:
            self._release_ports(uuids)
            raise
        self._conductor.schedule_and_build_instances(ctx, uuids)
        return records

    # ------------------------------------------------------------------ quota

    def _plan(self, ctx: RequestContext, request: ServerRequest) -> _Plan:
        project, user = ctx.project_id or "", ctx.user_id or ""
        with self._targets.api_reader.connect() as conn:
            # A private flavor the project has no access to, or a disabled one, is
            # not found (as the reference answers), whoever asks for it.
            viewer = flavor.Viewer(ctx.project_id, ctx.is_admin)
            size = flavor.get_visible(conn, request.flavor_id, viewer)
            if size.disabled:
                raise flavor.FlavorNotFound(request.flavor_id)
            if size.root_gb == 0 and not request.zero_disk_allowed:
                raise ZeroDiskFlavor()  # every server boots from an image: no volumes yet
            group = None
            if request.group is not None:
                group = server_group_hints.resolve(conn, ctx, request.group)
            limits = quota.limits(conn, project)
            own = quota.user_limits(conn, project, user) if user else {}
        # The user's servers are only counted when the user has limits of its own.
        per_user = user if any(r in own for r in quota.SERVER_RESOURCES) else None
        usage = quota.server_usage(self._targets, project, per_user, self._cell_timeout)
        count = create_quota.allowed_count(
            _scopes(limits, own, usage), _size(size), request.min_count, request.max_count
        )
        return _Plan(size, group, limits, own, usage, count)

    def _recheck(self, ctx: RequestContext, plan: _Plan, uuids: Sequence[str]) -> None:
        """Step 5: refuse (and undo) when concurrent creates went over a limit together."""
        per_user = ctx.user_id if plan.usage.user is not None else None
        after = quota.recount(self._targets, ctx.project_id or "", per_user, plan.usage)
        scopes = _scopes(plan.limits, plan.own, after)
        try:
            create_quota.check_recorded(scopes, _size(plan.size), len(uuids))
        except create_quota.QuotaExceeded:
            self._unrecord(uuids)
            raise

    # ------------------------------------------------------------------ records

    def _record(
        self, ctx: RequestContext, request: ServerRequest, plan: _Plan, records: list[Instance]
    ) -> None:
        group_entry = None
        with self._targets.api_engine.begin() as conn:
            if plan.group is not None:
                uuids = [r.uuid for r in records]
                server_group_hints.add_members(
                    conn, plan.group, ctx.project_id or "", ctx.user_id or "", uuids
                )
                group_entry = server_group_hints.spec_entry(plan.group)
            for record in records:
                _record_build(conn, ctx, record, request, len(records), group_entry)

    def _unrecord(self, uuids: Sequence[str]) -> None:
        """Remove what :meth:`_record` wrote (nothing was cast yet)."""
        with self._targets.api_engine.begin() as conn:
            for table, column in (
                (build_request.TABLE, "instance_uuid"),
                (request_specs.TABLE, "instance_uuid"),
                (instance_mapping.TABLE, "instance_uuid"),
                (MEMBERS, "instance_uuid"),
            ):
                conn.execute(sa.delete(table).where(table.c[column].in_(list(uuids))))

    # ------------------------------------------------------------------ ports

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

    def _release_ports(self, uuids: Sequence[str]) -> None:
        if self._network is not None:
            for uuid in uuids:
                self._network.deallocate_for_instance(uuid)


def _size(size: flavor.Flavor) -> Size:
    return Size(size.vcpus, size.memory_mb)


def _scopes(
    limits: Mapping[str, int], own: Mapping[str, int], usage: quota.ServerUsage
) -> tuple[Scope, ...]:
    """The project's scope, then the user's when it has limits of its own."""
    project = Scope(limits, usage.project)
    if usage.user is None or not own:
        return (project,)
    return (project, Scope(own, usage.user))


def _hints(hints: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Hints as the request spec keeps them: every value a list (as the reference does)."""
    return {k: v if isinstance(v, list) else [v] for k, v in hints.items()}


def _new_instance(
    ctx: RequestContext,
    request: ServerRequest,
    size: flavor.Flavor,
    reservation: str,
    index: int,
    count: int,
) -> Instance:
    name = request.name if count == 1 else f"{request.name}-{index + 1}"
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


def _record_build(
    conn: sa.Connection,
    ctx: RequestContext,
    record: Instance,
    request: ServerRequest,
    count: int,
    group: dict[str, Any] | None,
) -> None:
    spec: dict[str, Any] = {
        "instance_uuid": record.uuid,
        "project_id": ctx.project_id,
        "user_id": ctx.user_id,
        "flavor": record.flavor,
        "num_instances": count,
        "image_ref": request.image_ref,
        "availability_zone": request.availability_zone,
        "scheduler_hints": _hints(request.scheduler_hints),
    }
    if group is not None:
        spec["instance_group"] = group
    build_request.create(
        conn,
        BuildRequest(
            record.uuid,
            ctx.project_id or "",
            json.dumps(record.to_dict()),
            tags=json.dumps(list(request.tags)),
        ),
    )
    request_specs.create(conn, RequestSpec(record.uuid, spec))
    instance_mapping.create(conn, record.uuid, ctx.project_id or "", ctx.user_id)
