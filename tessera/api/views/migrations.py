"""How migrations look in ``/os-migrations`` and ``/servers/{server_id}/migrations``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from tessera.api.microversions import Version
from tessera.api.views.servers import links
from tessera.api.views.times import timestamp
from tessera.objects.migration import Migration

_HOSTS = ("dest_compute", "dest_host", "dest_node", "source_compute", "source_node")


def _hosts(record: Migration, shown: bool) -> dict[str, str | None]:
    # Hidden hosts are still keys (null), as the reference keeps its response shape.
    return {name: getattr(record, name) if shown else None for name in _HOSTS}


def listed(record: Migration, version: Version, base_url: str, show_hosts: bool) -> dict[str, Any]:
    """One migration of ``GET /os-migrations``."""
    body: dict[str, Any] = {
        "id": record.id,
        "instance_uuid": record.instance_uuid,
        "status": record.status,
        "old_instance_type_id": record.old_instance_type_id,
        "new_instance_type_id": record.new_instance_type_id,
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
        **_hosts(record, show_hosts),
    }
    if version.at_least("2.23"):
        body["migration_type"] = record.migration_type
        # Only a live migration under way is a resource of its server one can follow.
        if record.is_live_in_progress:
            body["links"] = links(
                base_url, f"servers/{record.instance_uuid}/migrations", str(record.id)
            )
    if version.at_least("2.59"):
        body["uuid"] = record.uuid
    if version.at_least("2.80"):
        body["user_id"] = record.user_id
        body["project_id"] = record.project_id
    return body


def of_server(record: Migration, version: Version, show_hosts: bool) -> dict[str, Any]:
    """One live migration of ``GET /servers/{server_id}/migrations[/{id}]``."""
    body: dict[str, Any] = {
        "id": record.id,
        "server_uuid": record.instance_uuid,
        "status": record.status,
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
        "memory_total_bytes": record.memory_total,
        "memory_processed_bytes": record.memory_processed,
        "memory_remaining_bytes": record.memory_remaining,
        "disk_total_bytes": record.disk_total,
        "disk_processed_bytes": record.disk_processed,
        "disk_remaining_bytes": record.disk_remaining,
        **_hosts(record, show_hosts),
    }
    if version.at_least("2.59"):
        body["uuid"] = record.uuid
    if version.at_least("2.80"):
        body["user_id"] = record.user_id
        body["project_id"] = record.project_id
    return body


def next_link(base_url: str, params: list[tuple[str, str]], marker: str) -> dict[str, str]:
    """The ``next`` link of a full page: the same query, continuing after ``marker``."""
    kept = [(name, value) for name, value in params if name != "marker"]
    query = urlencode([*kept, ("marker", marker)])
    return {"rel": "next", "href": f"{base_url}/os-migrations?{query}"}
