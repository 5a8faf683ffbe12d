"""Flavor representations by microversion."""

from __future__ import annotations

from typing import Any

from tessera.api.microversions import Version
from tessera.api.views.servers import links
from tessera.objects.flavor import Flavor


def brief(size: Flavor, version: Version, base_url: str) -> dict[str, Any]:
    """An item of ``GET /flavors``: id, name, links (and the description from 2.55)."""
    body: dict[str, Any] = {
        "id": size.flavorid,
        "name": size.name,
        "links": links(base_url, "flavors", size.flavorid),
    }
    if version.at_least("2.55"):
        body["description"] = size.description
    return body


def detail(
    size: Flavor, version: Version, base_url: str, *, extra_specs: bool = False
) -> dict[str, Any]:
    """A flavor of ``/flavors/detail``, ``GET /flavors/{id}`` and create/update answers.

    ``extra_specs``: include them (2.61 and later, when policy lets the caller list them).
    """
    body = brief(size, version, base_url)
    body.update(
        {
            "ram": size.memory_mb,
            "disk": size.root_gb,
            # Before 2.75 a flavor without swap says "" rather than 0.
            "swap": size.swap if version.at_least("2.75") else (size.swap or ""),
            "OS-FLV-EXT-DATA:ephemeral": size.ephemeral_gb,
            "OS-FLV-DISABLED:disabled": size.disabled,
            "vcpus": size.vcpus,
            "os-flavor-access:is_public": size.is_public,
            "rxtx_factor": size.rxtx_factor or "",
        }
    )
    if extra_specs and version.at_least("2.61"):
        body["extra_specs"] = dict(size.extra_specs)
    return body


def access_list(flavorid: str, projects: list[str]) -> dict[str, Any]:
    """``{"flavor_access": [...]}``: who may use private flavor ``flavorid``."""
    return {"flavor_access": [{"flavor_id": flavorid, "tenant_id": p} for p in projects]}
