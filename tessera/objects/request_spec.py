"""RequestSpec: what an instance asked of the scheduler, kept for its whole life.

The spec is a JSON document with these keys (all optional but the first five):
``instance_uuid``, ``project_id``, ``user_id``, ``flavor`` (``Flavor.to_dict()``),
``num_instances``, ``image_ref``, ``availability_zone``, ``scheduler_hints``
(dict of lists), ``instance_group`` (``{"uuid", "policy", "rules"}`` as stored;
the super conductor adds ``members``, ``hosts`` and ``member_hosts`` at schedule
time, never saved),
``requested_destination`` (``{"cell_uuid", "host"}``), ``ignore_hosts`` (list),
``force_hosts`` (list).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tessera.db.api import models
from tessera.db.types import table_of

TABLE = table_of(models.RequestSpec)

# Per-request fields that must not outlive the request that set them.
_TRANSIENT = (
    "retry",
    "requested_destination",
    "ignore_hosts",
    "requested_resources",
    "requested_networks",
    "network_metadata",
    "request_level_params",
)


@dataclass(frozen=True)
class RequestSpec:
    """The scheduling request of one instance, stored as JSON."""

    instance_uuid: str
    """The instance it belongs to."""
    spec: dict[str, Any] = field(default_factory=dict)
    """Flavor, image, project/user, availability zone, hints, group, ..."""


def persistable(spec: dict[str, Any]) -> str:
    """The JSON stored for ``spec``: without its per-request fields."""
    return json.dumps({k: v for k, v in spec.items() if k not in _TRANSIENT}, sort_keys=True)


def create(conn: sa.Connection, request_spec: RequestSpec) -> None:
    """Store a request spec, without its per-request fields."""
    conn.execute(
        sa.insert(TABLE).values(
            instance_uuid=request_spec.instance_uuid, spec=persistable(request_spec.spec)
        )
    )


def create_many(conn: sa.Connection, specs: list[RequestSpec]) -> None:
    """Store several specs with one executemany (a multi-create)."""
    if specs:
        conn.execute(
            sa.insert(TABLE),
            [{"instance_uuid": s.instance_uuid, "spec": persistable(s.spec)} for s in specs],
        )


def get(conn: sa.Connection, instance_uuid: str) -> RequestSpec | None:
    """The stored spec of ``instance_uuid``, or None."""
    stmt = sa.select(TABLE.c.spec).where(TABLE.c.instance_uuid == instance_uuid)
    spec = conn.execute(stmt).scalar_one_or_none()
    return None if spec is None else RequestSpec(instance_uuid, json.loads(spec))


def delete(conn: sa.Connection, instance_uuid: str) -> None:
    """Remove the spec (when the instance is archived or its build is undone)."""
    conn.execute(sa.delete(TABLE).where(TABLE.c.instance_uuid == instance_uuid))
