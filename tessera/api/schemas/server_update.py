"""Body of ``PUT /servers/{server_id}`` by microversion, and the changes it asks for."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

from tessera.api.errors import bad_request
from tessera.api.microversions import Version

# Printable text: no control characters (newlines included).
_PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*$"
# A name is printable and neither starts nor ends with whitespace.
_NAME_PATTERN = r"^(?!\s)[^\x00-\x1f\x7f-\x9f]*(?<!\s)$"

_NAME: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": _NAME_PATTERN,
}
_DESCRIPTION: dict[str, Any] = {
    "type": ["string", "null"],
    "minLength": 0,
    "maxLength": 255,
    "pattern": _PRINTABLE,
}
# 2.90: a single DNS label; 2.94: a fully qualified name.
_HOSTNAME: dict[str, Any] = {
    "type": "string",
    "minLength": 2,
    "maxLength": 63,
    "pattern": "^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$",
}
_FQDN: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": "^[a-zA-Z0-9-._]*$",
}

UPDATE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "server": {
            "type": "object",
            "properties": {
                "name": _NAME,
                "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
                # Checked as addresses by check_addresses (the validator checks no format).
                "accessIPv4": {"type": "string"},
                "accessIPv6": {"type": "string"},
            },
            "additionalProperties": False,
        },
    },
    "required": ["server"],
    "additionalProperties": False,
}


def _with(schema: dict[str, Any], name: str, definition: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(schema)
    changed["properties"]["server"]["properties"][name] = definition
    return changed


UPDATE_V219 = _with(UPDATE, "description", _DESCRIPTION)
UPDATE_V290 = _with(UPDATE_V219, "hostname", _HOSTNAME)
UPDATE_V294 = _with(UPDATE_V219, "hostname", _FQDN)


def for_version(version: Version) -> dict[str, Any]:
    """The update body schema at ``version``."""
    if version.at_least("2.94"):
        return UPDATE_V294
    if version.at_least("2.90"):
        return UPDATE_V290
    if version.at_least("2.19"):
        return UPDATE_V219
    return UPDATE


_ADDRESSES = {
    "accessIPv4": (ipaddress.IPv4Address, "ipv4"),
    "accessIPv6": (ipaddress.IPv6Address, "ipv6"),
}


def check_addresses(server: dict[str, Any]) -> None:
    """400 unless ``accessIPv4``/``accessIPv6`` (when given) are addresses of their family."""
    for key, (family, name) in _ADDRESSES.items():
        value = server.get(key)
        if value is None:
            continue
        try:
            family(value)
        except ValueError:
            raise bad_request(
                f"Invalid input for field/attribute {key}. Value: {value}. "
                f"'{value}' is not a '{name}'"
            ) from None


_COLUMNS = {
    "name": "display_name",
    "description": "display_description",
    "hostname": "hostname",
    "accessIPv4": "access_ip_v4",
    "accessIPv6": "access_ip_v6",
}


def changes(server: dict[str, Any]) -> dict[str, Any]:
    """Instance columns and values a validated ``server`` object asks to change."""
    check_addresses(server)
    found = {column: server[key] for key, column in _COLUMNS.items() if key in server}
    if "display_name" in found:
        found["display_name"] = found["display_name"].strip()
    if "OS-DCF:diskConfig" in server:
        found["auto_disk_config"] = server["OS-DCF:diskConfig"] == "AUTO"
    return found
