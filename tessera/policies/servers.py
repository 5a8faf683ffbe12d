"""Rules of ``/servers`` itself: list, show, create, update, delete and the core actions.

Actions that came as API extensions (lock, pause, shelve, ...) live in
:mod:`tessera.policies.server_actions`; sub-resources have their own modules.
"""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import (
    ADMIN,
    NOBODY,
    PROJECT_MEMBER_OR_ADMIN,
    PROJECT_READER_OR_ADMIN,
    action_call,
    documented,
    server_action,
)

_P = "os_compute_api:servers:"

INDEX = f"{_P}index"
DETAIL = f"{_P}detail"
INDEX_ALL_TENANTS = f"{_P}index:get_all_tenants"
DETAIL_ALL_TENANTS = f"{_P}detail:get_all_tenants"
ALLOW_ALL_FILTERS = f"{_P}allow_all_filters"
SHOW = f"{_P}show"
SHOW_FLAVOR_EXTRA_SPECS = f"{_P}show:flavor-extra-specs"
SHOW_HOST_STATUS = f"{_P}show:host_status"
SHOW_HOST_STATUS_UNKNOWN_ONLY = f"{_P}show:host_status:unknown-only"
CREATE = f"{_P}create"
CREATE_FORCED_HOST = f"{_P}create:forced_host"
CREATE_REQUESTED_DESTINATION = "compute:servers:create:requested_destination"
CREATE_ATTACH_VOLUME = f"{_P}create:attach_volume"
CREATE_ATTACH_NETWORK = f"{_P}create:attach_network"
CREATE_TRUSTED_CERTS = f"{_P}create:trusted_certs"
CREATE_ZERO_DISK_FLAVOR = f"{_P}create:zero_disk_flavor"
ATTACH_EXTERNAL_NETWORK = "network:attach_external_network"
UPDATE = f"{_P}update"
DELETE = f"{_P}delete"
CONFIRM_RESIZE = f"{_P}confirm_resize"
REVERT_RESIZE = f"{_P}revert_resize"
REBOOT = f"{_P}reboot"
RESIZE = f"{_P}resize"
RESIZE_CROSS_CELL = "compute:servers:resize:cross_cell"
REBUILD = f"{_P}rebuild"
REBUILD_TRUSTED_CERTS = f"{_P}rebuild:trusted_certs"
CREATE_IMAGE = f"{_P}create_image"
CREATE_IMAGE_VOLUME_BACKED = f"{_P}create_image:allow_volume_backed"
START = f"{_P}start"
STOP = f"{_P}stop"
TRIGGER_CRASH_DUMP = f"{_P}trigger_crash_dump"
EXTENDED_ATTRIBUTES = "os_compute_api:os-extended-server-attributes"
TOPOLOGY = "compute:server:topology:index"
TOPOLOGY_HOST = "compute:server:topology:host:index"

# Calls whose response carries a full server view (so the view-level rules apply).
_SERVER_VIEWS = [
    ("GET", "/servers/{server_id}"),
    ("GET", "/servers/detail"),
    ("PUT", "/servers/{server_id}"),
    action_call("rebuild"),
]
_LISTS = [("GET", "/servers"), ("GET", "/servers/detail")]
_CREATE = [("POST", "/servers")]

rules: list[policy.RuleDefault] = [
    documented(INDEX, PROJECT_READER_OR_ADMIN, "List the project's servers.", [_LISTS[0]]),
    documented(
        DETAIL, PROJECT_READER_OR_ADMIN, "List the project's servers in detail.", [_LISTS[1]]
    ),
    documented(
        INDEX_ALL_TENANTS,
        ADMIN,
        "List servers of every project (all_tenants filter).",
        [_LISTS[0]],
    ),
    documented(
        DETAIL_ALL_TENANTS,
        ADMIN,
        "List servers of every project in detail (all_tenants filter).",
        [_LISTS[1]],
    ),
    documented(
        ALLOW_ALL_FILTERS,
        ADMIN,
        "Filter server lists by any field; others get only the documented user filters.",
        _LISTS,
    ),
    documented(SHOW, PROJECT_READER_OR_ADMIN, "Show a server.", [("GET", "/servers/{server_id}")]),
    documented(
        SHOW_FLAVOR_EXTRA_SPECS,
        PROJECT_READER_OR_ADMIN,
        "Include the flavor's extra specs in a server's flavor (microversion 2.47 and later).",
        _SERVER_VIEWS,
    ),
    documented(
        SHOW_HOST_STATUS,
        ADMIN,
        "Include host_status, the state of the server's compute host (2.16 and later).",
        _SERVER_VIEWS,
    ),
    documented(
        SHOW_HOST_STATUS_UNKNOWN_ONLY,
        ADMIN,
        "Include host_status only when it is UNKNOWN (used when the full rule denies).",
        _SERVER_VIEWS,
    ),
    documented(CREATE, PROJECT_MEMBER_OR_ADMIN, "Create servers.", _CREATE),
    documented(
        CREATE_FORCED_HOST,
        ADMIN,
        "Boot on a named host or node (availability_zone 'zone:host:node'), "
        "skipping the scheduler's filters.",
        _CREATE,
    ),
    documented(
        CREATE_REQUESTED_DESTINATION,
        ADMIN,
        "Boot on a named host or node (host/hypervisor_hostname, 2.74 and later); "
        "the scheduler still checks it.",
        _CREATE,
    ),
    documented(
        CREATE_ATTACH_VOLUME,
        PROJECT_MEMBER_OR_ADMIN,
        "Attach volumes while creating a server.",
        _CREATE,
    ),
    documented(
        CREATE_ATTACH_NETWORK,
        PROJECT_MEMBER_OR_ADMIN,
        "Attach networks or ports while creating a server.",
        _CREATE,
    ),
    documented(
        CREATE_TRUSTED_CERTS,
        PROJECT_MEMBER_OR_ADMIN,
        "Pass trusted image certificate ids while creating a server.",
        _CREATE,
    ),
    documented(
        CREATE_ZERO_DISK_FLAVOR,
        ADMIN,
        "Boot an image-backed server from a flavor with a root disk of 0 GB "
        "(the disk would be the image's full virtual size, unchecked by quota).",
        _CREATE,
    ),
    documented(
        ATTACH_EXTERNAL_NETWORK,
        ADMIN,
        "Attach a server to an external network.",
        [*_CREATE, ("POST", "/servers/{server_id}/os-interface")],
    ),
    documented(UPDATE, PROJECT_MEMBER_OR_ADMIN, "Update a server.", [_SERVER_VIEWS[2]]),
    documented(
        DELETE, PROJECT_MEMBER_OR_ADMIN, "Delete a server.", [("DELETE", "/servers/{server_id}")]
    ),
    server_action(
        CONFIRM_RESIZE, PROJECT_MEMBER_OR_ADMIN, "confirmResize", "Confirm a resize or migration."
    ),
    server_action(
        REVERT_RESIZE, PROJECT_MEMBER_OR_ADMIN, "revertResize", "Revert a resize or migration."
    ),
    server_action(REBOOT, PROJECT_MEMBER_OR_ADMIN, "reboot", "Reboot a server."),
    server_action(RESIZE, PROJECT_MEMBER_OR_ADMIN, "resize", "Resize a server to a new flavor."),
    server_action(
        RESIZE_CROSS_CELL,
        NOBODY,
        "resize",
        "Let a resize or cold migration move the server to another cell. Denied to everyone "
        "by default: a cross-cell move copies the server between databases, so operators "
        "opt in (for example with 'rule:admin_api') once their cells are ready for it.",
    ),
    server_action(REBUILD, PROJECT_MEMBER_OR_ADMIN, "rebuild", "Rebuild a server."),
    server_action(
        REBUILD_TRUSTED_CERTS,
        PROJECT_MEMBER_OR_ADMIN,
        "rebuild",
        "Pass trusted image certificate ids while rebuilding a server.",
    ),
    server_action(
        CREATE_IMAGE, PROJECT_MEMBER_OR_ADMIN, "createImage", "Snapshot a server to an image."
    ),
    server_action(
        CREATE_IMAGE_VOLUME_BACKED,
        PROJECT_MEMBER_OR_ADMIN,
        "createImage",
        "Snapshot a volume-backed server.",
    ),
    server_action(START, PROJECT_MEMBER_OR_ADMIN, "os-start", "Start a stopped server."),
    server_action(STOP, PROJECT_MEMBER_OR_ADMIN, "os-stop", "Stop a server."),
    server_action(
        TRIGGER_CRASH_DUMP,
        PROJECT_MEMBER_OR_ADMIN,
        "trigger_crash_dump",
        "Make the guest dump its memory and crash (2.17 and later).",
    ),
    documented(
        EXTENDED_ATTRIBUTES,
        ADMIN,
        "Include the OS-EXT-SRV-ATTR fields (host, node, instance name, ...) in server views.",
        _SERVER_VIEWS,
    ),
    documented(
        TOPOLOGY,
        PROJECT_READER_OR_ADMIN,
        "Show a server's NUMA topology (2.78 and later).",
        [("GET", "/servers/{server_id}/topology")],
    ),
    documented(
        TOPOLOGY_HOST,
        ADMIN,
        "Include the host's NUMA cell and CPU pinning in a server's topology.",
        [("GET", "/servers/{server_id}/topology")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of ``/servers``."""
    return list(rules)
