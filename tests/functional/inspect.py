"""Looking at an embedded cloud from outside: every database and placement."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from tessera.db.engines import create_engine
from tessera.deploy.cloud import EmbeddedCloud
from tessera.objects import build_request, instance, instance_mapping
from tessera.placement.client import PlacementClient


@dataclass(frozen=True)
class Where:
    """Where one instance uuid exists."""

    live_rows: dict[str, bool]
    """Cell name -> whether a (live or soft-deleted) row exists, and if live."""
    mapping_cell: str | None
    """The cell name its mapping names (None: no cell; '' no mapping)."""
    has_build_request: bool
    """A build request is still stored."""
    allocations: dict[str, dict[str, int]]
    """Placement allocations held for it."""


def _engine(url: str) -> sa.Engine:
    return create_engine(url)


def cell_urls(cloud: EmbeddedCloud) -> dict[str, str]:
    """Cell name -> database URL, cell0 included."""
    plan = cloud.layout.plan()
    urls = {"cell0": plan.cell0_database}
    urls.update({cell.name: cell.database for cell in plan.cells})
    return urls


def rows(cloud: EmbeddedCloud, uuid: str) -> dict[str, bool]:
    """Cell name -> row is live, for every cell holding a row of ``uuid``."""
    found = {}
    for name, url in cell_urls(cloud).items():
        engine = _engine(url)
        with engine.connect() as conn:
            ref = instance.get_ref(conn, uuid)
        engine.dispose()
        if ref is not None:
            found[name] = not ref.deleted
    return found


def where(cloud: EmbeddedCloud, placement: PlacementClient, uuid: str) -> Where:
    """Everything that refers to ``uuid``."""
    api = _engine(cloud.layout.plan().api_database)
    with api.connect() as conn:
        has_request = build_request.get(conn, uuid) is not None
        row = conn.execute(
            sa.select(instance_mapping.TABLE.c.cell_id).where(
                instance_mapping.TABLE.c.instance_uuid == uuid
            )
        ).first()
        names = dict(conn.execute(sa.text("SELECT id, name FROM cell_mappings")).all())
    api.dispose()
    mapping = "" if row is None else (names.get(row.cell_id) if row.cell_id else None)
    return Where(
        rows(cloud, uuid), mapping, has_request, placement.get_allocations(uuid).allocations
    )
