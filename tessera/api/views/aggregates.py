"""Aggregate representations of ``/os-aggregates`` by microversion."""

from __future__ import annotations

from typing import Any

from tessera.api.microversions import Version
from tessera.api.views.times import timestamp
from tessera.objects.aggregate import Aggregate


def aggregate(agg: Aggregate, version: Version, *, members: bool = True) -> dict[str, Any]:
    """One aggregate; ``members=False`` (the create answer) leaves out hosts and metadata."""
    body: dict[str, Any] = {
        "id": agg.id,
        "name": agg.name,
        "availability_zone": agg.availability_zone,
        "created_at": timestamp(agg.created_at),
        "updated_at": timestamp(agg.updated_at),
        # API database rows are deleted outright; the keys stay for old clients.
        "deleted": False,
        "deleted_at": None,
    }
    if members:
        body["hosts"] = list(agg.hosts)
        body["metadata"] = dict(agg.metadata)
    if version.at_least("2.41"):
        body["uuid"] = agg.uuid
    return body
