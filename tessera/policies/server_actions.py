"""Rules of the server actions that came as API extensions (``POST /servers/{id}/action``).

The core actions (reboot, start, stop, resize, rebuild, createImage, ...) are
``os_compute_api:servers:*`` rules in :mod:`tessera.policies.servers`.
"""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import (
    ADMIN,
    PROJECT_MANAGER_OR_ADMIN,
    PROJECT_MEMBER_OR_ADMIN,
    action_call,
    documented,
    server_action,
)

RESET_STATE = "os_compute_api:os-admin-actions:reset_state"
INJECT_NETWORK_INFO = "os_compute_api:os-admin-actions:inject_network_info"
CHANGE_PASSWORD = "os_compute_api:os-admin-password"
CONSOLE_OUTPUT = "os_compute_api:os-console-output"
REMOTE_CONSOLES = "os_compute_api:os-remote-consoles"
CREATE_BACKUP = "os_compute_api:os-create-backup"
RESTORE = "os_compute_api:os-deferred-delete:restore"
FORCE_DELETE = "os_compute_api:os-deferred-delete:force"
EVACUATE = "os_compute_api:os-evacuate"
LOCK = "os_compute_api:os-lock-server:lock"
UNLOCK = "os_compute_api:os-lock-server:unlock"
UNLOCK_OVERRIDE = "os_compute_api:os-lock-server:unlock:unlock_override"
MIGRATE = "os_compute_api:os-migrate-server:migrate"
MIGRATE_HOST = "os_compute_api:os-migrate-server:migrate:host"
MIGRATE_LIVE = "os_compute_api:os-migrate-server:migrate_live"
MIGRATE_LIVE_HOST = "os_compute_api:os-migrate-server:migrate_live:host"
PAUSE = "os_compute_api:os-pause-server:pause"
UNPAUSE = "os_compute_api:os-pause-server:unpause"
RESCUE = "os_compute_api:os-rescue"
UNRESCUE = "os_compute_api:os-unrescue"
SHELVE = "os_compute_api:os-shelve:shelve"
UNSHELVE = "os_compute_api:os-shelve:unshelve"
UNSHELVE_TO_HOST = "os_compute_api:os-shelve:unshelve_to_host"
SHELVE_OFFLOAD = "os_compute_api:os-shelve:shelve_offload"
SUSPEND = "os_compute_api:os-suspend-server:suspend"
RESUME = "os_compute_api:os-suspend-server:resume"

rules: list[policy.RuleDefault] = [
    server_action(
        RESET_STATE, ADMIN, "os-resetState", "Force a server's state (to error or active)."
    ),
    server_action(
        INJECT_NETWORK_INFO,
        ADMIN,
        "injectNetworkInfo",
        "Push the server's network configuration into the guest again.",
    ),
    server_action(
        CHANGE_PASSWORD,
        PROJECT_MEMBER_OR_ADMIN,
        "changePassword",
        "Set the guest's administrator password.",
    ),
    server_action(
        CONSOLE_OUTPUT,
        PROJECT_MEMBER_OR_ADMIN,
        "os-getConsoleOutput",
        "Read the server's console log.",
    ),
    documented(
        REMOTE_CONSOLES,
        PROJECT_MEMBER_OR_ADMIN,
        "Open a remote console (VNC, SPICE, serial, ...) to a server.",
        [
            action_call("os-getSerialConsole"),
            action_call("os-getSPICEConsole"),
            action_call("os-getVNCConsole"),
            ("POST", "/servers/{server_id}/remote-consoles"),
        ],
    ),
    server_action(
        CREATE_BACKUP,
        PROJECT_MEMBER_OR_ADMIN,
        "createBackup",
        "Snapshot a server as a rotating backup.",
    ),
    server_action(RESTORE, PROJECT_MEMBER_OR_ADMIN, "restore", "Bring back a soft-deleted server."),
    server_action(
        FORCE_DELETE,
        PROJECT_MEMBER_OR_ADMIN,
        "forceDelete",
        "Delete a soft-deleted server now, before the reclaim interval ends.",
    ),
    server_action(
        EVACUATE, ADMIN, "evacuate", "Rebuild a server of a failed host on another host."
    ),
    server_action(LOCK, PROJECT_MEMBER_OR_ADMIN, "lock", "Lock a server against changes."),
    server_action(
        UNLOCK, PROJECT_MEMBER_OR_ADMIN, "unlock", "Unlock a server its caller's project locked."
    ),
    server_action(
        UNLOCK_OVERRIDE,
        ADMIN,
        "unlock",
        "Unlock a server locked by an administrator (or by another user).",
    ),
    server_action(
        MIGRATE,
        PROJECT_MANAGER_OR_ADMIN,
        "migrate",
        "Cold migrate a server to a host the scheduler picks.",
    ),
    server_action(
        MIGRATE_HOST, ADMIN, "migrate", "Cold migrate a server to a named host (2.56 and later)."
    ),
    server_action(
        MIGRATE_LIVE,
        PROJECT_MANAGER_OR_ADMIN,
        "os-migrateLive",
        "Live migrate a server to a host the scheduler picks.",
    ),
    server_action(
        MIGRATE_LIVE_HOST, ADMIN, "os-migrateLive", "Live migrate a server to a named host."
    ),
    server_action(PAUSE, PROJECT_MEMBER_OR_ADMIN, "pause", "Pause a server."),
    server_action(UNPAUSE, PROJECT_MEMBER_OR_ADMIN, "unpause", "Unpause a server."),
    server_action(RESCUE, PROJECT_MEMBER_OR_ADMIN, "rescue", "Boot a server from a rescue image."),
    server_action(
        UNRESCUE, PROJECT_MEMBER_OR_ADMIN, "unrescue", "Return a server from rescue mode."
    ),
    server_action(
        SHELVE, PROJECT_MEMBER_OR_ADMIN, "shelve", "Shelve a server (snapshot, then power off)."
    ),
    server_action(UNSHELVE, PROJECT_MEMBER_OR_ADMIN, "unshelve", "Unshelve a server."),
    server_action(
        UNSHELVE_TO_HOST,
        ADMIN,
        "unshelve",
        "Unshelve an offloaded server onto a named host (2.91 and later).",
    ),
    server_action(
        SHELVE_OFFLOAD,
        ADMIN,
        "shelveOffload",
        "Free the host of a shelved server now, before the offload interval ends.",
    ),
    server_action(SUSPEND, PROJECT_MEMBER_OR_ADMIN, "suspend", "Suspend a server to disk."),
    server_action(RESUME, PROJECT_MEMBER_OR_ADMIN, "resume", "Resume a suspended server."),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of the extension server actions."""
    return list(rules)
