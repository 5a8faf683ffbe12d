"""Server actions, metadata and action history, on the API side.

Every operation finds the server through its instance mapping (another
project's server is "not found", never "forbidden"), works in the server's cell
database, and for power operations casts to the server's compute host over the
cell's transport. The state checks are compare-and-set updates on the task
state, so two concurrent actions cannot both start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.cells.targets import CellTargets
from tessera.compute import visible
from tessera.context import RequestContext
from tessera.db.types import utcnow
from tessera.image.client import ImageClient, ImageServiceUnavailable
from tessera.objects import instance as instances
from tessera.objects import instance_action
from tessera.objects.cell_mapping import CellMapping
from tessera.objects.instance import Instance, UnexpectedTaskState

MAX_METADATA_ITEMS = 128
MAX_METADATA_LENGTH = 255

# (vm_states allowed, task_states allowed) per action; None in task states = idle.
_ALLOWED: dict[str, tuple[tuple[str, ...], tuple[str | None, ...]]] = {
    "stop": (("active",), (None,)),
    "start": (("stopped",), (None,)),
    # A hard reboot also rescues a server stuck in a soft reboot.
    "reboot": (("active", "stopped"), (None,)),
    "reboot_hard": (("active", "stopped", "error"), (None, "rebooting", "rebooting_hard")),
    "createImage": (("active", "stopped", "paused", "suspended"), (None,)),
}
SNAPSHOT_PENDING = "image_snapshot_pending"


class InstanceInvalidState(Exception):
    """The server is not in a state the action may start from (409)."""

    def __init__(self, action: str, uuid: str, attr: str, state: str | None) -> None:
        super().__init__(f"Cannot '{action}' instance {uuid} while it is in {attr} {state}")


class InstanceLocked(Exception):
    """The server is locked and the caller may not override the lock (409)."""

    def __init__(self, uuid: str) -> None:
        super().__init__(f"Instance {uuid} is locked")


class InstanceNotReady(Exception):
    """The server has no cell or host yet (409): it is still being scheduled."""

    def __init__(self, uuid: str) -> None:
        super().__init__(f"Instance {uuid} is not ready")


class MetadataLimit(Exception):
    """Too many metadata items (403, as quota errors are)."""


class MetadataInvalid(Exception):
    """A metadata key or value is malformed (400)."""


class ActionNotFound(Exception):
    """No action with that request id on the server (404)."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"Action {request_id} not found")


@dataclass(frozen=True)
class Located:
    """A server found through its mapping: its cell and its record there."""

    cell: CellMapping
    """The cell that holds it."""
    instance: Instance
    """The instance as its cell stores it."""

    @property
    def target(self) -> dict[str, str | None]:
        """What policy checks on this server test: its owners."""
        return {"project_id": self.instance.project_id, "user_id": self.instance.user_id}


@dataclass(frozen=True)
class ActionRecord:
    """One row of a server's action history, with its events when asked for."""

    values: dict[str, Any]
    """Columns of the action."""
    events: list[dict[str, Any]]
    """Columns of its events, oldest first."""


def locate(targets: CellTargets, ctx: RequestContext, uuid: str) -> Located:
    """The server in its cell; InstanceNotFound for another project's or an unbuilt one."""
    mapping = visible.mapping(targets, ctx, uuid)
    if mapping.cell is None:
        raise InstanceNotReady(uuid)
    with targets.engine(mapping.cell).connect() as conn:
        return Located(mapping.cell, instances.get(conn, uuid))


class ServerActions:
    """Power, lock, snapshot, metadata and history operations over the cells."""

    def __init__(self, targets: CellTargets, images: ImageClient | None = None) -> None:
        self._targets = targets
        self._images = images

    def locate(self, ctx: RequestContext, uuid: str) -> Located:
        """See :func:`locate`."""
        return locate(self._targets, ctx, uuid)

    # ------------------------------------------------------------------ power

    def stop(self, ctx: RequestContext, found: Located) -> None:
        """Begin powering the server off on its host."""
        self._power(ctx, found, "stop", "stop", "powering-off")

    def start(self, ctx: RequestContext, found: Located) -> None:
        """Begin powering the stopped server on on its host."""
        self._power(ctx, found, "start", "start", "powering-on")

    def reboot(self, ctx: RequestContext, found: Located, hard: bool) -> None:
        """Begin a soft or hard reboot on the server's host."""
        if hard:
            self._power(ctx, found, "reboot_hard", "reboot", "rebooting_hard")
        else:
            self._power(ctx, found, "reboot", "reboot", "rebooting")

    def _power(
        self, ctx: RequestContext, found: Located, check: str, action: str, task_state: str
    ) -> None:
        record = found.instance
        _check_lock(ctx, record)
        vm_states, task_states = _ALLOWED[check]
        _check_state(action, record, vm_states, task_states)
        if not record.host:
            raise InstanceInvalidState(action, record.uuid, "vm_state", record.vm_state)
        with self._targets.engine(found.cell).begin() as conn:
            try:
                # Compare-and-set: a concurrent action that won leaves another task state.
                instances.update(
                    conn,
                    record.uuid,
                    {"task_state": task_state},
                    expected_task_state=list(task_states),
                )
            except UnexpectedTaskState as exc:
                raise InstanceInvalidState(action, record.uuid, "task_state", exc.actual) from None
            instance_action.start_action(
                conn, record.uuid, action, ctx.request_id, ctx.user_id, ctx.project_id
            )
        compute = self._targets.compute(found.cell)
        if action == "stop":
            compute.stop_instance(ctx, record.host, record.uuid)
        elif action == "start":
            compute.start_instance(ctx, record.host, record.uuid)
        else:
            compute.reboot_instance(ctx, record.host, record.uuid, task_state == "rebooting_hard")

    # ------------------------------------------------------------------ snapshot

    def create_image(
        self, ctx: RequestContext, found: Located, name: str, metadata: dict[str, str]
    ) -> str:
        """Create the snapshot image (queued) and have the server's host upload its disk.

        Not lock-checked, as in the reference: a lock guards against changes to
        the server, and a snapshot changes nothing. Returns the image id.
        """
        record = found.instance
        vm_states, task_states = _ALLOWED["createImage"]
        _check_state("createImage", record, vm_states, task_states)
        if not record.host:
            raise InstanceInvalidState("createImage", record.uuid, "vm_state", record.vm_state)
        if self._images is None:
            raise ImageServiceUnavailable("This API has no image service to snapshot into.")
        image = self._images.create(ctx, snapshot_image_body(ctx, record, name, metadata))
        try:
            self._start_snapshot(ctx, found)
            self._targets.compute(found.cell).snapshot_instance(
                ctx, record.host, record.uuid, image.id
            )
        except BaseException:
            # Nothing will ever upload to it: an empty image must not be left behind.
            self._images.delete(ctx, image.id)
            raise
        return image.id

    def _start_snapshot(self, ctx: RequestContext, found: Located) -> None:
        uuid = found.instance.uuid
        with self._targets.engine(found.cell).begin() as conn:
            try:
                instances.update(
                    conn, uuid, {"task_state": SNAPSHOT_PENDING}, expected_task_state=[None]
                )
            except UnexpectedTaskState as exc:
                raise InstanceInvalidState("createImage", uuid, "task_state", exc.actual) from None
            instance_action.start_action(
                conn, uuid, "createImage", ctx.request_id, ctx.user_id, ctx.project_id
            )

    # ------------------------------------------------------------------ lock

    def lock(self, ctx: RequestContext, found: Located, reason: str | None = None) -> None:
        """Lock the server; who locked it decides who may unlock it.

        ``reason`` is accepted but not stored: the cell schema has no system
        metadata table to hold it yet.
        """
        self._set_lock(ctx, found, "lock", True, "admin" if ctx.is_admin else "owner")

    def unlock(self, ctx: RequestContext, found: Located) -> None:
        """Unlock the server (the caller's right to override was checked by policy)."""
        self._set_lock(ctx, found, "unlock", False, None)

    def _set_lock(
        self, ctx: RequestContext, found: Located, action: str, locked: bool, by: str | None
    ) -> None:
        uuid = found.instance.uuid
        with self._targets.engine(found.cell).begin() as conn:
            instances.update(conn, uuid, {"locked": locked, "locked_by": by})
            instance_action.start_action(
                conn, uuid, action, ctx.request_id, ctx.user_id, ctx.project_id
            )

    # ------------------------------------------------------------------ metadata

    def metadata(self, found: Located) -> dict[str, str]:
        """The server's user metadata."""
        return dict(found.instance.metadata)

    def update_metadata(
        self, ctx: RequestContext, found: Located, items: dict[str, str], replace: bool
    ) -> dict[str, str]:
        """Merge ``items`` into (or, with ``replace``, substitute them for) the metadata."""
        _check_lock(ctx, found.instance)
        validate_metadata(items)
        merged = dict(items) if replace else {**found.instance.metadata, **items}
        if len(merged) > MAX_METADATA_ITEMS:
            raise MetadataLimit(f"Quota exceeded for metadata_items: max {MAX_METADATA_ITEMS}")
        with self._targets.engine(found.cell).begin() as conn:
            write_metadata(conn, found.instance.uuid, merged)
        return merged

    def delete_metadata(self, ctx: RequestContext, found: Located, key: str) -> None:
        """Remove one item; KeyError when the server has no such key."""
        _check_lock(ctx, found.instance)
        if key not in found.instance.metadata:
            raise KeyError(key)
        rest = {k: v for k, v in found.instance.metadata.items() if k != key}
        with self._targets.engine(found.cell).begin() as conn:
            write_metadata(conn, found.instance.uuid, rest)

    # ------------------------------------------------------------------ history

    def actions(self, found: Located) -> list[ActionRecord]:
        """The server's actions, newest first (without events)."""
        with self._targets.engine(found.cell).connect() as conn:
            rows = conn.execute(
                sa.select(instance_action.ACTIONS)
                .where(instance_action.ACTIONS.c.instance_uuid == found.instance.uuid)
                .order_by(
                    instance_action.ACTIONS.c.created_at.desc(),
                    instance_action.ACTIONS.c.id.desc(),
                )
            ).all()
        return [ActionRecord(dict(row._mapping), []) for row in rows]

    def action(self, found: Located, request_id: str) -> ActionRecord:
        """The server's action of ``request_id`` with its events; ActionNotFound if none."""
        actions, events = instance_action.ACTIONS, instance_action.EVENTS
        with self._targets.engine(found.cell).connect() as conn:
            row = conn.execute(
                sa.select(actions)
                .where(
                    actions.c.instance_uuid == found.instance.uuid,
                    actions.c.request_id == request_id,
                )
                .order_by(actions.c.id.desc())
                .limit(1)
            ).first()
            if row is None:
                raise ActionNotFound(request_id)
            found_events = conn.execute(
                sa.select(events).where(events.c.action_id == row.id).order_by(events.c.id)
            ).all()
        return ActionRecord(dict(row._mapping), [dict(e._mapping) for e in found_events])


def _check_lock(ctx: RequestContext, record: Instance) -> None:
    # Admins act on locked servers (that is what a lock by an operator is for).
    if record.locked and not ctx.is_admin:
        raise InstanceLocked(record.uuid)


def _check_state(
    action: str, record: Instance, vm_states: Sequence[str], task_states: Sequence[str | None]
) -> None:
    if record.vm_state not in vm_states:
        raise InstanceInvalidState(action, record.uuid, "vm_state", record.vm_state)
    if record.task_state not in task_states:
        raise InstanceInvalidState(action, record.uuid, "task_state", record.task_state)


def snapshot_image_body(
    ctx: RequestContext, record: Instance, name: str, metadata: dict[str, str]
) -> dict[str, Any]:
    """The image-create body of a snapshot of ``record`` (a Glance v2 create body).

    The image belongs to the server's project (an admin's snapshot of someone's
    server is theirs: there are no image members to share it through) and is
    private. Its minimum disk is the server's root disk. The properties say
    where it came from; the user's metadata cannot override them.
    """
    properties = {
        "instance_uuid": record.uuid,
        "user_id": str(ctx.user_id),
        "image_type": "snapshot",
    }
    if record.image_ref:
        properties["base_image_ref"] = str(record.image_ref)
    if ctx.project_id != record.project_id:
        properties["instance_owner"] = str(record.project_id)
    core = {
        "name": name,
        "visibility": "private",
        "owner": record.project_id,
        "min_disk": int(record.values.get("root_gb") or 0),
    }
    return {**metadata, **properties, **core}


def validate_metadata(items: dict[str, Any]) -> None:
    """Raise MetadataInvalid unless every key and value is a string of allowed length."""
    for key, value in items.items():
        if not isinstance(key, str) or not key:
            raise MetadataInvalid("Metadata property key blank.")
        if len(key) > MAX_METADATA_LENGTH:
            raise MetadataInvalid(
                f"Metadata property key greater than {MAX_METADATA_LENGTH} characters."
            )
        if not isinstance(value, str):
            raise MetadataInvalid(f"Metadata property value for {key} is not a string.")
        if len(value) > MAX_METADATA_LENGTH:
            raise MetadataInvalid(
                f"Metadata property value greater than {MAX_METADATA_LENGTH} characters."
            )


def write_metadata(conn: sa.Connection, uuid: str, metadata: dict[str, str]) -> None:
    """Store ``metadata`` as the instance's whole user metadata.

    Rows of keys that go are soft-deleted (the cell keeps history the way it
    does for every other row); kept keys are updated in place.
    """
    table = instances.METADATA
    live = table.c.instance_uuid == uuid, table.c.deleted == 0
    current = {
        row.key: row.id for row in conn.execute(sa.select(table.c.id, table.c.key).where(*live))
    }
    now = utcnow()
    gone = [row_id for key, row_id in current.items() if key not in metadata]
    if gone:
        conn.execute(
            sa.update(table).where(table.c.id.in_(gone)).values(deleted=table.c.id, deleted_at=now)
        )
    for key, value in metadata.items():
        if key in current:
            conn.execute(
                sa.update(table)
                .where(table.c.id == current[key])
                .values(value=value, updated_at=now)
            )
        else:
            conn.execute(
                sa.insert(table).values(
                    instance_uuid=uuid, key=key, value=value, created_at=now, deleted=0
                )
            )
