"""Rows a running cloud has, written straight into the ``cloud`` databases for the API tests.

Cells 0-2 mapped as an operator maps them, a cell whose database is down,
servers (a row in their cell, an instance mapping, a request spec) and compute
services heard from lately or long ago. Each API's test cloud keeps the ids of
the mapped cells and passes them in.
"""

from __future__ import annotations

import datetime
import uuid as uuidlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tessera.db.types import utcnow
from tessera.objects import instance as instances
from tessera.objects import request_spec as request_specs
from tessera.objects.instance import Instance
from tessera.objects.request_spec import RequestSpec
from tests.conftest import CloudDBs
from tests.manage.helpers import (
    CELL0_UUID,
    CELL1_UUID,
    CELL2_UUID,
    CELL_MAPPINGS,
    COMPUTE,
    INSTANCE_MAPPINGS,
    INSTANCES,
    SERVICES,
    unreachable_url,
)

CELL3_UUID = "33333333-3333-4333-8333-333333333333"


def _inserted_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def map_cells(dbs: CloudDBs) -> dict[str, int]:
    """Cells 0-2 of ``dbs`` mapped (no hosts yet); their mapping ids by name."""
    cells = [
        ("cell0", CELL0_UUID, dbs.cell0, "none:///"),
        ("cell1", CELL1_UUID, dbs.cell1, "rabbit://mq1.example:5672/"),
        ("cell2", CELL2_UUID, dbs.cell2, "rabbit://mq2.example:5672/"),
    ]
    ids: dict[str, int] = {}
    with dbs.engine("api").begin() as conn:
        for name, uuid, db, mq in cells:
            result = conn.execute(
                sa.insert(CELL_MAPPINGS).values(
                    uuid=uuid, name=name, transport_url=mq, database_connection=db
                )
            )
            ids[name] = _inserted_id(result)
    return ids


def map_down_cell(dbs: CloudDBs, tmp: Path, url: str | None = None) -> int:
    """cell3 mapped to a database that cannot be reached; its mapping id.

    ``url`` is that database (by default one of the backend's kind, under ``tmp``).
    """
    url = url or unreachable_url(dbs.backend, tmp)
    with dbs.engine("api").begin() as conn:
        result = conn.execute(
            sa.insert(CELL_MAPPINGS).values(
                uuid=CELL3_UUID,
                name="cell3",
                transport_url="rabbit://down.example:5672/",
                database_connection=url,
            )
        )
        return _inserted_id(result)


def insert_server(dbs: CloudDBs, cell: str, *, deleted: bool = False, **columns: Any) -> str:
    """A bare ``instances`` row in ``cell`` with ``columns``; its (new) uuid.

    ``deleted`` soft-deletes it as the cell does: ``deleted`` set to the row's id.
    """
    uuid = str(uuidlib.uuid4())
    with dbs.engine(cell).begin() as conn:
        row_id = _inserted_id(conn.execute(sa.insert(INSTANCES).values(uuid=uuid, **columns)))
        if deleted:
            conn.execute(
                sa.update(INSTANCES).where(INSTANCES.c.id == row_id).values(deleted=row_id)
            )
    return uuid


def map_server(
    dbs: CloudDBs,
    uuid: str,
    cell_id: int | None,
    project: str = "demo",
    *,
    queued_for_delete: bool | None = False,
    spec: dict[str, Any] | None = None,
) -> None:
    """The instance mapping of ``uuid`` to cell ``cell_id`` and, given ``spec``, its request spec.

    The server's user is named as its project (as every API test's servers are).
    """
    with dbs.engine("api").begin() as conn:
        conn.execute(
            sa.insert(INSTANCE_MAPPINGS).values(
                instance_uuid=uuid,
                cell_id=cell_id,
                project_id=project,
                user_id=project,
                queued_for_delete=queued_for_delete,
            )
        )
        if spec is not None:
            request_specs.create(conn, RequestSpec(uuid, spec))


def place_server(
    dbs: CloudDBs, cell: str, cell_id: int, record: Instance, spec: dict[str, Any] | None = None
) -> str:
    """``record`` as a finished boot leaves it: stored in ``cell`` (with its flavor and
    metadata), mapped there, and (given ``spec``) with its request spec; its uuid."""
    with dbs.engine(cell).begin() as conn:
        instances.create(conn, record)
    map_server(dbs, record.uuid, cell_id, record.project_id, spec=spec)
    return str(record.uuid)


def add_service(
    dbs: CloudDBs,
    cell: str,
    host: str,
    binary: str = COMPUTE,
    *,
    up: bool = True,
    disabled: bool = False,
    reason: str | None = None,
    forced_down: bool = False,
    row_id: int | None = None,
) -> dict[str, Any]:
    """A service row of ``host`` in ``cell`` (primary key ``row_id`` if given); the row.

    Up: heard from 5 s ago; down: an hour ago. It started a day before that.
    """
    seen = utcnow() - datetime.timedelta(seconds=5 if up else 3600)
    values: dict[str, Any] = {
        "uuid": str(uuidlib.uuid4()),
        "host": host,
        "binary": binary,
        "topic": binary.removeprefix("tessera-"),
        "report_count": 3,
        "disabled": disabled,
        "disabled_reason": reason,
        "forced_down": forced_down,
        "last_seen_up": seen,
        "created_at": seen - datetime.timedelta(days=1),
        "updated_at": seen,
    }
    if row_id is not None:
        values["id"] = row_id
    with dbs.engine(cell).begin() as conn:
        result = conn.execute(sa.insert(SERVICES).values(**values))
        return {**values, "id": _inserted_id(result)}
