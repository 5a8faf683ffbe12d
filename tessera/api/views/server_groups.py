"""Server group representations of ``/os-server-groups`` by microversion."""

from __future__ import annotations

from typing import Any

from tessera.api.microversions import Version
from tessera.objects.server_group import ServerGroup


def server_group(group: ServerGroup, version: Version) -> dict[str, Any]:
    """One group: ``policies`` + ``metadata`` before 2.64, ``policy`` + ``rules`` from it."""
    body: dict[str, Any] = {
        "id": group.uuid,
        "name": group.name,
        "members": list(group.members),
    }
    if version.at_least("2.64"):
        body["policy"] = group.policy
        body["rules"] = dict(group.rules)
    else:
        body["policies"] = [group.policy]
        # Group metadata was never implemented; old clients still expect the key.
        body["metadata"] = {}
    if version.at_least("2.13"):
        body["project_id"] = group.project_id
        body["user_id"] = group.user_id
    return body
