"""Quota and limits representations of ``/os-quota-sets`` and ``/limits``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.api.microversions import Version

# Resources the API stopped showing at some microversion, with the value still shown
# to older clients: nothing here enforces them any more.
_FILE_INJECTION = {
    "injected_files": 5,
    "injected_file_content_bytes": 10240,
    "injected_file_path_bytes": 255,
}
_NETWORK = {
    "floating_ips": 10,
    "fixed_ips": -1,
    "security_groups": 10,
    "security_group_rules": 20,
}


def _legacy(version: Version) -> dict[str, int]:
    extra: dict[str, int] = {}
    if not version.at_least("2.57"):
        extra.update(_FILE_INJECTION)
    if not version.at_least("2.36"):
        extra.update(_NETWORK)
    return extra


def quota_set(project_id: str, limits: Mapping[str, int], version: Version) -> dict[str, Any]:
    """``{"id": project, <resource>: limit, ...}``."""
    return {"id": project_id, **_legacy(version), **limits}


def quota_set_detail(
    project_id: str, limits: Mapping[str, int], usage: Mapping[str, int], version: Version
) -> dict[str, Any]:
    """Each resource as ``{"limit", "in_use", "reserved"}`` (reservations no longer exist)."""
    body: dict[str, Any] = {"id": project_id}
    for name, limit in {**_legacy(version), **limits}.items():
        body[name] = {"limit": limit, "in_use": usage.get(name, 0), "reserved": 0}
    return body


def limits(limits: Mapping[str, int], usage: Mapping[str, int], version: Version) -> dict[str, Any]:
    """``/limits``: absolute limits and the project's usage; rate limits are gone."""
    absolute: dict[str, int] = {
        "maxTotalInstances": limits["instances"],
        "maxTotalCores": limits["cores"],
        "maxTotalRAMSize": limits["ram"],
        "maxTotalKeypairs": limits["key_pairs"],
        "maxServerMeta": limits["metadata_items"],
        "maxServerGroups": limits["server_groups"],
        "maxServerGroupMembers": limits["server_group_members"],
        "totalInstancesUsed": usage.get("instances", 0),
        "totalCoresUsed": usage.get("cores", 0),
        "totalRAMUsed": usage.get("ram", 0),
        "totalServerGroupsUsed": usage.get("server_groups", 0),
    }
    if not version.at_least("2.39"):
        absolute["maxImageMeta"] = limits["metadata_items"]
    if not version.at_least("2.57"):
        absolute["maxPersonality"] = _FILE_INJECTION["injected_files"]
        absolute["maxPersonalitySize"] = _FILE_INJECTION["injected_file_content_bytes"]
    if not version.at_least("2.36"):
        absolute.update(
            maxTotalFloatingIps=_NETWORK["floating_ips"],
            totalFloatingIpsUsed=0,
            maxSecurityGroups=_NETWORK["security_groups"],
            totalSecurityGroupsUsed=0,
            maxSecurityGroupRules=_NETWORK["security_group_rules"],
        )
    return {"rate": [], "absolute": absolute}
