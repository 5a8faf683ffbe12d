"""Instance actions and their events (cell database): what happened to a server."""

from __future__ import annotations

import traceback as tb
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.db.main import models
from tessera.db.types import table_of, utcnow

ACTIONS = table_of(models.InstanceAction)
EVENTS = table_of(models.InstanceActionEvent)


@dataclass(frozen=True)
class ActionEvent:
    """One step of an action (``conductor_schedule_and_build_instances``, ...)."""

    event: str
    """Event name: ``<service>_<method>``."""
    result: str | None
    """``Success``, ``Error`` or None while running."""
    host: str | None
    """Host that ran the step."""
    traceback: str | None
    """Traceback of an error (shown to admins only)."""


def start_action(
    conn: sa.Connection,
    instance_uuid: str,
    action: str,
    request_id: str,
    user_id: str | None,
    project_id: str | None,
) -> int:
    """Record the start of an action and return its id."""
    result = conn.execute(
        sa.insert(ACTIONS).values(
            action=action,
            instance_uuid=instance_uuid,
            request_id=request_id,
            user_id=user_id,
            project_id=project_id,
            start_time=utcnow(),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _action_id(conn: sa.Connection, instance_uuid: str, request_id: str) -> int | None:
    stmt = (
        sa.select(ACTIONS.c.id)
        .where(ACTIONS.c.instance_uuid == instance_uuid, ACTIONS.c.request_id == request_id)
        .order_by(ACTIONS.c.id.desc())
        .limit(1)
    )
    value = conn.execute(stmt).scalar_one_or_none()
    return None if value is None else int(value)


def record_event(
    conn: sa.Connection,
    instance_uuid: str,
    request_id: str,
    event: str,
    host: str | None,
    traceback: str | None = None,
) -> None:
    """Record a finished event on the action of ``request_id`` (if it exists).

    A ``traceback`` marks the event (and its action) as failed.
    """
    action_id = _action_id(conn, instance_uuid, request_id)
    if action_id is None:
        return
    now = utcnow()
    conn.execute(
        sa.insert(EVENTS).values(
            event=event,
            action_id=action_id,
            start_time=now,
            finish_time=now,
            result="Error" if traceback is not None else "Success",
            traceback=traceback,
            host=host,
        )
    )
    if traceback is not None:
        conn.execute(sa.update(ACTIONS).where(ACTIONS.c.id == action_id).values(message="Error"))


def format_error(error: BaseException) -> str:
    """The traceback text stored with a failed event."""
    return "".join(tb.format_exception(error))


def events(conn: sa.Connection, instance_uuid: str, action: str) -> list[ActionEvent]:
    """Events of the instance's latest ``action`` action, oldest first."""
    stmt = (
        sa.select(EVENTS)
        .join(ACTIONS, EVENTS.c.action_id == ACTIONS.c.id)
        .where(ACTIONS.c.instance_uuid == instance_uuid, ACTIONS.c.action == action)
        .order_by(EVENTS.c.id)
    )
    return [_event(row) for row in conn.execute(stmt)]


def _event(row: Any) -> ActionEvent:
    return ActionEvent(row.event, row.result, row.host, row.traceback)


def latest_request_id(conn: sa.Connection, instance_uuid: str, action: str) -> str | None:
    """The request id of the instance's latest ``action`` action, if it has one."""
    stmt = (
        sa.select(ACTIONS.c.request_id)
        .where(ACTIONS.c.instance_uuid == instance_uuid, ACTIONS.c.action == action)
        .order_by(ACTIONS.c.id.desc())
        .limit(1)
    )
    return conn.execute(stmt).scalar()
