"""Rules of the APIs that relay to other services (networks, floating IPs, security
groups, volumes, bare-metal nodes).

They are deprecated since microversion 2.36 but remain routed before it, and
old clients still call them; their rules exist so an operator's policy file
naming them stays valid.
"""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import (
    ADMIN,
    ANYONE,
    PROJECT_MEMBER_OR_ADMIN,
    PROJECT_READER_OR_ADMIN,
    SERVICE_OR_ADMIN,
    documented,
    server_action,
)

_FIP = "os_compute_api:os-floating-ips:"
_SG = "os_compute_api:os-security-groups:"
_VOL = "os_compute_api:os-volumes:"
_SNAP = "os_compute_api:os-volumes:snapshots:"

NETWORKS_LIST = "os_compute_api:os-networks:list"
NETWORKS_SHOW = "os_compute_api:os-networks:show"
TENANT_NETWORKS_LIST = "os_compute_api:os-tenant-networks:list"
TENANT_NETWORKS_SHOW = "os_compute_api:os-tenant-networks:show"
FLOATING_IP_POOLS = "os_compute_api:os-floating-ip-pools"
FLOATING_IPS_LIST = f"{_FIP}list"
FLOATING_IPS_SHOW = f"{_FIP}show"
FLOATING_IPS_CREATE = f"{_FIP}create"
FLOATING_IPS_DELETE = f"{_FIP}delete"
FLOATING_IPS_ADD = f"{_FIP}add"
FLOATING_IPS_REMOVE = f"{_FIP}remove"
MULTINIC_ADD = "os_compute_api:os-multinic:add"
MULTINIC_REMOVE = "os_compute_api:os-multinic:remove"
SECURITY_GROUPS_GET = f"{_SG}get"
SECURITY_GROUPS_SHOW = f"{_SG}show"
SECURITY_GROUPS_CREATE = f"{_SG}create"
SECURITY_GROUPS_UPDATE = f"{_SG}update"
SECURITY_GROUPS_DELETE = f"{_SG}delete"
SECURITY_GROUP_RULES_CREATE = f"{_SG}rule:create"
SECURITY_GROUP_RULES_DELETE = f"{_SG}rule:delete"
SECURITY_GROUPS_LIST = f"{_SG}list"
SECURITY_GROUPS_ADD = f"{_SG}add"
SECURITY_GROUPS_REMOVE = f"{_SG}remove"
VOLUMES_LIST = f"{_VOL}list"
VOLUMES_DETAIL = f"{_VOL}detail"
VOLUMES_SHOW = f"{_VOL}show"
VOLUMES_CREATE = f"{_VOL}create"
VOLUMES_DELETE = f"{_VOL}delete"
SNAPSHOTS_LIST = f"{_SNAP}list"
SNAPSHOTS_DETAIL = f"{_SNAP}detail"
SNAPSHOTS_SHOW = f"{_SNAP}show"
SNAPSHOTS_CREATE = f"{_SNAP}create"
SNAPSHOTS_DELETE = f"{_SNAP}delete"
ASSISTED_SNAPSHOTS_CREATE = "os_compute_api:os-assisted-volume-snapshots:create"
ASSISTED_SNAPSHOTS_DELETE = "os_compute_api:os-assisted-volume-snapshots:delete"
BAREMETAL_LIST = "os_compute_api:os-baremetal-nodes:list"
BAREMETAL_SHOW = "os_compute_api:os-baremetal-nodes:show"


def _crud(
    prefix: str, path: str, noun: str, item: str, *, detail: bool = False
) -> list[policy.RuleDefault]:
    """list/show (readers) and create/delete (members) of a relayed collection."""
    one = f"{path}/{{{item}}}"
    found: list[policy.RuleDefault] = [
        documented(f"{prefix}list", PROJECT_READER_OR_ADMIN, f"List {noun}s.", [("GET", path)]),
        documented(f"{prefix}show", PROJECT_READER_OR_ADMIN, f"Show a {noun}.", [("GET", one)]),
        documented(
            f"{prefix}create", PROJECT_MEMBER_OR_ADMIN, f"Create a {noun}.", [("POST", path)]
        ),
        documented(
            f"{prefix}delete", PROJECT_MEMBER_OR_ADMIN, f"Delete a {noun}.", [("DELETE", one)]
        ),
    ]
    if detail:
        found.append(
            documented(
                f"{prefix}detail",
                PROJECT_READER_OR_ADMIN,
                f"List {noun}s in detail.",
                [("GET", f"{path}/detail")],
            )
        )
    return found


_SG_ONE = "/os-security-groups/{security_group_id}"

rules: list[policy.RuleDefault] = [
    documented(NETWORKS_LIST, PROJECT_READER_OR_ADMIN, "List networks.", [("GET", "/os-networks")]),
    documented(
        NETWORKS_SHOW,
        PROJECT_READER_OR_ADMIN,
        "Show a network.",
        [("GET", "/os-networks/{network_id}")],
    ),
    documented(
        TENANT_NETWORKS_LIST,
        PROJECT_READER_OR_ADMIN,
        "List the project's networks.",
        [("GET", "/os-tenant-networks")],
    ),
    documented(
        TENANT_NETWORKS_SHOW,
        PROJECT_READER_OR_ADMIN,
        "Show one of the project's networks.",
        [("GET", "/os-tenant-networks/{network_id}")],
    ),
    documented(
        FLOATING_IP_POOLS, ANYONE, "List floating IP pools.", [("GET", "/os-floating-ip-pools")]
    ),
    *_crud(_FIP, "/os-floating-ips", "floating IP", "floating_ip_id"),
    server_action(
        FLOATING_IPS_ADD,
        PROJECT_MEMBER_OR_ADMIN,
        "addFloatingIp",
        "Associate a floating IP with a server.",
    ),
    server_action(
        FLOATING_IPS_REMOVE,
        PROJECT_MEMBER_OR_ADMIN,
        "removeFloatingIp",
        "Disassociate a floating IP from a server.",
    ),
    server_action(
        MULTINIC_ADD,
        PROJECT_MEMBER_OR_ADMIN,
        "addFixedIp",
        "Add a fixed IP on a network to a server.",
    ),
    server_action(
        MULTINIC_REMOVE,
        PROJECT_MEMBER_OR_ADMIN,
        "removeFixedIp",
        "Remove a fixed IP from a server.",
    ),
    documented(
        SECURITY_GROUPS_GET,
        PROJECT_READER_OR_ADMIN,
        "List security groups.",
        [("GET", "/os-security-groups")],
    ),
    documented(
        SECURITY_GROUPS_SHOW, PROJECT_READER_OR_ADMIN, "Show a security group.", [("GET", _SG_ONE)]
    ),
    documented(
        SECURITY_GROUPS_CREATE,
        PROJECT_MEMBER_OR_ADMIN,
        "Create a security group.",
        [("POST", "/os-security-groups")],
    ),
    documented(
        SECURITY_GROUPS_UPDATE,
        PROJECT_MEMBER_OR_ADMIN,
        "Update a security group.",
        [("PUT", _SG_ONE)],
    ),
    documented(
        SECURITY_GROUPS_DELETE,
        PROJECT_MEMBER_OR_ADMIN,
        "Delete a security group.",
        [("DELETE", _SG_ONE)],
    ),
    documented(
        SECURITY_GROUP_RULES_CREATE,
        PROJECT_MEMBER_OR_ADMIN,
        "Create a security group rule.",
        [("POST", "/os-security-group-rules")],
    ),
    documented(
        SECURITY_GROUP_RULES_DELETE,
        PROJECT_MEMBER_OR_ADMIN,
        "Delete a security group rule.",
        [("DELETE", "/os-security-group-rules/{security_group_id}")],
    ),
    documented(
        SECURITY_GROUPS_LIST,
        PROJECT_READER_OR_ADMIN,
        "List a server's security groups.",
        [("GET", "/servers/{server_id}/os-security-groups")],
    ),
    server_action(
        SECURITY_GROUPS_ADD,
        PROJECT_MEMBER_OR_ADMIN,
        "addSecurityGroup",
        "Add a security group to a server.",
    ),
    server_action(
        SECURITY_GROUPS_REMOVE,
        PROJECT_MEMBER_OR_ADMIN,
        "removeSecurityGroup",
        "Remove a security group from a server.",
    ),
    *_crud(_VOL, "/os-volumes", "volume", "volume_id", detail=True),
    *_crud(_SNAP, "/os-snapshots", "volume snapshot", "snapshot_id", detail=True),
    documented(
        ASSISTED_SNAPSHOTS_CREATE,
        SERVICE_OR_ADMIN,
        "Snapshot an attached volume through the hypervisor, for the volume service.",
        [("POST", "/os-assisted-volume-snapshots")],
    ),
    documented(
        ASSISTED_SNAPSHOTS_DELETE,
        SERVICE_OR_ADMIN,
        "Delete a hypervisor-assisted volume snapshot, for the volume service.",
        [("DELETE", "/os-assisted-volume-snapshots/{snapshot_id}")],
    ),
    documented(BAREMETAL_LIST, ADMIN, "List bare-metal nodes.", [("GET", "/os-baremetal-nodes")]),
    documented(
        BAREMETAL_SHOW,
        ADMIN,
        "Show a bare-metal node.",
        [("GET", "/os-baremetal-nodes/{node_id}")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of the relaying APIs."""
    return list(rules)
