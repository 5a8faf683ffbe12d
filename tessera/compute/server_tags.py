"""Server tags on the API side: found through the instance mapping, kept in the cell.

A server still being scheduled has its requested tags in its build request:
they can be read but not changed yet (409, as for any server not in a state
that allows it). Changes lock the instance row, so concurrent changes of one
server's tags cannot pass the per-server limit together.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa

from tessera.cells.targets import CellTargets
from tessera.compute.actions import InstanceInvalidState
from tessera.context import RequestContext
from tessera.objects import build_request, instance_mapping, tag
from tessera.objects.cell_mapping import CellMapping
from tessera.objects.errors import InstanceMappingNotFound, InstanceNotFound

T = TypeVar("T")

# Tags of a server may change only while it is in one of these states.
CHANGEABLE_STATES = ("active", "paused", "suspended", "stopped")


class TagNotFound(Exception):
    """The server does not have the tag (HTTP 404)."""

    def __init__(self, uuid: str, name: str) -> None:
        super().__init__(f"Instance {uuid} has no tag '{name}'")


@dataclass(frozen=True)
class TaggedServer:
    """A server found for a tag request: whose it is and where it lives."""

    uuid: str
    """The server's uuid."""
    project_id: str
    """Owner project (policy target)."""
    user_id: str | None
    """Owner user (policy target)."""
    cell: CellMapping | None
    """Its cell; None while it is still being scheduled."""

    @property
    def target(self) -> dict[str, str | None]:
        """What the tag policies test: the server's owners."""
        return {"project_id": self.project_id, "user_id": self.user_id}


class ServerTags:
    """Reading and changing servers' tags across cells."""

    def __init__(self, targets: CellTargets) -> None:
        self._targets = targets

    def find(self, ctx: RequestContext, uuid: str) -> TaggedServer:
        """The caller's server; InstanceNotFound for an unknown or another project's one."""
        try:
            with self._targets.api_engine.connect() as conn:
                mapping = instance_mapping.get_by_instance_uuid(conn, uuid, self._targets.bases)
        except InstanceMappingNotFound:
            raise InstanceNotFound(uuid) from None
        if not ctx.is_admin and mapping.project_id != ctx.project_id:
            raise InstanceNotFound(uuid)  # never reveal another project's servers
        return TaggedServer(uuid, mapping.project_id, mapping.user_id, mapping.cell)

    # ------------------------------------------------------------------ reads

    def tags(self, ctx: RequestContext, server: TaggedServer) -> list[str]:
        """The server's tags, sorted."""
        if server.cell is None:
            pending = self._requested(server)
            if pending is not None:
                return pending
            server = self.find(ctx, server.uuid)  # it reached its cell meanwhile
            if server.cell is None:
                raise InstanceNotFound(server.uuid)
        with self._targets.engine(server.cell).connect() as conn:
            if tag.lock_instance_state(conn, server.uuid, lock=False) is None:
                raise InstanceNotFound(server.uuid)
            return tag.get_for_instance(conn, server.uuid)

    def has(self, ctx: RequestContext, server: TaggedServer, name: str) -> bool:
        """Whether the server has tag ``name``."""
        return name in self.tags(ctx, server)

    def _requested(self, server: TaggedServer) -> list[str] | None:
        """Tags of a server still being scheduled, from its build request (None: gone)."""
        with self._targets.api_engine.connect() as conn:
            request = build_request.get(conn, server.uuid)
        if request is None:
            return None
        return sorted(tag.unique(json.loads(request.tags or "[]")))

    # ------------------------------------------------------------------ changes

    def add(self, server: TaggedServer, name: str) -> bool:
        """Attach ``name``; False when the server had it already."""
        return self._change(server, "update tag", lambda conn: tag.add(conn, server.uuid, name))

    def replace(self, server: TaggedServer, names: Sequence[str]) -> list[str]:
        """Make ``names`` the server's only tags; the tags as stored."""
        return self._change(
            server, "update tags", lambda conn: tag.replace(conn, server.uuid, names)
        )

    def remove(self, server: TaggedServer, name: str) -> None:
        """Detach ``name``; TagNotFound when the server does not have it."""
        if not self._change(server, "delete tag", lambda conn: tag.delete(conn, server.uuid, name)):
            raise TagNotFound(server.uuid, name)

    def remove_all(self, server: TaggedServer) -> None:
        """Detach every tag."""
        self._change(server, "delete tags", lambda conn: tag.delete_all(conn, server.uuid))

    def _change(self, server: TaggedServer, action: str, apply: Callable[[sa.Connection], T]) -> T:
        """Run ``apply`` with the server's row locked, if its state allows changes."""
        if server.cell is None:
            raise InstanceInvalidState(action, server.uuid, "vm_state", "building")
        with self._targets.engine(server.cell).begin() as conn:
            state = tag.lock_instance_state(conn, server.uuid)
            if state is None:
                raise InstanceNotFound(server.uuid)
            if state not in CHANGEABLE_STATES:
                raise InstanceInvalidState(action, server.uuid, "vm_state", state)
            return apply(conn)
