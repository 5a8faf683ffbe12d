"""Neutron-style JSON bodies of networks, subnets and ports (the fields clients read)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tessera.network.records import Network, Port, PortStatus, Subnet, Viewer

# Neutron reports the MTU of a plain network without overlay headers.
_MTU = 1500


def _time(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def _owner(project_id: str | None) -> dict[str, Any]:
    # Older clients read tenant_id, newer ones project_id; Neutron sends both.
    return {"tenant_id": project_id or "", "project_id": project_id or ""}


def _common(created_at: datetime) -> dict[str, Any]:
    stamp = _time(created_at)
    return {
        "description": "",
        "tags": [],
        "revision_number": 0,
        "created_at": stamp,
        "updated_at": stamp,
    }


def network(record: Network) -> dict[str, Any]:
    """One network."""
    return {
        "id": record.id,
        "name": record.name,
        **_owner(record.project_id),
        "shared": record.shared,
        "status": "ACTIVE",
        "admin_state_up": True,
        "subnets": list(record.subnet_ids),
        "router:external": False,
        "mtu": _MTU,
        "port_security_enabled": True,
        "availability_zone_hints": [],
        "availability_zones": [],
        "ipv4_address_scope": None,
        "ipv6_address_scope": None,
        **_common(record.created_at),
    }


def subnet(record: Subnet) -> dict[str, Any]:
    """One subnet."""
    return {
        "id": record.id,
        "name": record.name,
        "network_id": record.network_id,
        **_owner(record.project_id),
        "cidr": record.cidr,
        "gateway_ip": record.gateway_ip,
        "ip_version": record.ip_version,
        "allocation_pools": [{"start": record.pool_start, "end": record.pool_end}],
        "enable_dhcp": False,
        "dns_nameservers": [],
        "host_routes": [],
        "ipv6_ra_mode": None,
        "ipv6_address_mode": None,
        "subnetpool_id": None,
        **_common(record.created_at),
    }


def port(record: Port, viewer: Viewer) -> dict[str, Any]:
    """One port; the ``binding:`` fields are shown to admins only, as Neutron's policy does."""
    body: dict[str, Any] = {
        "id": record.id,
        "name": "",
        "network_id": record.network_id,
        **_owner(record.project_id),
        "mac_address": record.mac_address,
        "admin_state_up": True,
        "status": record.status.value,
        "device_id": record.device_id or "",
        "device_owner": record.device_owner,
        "fixed_ips": [{"subnet_id": record.subnet_id, "ip_address": record.ip_address}],
        "security_groups": [],
        "allowed_address_pairs": [],
        **_common(record.created_at),
    }
    if viewer.is_admin:
        bound = record.status is PortStatus.ACTIVE and record.binding_host is not None
        body["binding:host_id"] = record.binding_host or ""
        body["binding:vif_type"] = "ovs" if bound else "unbound"
        body["binding:vnic_type"] = "normal"
        body["binding:profile"] = {}
        body["binding:vif_details"] = {}
    return body
