"""Changing a server's editable attributes (``PUT /servers/{id}``) where it lives.

A server in a cell is changed in its cell's ``instances`` row (its instance
mapping says which cell). A server still a build request is changed in the
build request, which the conductor copies into a cell; if it lands in a cell
while we write, the cell's row is changed too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from tessera.cells.targets import CellTargets
from tessera.compute import visible
from tessera.context import RequestContext
from tessera.objects import build_request
from tessera.objects import instance as instances
from tessera.objects.cell_mapping import CellMapping
from tessera.objects.errors import InstanceNotFound

EDITABLE = frozenset(
    {
        "display_name",
        "display_description",
        "hostname",
        "access_ip_v4",
        "access_ip_v6",
        "auto_disk_config",
    }
)
"""Instance columns an update may change."""

_ATTEMPTS = 10
"""Compare-and-set rounds on a build request before giving up (concurrent writers)."""


class UpdateConflict(Exception):
    """The build request kept changing under us; the caller may retry."""

    def __init__(self, uuid: str) -> None:
        super().__init__(f"Instance {uuid} changed while it was being updated; try again.")


def update(
    targets: CellTargets, ctx: RequestContext, uuid: str, changes: Mapping[str, Any]
) -> None:
    """Apply ``changes`` (instance column -> value) to the server ``uuid``.

    InstanceNotFound for a server that is gone or belongs to another project
    (unless ``ctx`` is an admin's); ValueError for a column that is not editable.
    """
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    cell = _cell(targets, ctx, uuid)
    if cell is None:
        updated = _update_build_request(targets, uuid, changes)
        # Landed in a cell meanwhile? Its row may have been copied before our write.
        cell = _cell(targets, ctx, uuid)
        if cell is None:
            if updated:
                return
            raise InstanceNotFound(uuid)
    if changes:
        _update_in_cell(targets, cell, uuid, changes)


def _cell(targets: CellTargets, ctx: RequestContext, uuid: str) -> CellMapping | None:
    """The cell of the server (None while it is a build request)."""
    return visible.mapping(targets, ctx, uuid).cell


def _update_build_request(targets: CellTargets, uuid: str, changes: Mapping[str, Any]) -> bool:
    """Change the instance a build request holds; False once the build request is gone."""
    table = build_request.TABLE
    for _ in range(_ATTEMPTS):
        with targets.api_engine.begin() as conn:
            current = build_request.get(conn, uuid)
            if current is None:
                return False
            if not changes:
                return True
            data = json.loads(current.instance)
            data.setdefault("values", {}).update(changes)
            # Compare-and-set on the whole document: a concurrent update is not lost.
            result = conn.execute(
                sa.update(table)
                .where(table.c.instance_uuid == uuid, table.c.instance == current.instance)
                .values(instance=json.dumps(data))
            )
            if result.rowcount:
                return True
    raise UpdateConflict(uuid)


def _update_in_cell(
    targets: CellTargets, cell: CellMapping, uuid: str, changes: Mapping[str, Any]
) -> None:
    table = instances.TABLE
    with targets.engine(cell).begin() as conn:
        result = conn.execute(
            sa.update(table).where(table.c.uuid == uuid, table.c.deleted == 0).values(**changes)
        )
    if result.rowcount == 0:
        raise InstanceNotFound(uuid)
