"""Rules of a server's smaller sub-resources: addresses, interfaces, volume attachments,
shares, password and diagnostics."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import (
    ADMIN,
    PROJECT_MEMBER_OR_ADMIN,
    PROJECT_READER_OR_ADMIN,
    SERVICE_OR_ADMIN,
    documented,
)

_S = "/servers/{server_id}"
_IFACES = f"{_S}/os-interface"
_IFACE = f"{_IFACES}/{{port_id}}"
_VOLS = f"{_S}/os-volume_attachments"
_VOL = f"{_VOLS}/{{volume_id}}"
_SHARES = f"{_S}/shares"
_SHARE = f"{_SHARES}/{{share_id}}"

IPS_INDEX = "os_compute_api:ips:index"
IPS_SHOW = "os_compute_api:ips:show"
INTERFACES_LIST = "os_compute_api:os-attach-interfaces:list"
INTERFACES_SHOW = "os_compute_api:os-attach-interfaces:show"
INTERFACES_CREATE = "os_compute_api:os-attach-interfaces:create"
INTERFACES_DELETE = "os_compute_api:os-attach-interfaces:delete"
VOLUME_ATTACHMENTS_INDEX = "os_compute_api:os-volumes-attachments:index"
VOLUME_ATTACHMENTS_SHOW = "os_compute_api:os-volumes-attachments:show"
VOLUME_ATTACHMENTS_CREATE = "os_compute_api:os-volumes-attachments:create"
VOLUME_ATTACHMENTS_UPDATE = "os_compute_api:os-volumes-attachments:update"
VOLUME_ATTACHMENTS_SWAP = "os_compute_api:os-volumes-attachments:swap"
VOLUME_ATTACHMENTS_DELETE = "os_compute_api:os-volumes-attachments:delete"
SHARES_INDEX = "os_compute_api:os-server-shares:index"
SHARES_SHOW = "os_compute_api:os-server-shares:show"
SHARES_CREATE = "os_compute_api:os-server-shares:create"
SHARES_DELETE = "os_compute_api:os-server-shares:delete"
PASSWORD_SHOW = "os_compute_api:os-server-password:show"
PASSWORD_CLEAR = "os_compute_api:os-server-password:clear"
DIAGNOSTICS = "os_compute_api:os-server-diagnostics"

rules: list[policy.RuleDefault] = [
    documented(
        IPS_INDEX, PROJECT_READER_OR_ADMIN, "List a server's addresses.", [("GET", f"{_S}/ips")]
    ),
    documented(
        IPS_SHOW,
        PROJECT_READER_OR_ADMIN,
        "List a server's addresses on one network.",
        [("GET", f"{_S}/ips/{{network_label}}")],
    ),
    documented(
        INTERFACES_LIST, PROJECT_READER_OR_ADMIN, "List a server's ports.", [("GET", _IFACES)]
    ),
    documented(
        INTERFACES_SHOW, PROJECT_READER_OR_ADMIN, "Show one port of a server.", [("GET", _IFACE)]
    ),
    documented(
        INTERFACES_CREATE,
        PROJECT_MEMBER_OR_ADMIN,
        "Attach a port or network to a server.",
        [("POST", _IFACES)],
    ),
    documented(
        INTERFACES_DELETE,
        PROJECT_MEMBER_OR_ADMIN,
        "Detach a port from a server.",
        [("DELETE", _IFACE)],
    ),
    documented(
        VOLUME_ATTACHMENTS_INDEX,
        PROJECT_READER_OR_ADMIN,
        "List a server's volume attachments.",
        [("GET", _VOLS)],
    ),
    documented(
        VOLUME_ATTACHMENTS_SHOW,
        PROJECT_READER_OR_ADMIN,
        "Show one volume attachment.",
        [("GET", _VOL)],
    ),
    documented(
        VOLUME_ATTACHMENTS_CREATE,
        PROJECT_MEMBER_OR_ADMIN,
        "Attach a volume to a server.",
        [("POST", _VOLS)],
    ),
    documented(
        VOLUME_ATTACHMENTS_UPDATE,
        PROJECT_MEMBER_OR_ADMIN,
        "Change a volume attachment's flags (delete_on_termination, 2.85 and later).",
        [("PUT", _VOL)],
    ),
    documented(
        VOLUME_ATTACHMENTS_SWAP,
        SERVICE_OR_ADMIN,
        "Swap an attached volume for another (the volume service's migration).",
        [("PUT", _VOL)],
    ),
    documented(
        VOLUME_ATTACHMENTS_DELETE,
        PROJECT_MEMBER_OR_ADMIN,
        "Detach a volume from a server.",
        [("DELETE", _VOL)],
    ),
    documented(
        SHARES_INDEX, PROJECT_READER_OR_ADMIN, "List a server's shares.", [("GET", _SHARES)]
    ),
    documented(SHARES_SHOW, PROJECT_READER_OR_ADMIN, "Show one share.", [("GET", _SHARE)]),
    documented(
        SHARES_CREATE,
        PROJECT_MEMBER_OR_ADMIN,
        "Attach a share to a server (2.97 and later).",
        [("POST", _SHARES)],
    ),
    documented(
        SHARES_DELETE,
        PROJECT_MEMBER_OR_ADMIN,
        "Detach a share from a server.",
        [("DELETE", _SHARE)],
    ),
    documented(
        PASSWORD_SHOW,
        PROJECT_READER_OR_ADMIN,
        "Show the server's encrypted password.",
        [("GET", f"{_S}/os-server-password")],
    ),
    documented(
        PASSWORD_CLEAR,
        PROJECT_MEMBER_OR_ADMIN,
        "Clear the server's encrypted password.",
        [("DELETE", f"{_S}/os-server-password")],
    ),
    documented(
        DIAGNOSTICS,
        ADMIN,
        "Show the hypervisor's diagnostics of a server.",
        [("GET", f"{_S}/diagnostics")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of server sub-resources."""
    return list(rules)
