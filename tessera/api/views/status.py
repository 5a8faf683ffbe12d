"""The API's server status from vm_state and task_state.

Each vm_state has a status of its own, which some task states replace while
they run (a reboot shows ``REBOOT`` only on a running server, a stopped one
being resized shows ``RESIZE``, ...), as the reference API reports them.
"""

from __future__ import annotations

_BY_VM_STATE = {
    "active": "ACTIVE",
    "building": "BUILD",
    "stopped": "SHUTOFF",
    "resized": "VERIFY_RESIZE",
    "paused": "PAUSED",
    "suspended": "SUSPENDED",
    "rescued": "RESCUE",
    "error": "ERROR",
    "deleted": "DELETED",
    "soft-delete": "SOFT_DELETED",
    "shelved": "SHELVED",
    "shelved_offloaded": "SHELVED_OFFLOADED",
}
_REBUILD = {
    "rebuilding": "REBUILD",
    "rebuild_block_device_mapping": "REBUILD",
    "rebuild_spawning": "REBUILD",
}
_RESIZE = {
    "resize_prep": "RESIZE",
    "resize_migrating": "RESIZE",
    "resize_migrated": "RESIZE",
    "resize_finish": "RESIZE",
}
_BY_VM_AND_TASK: dict[str, dict[str, str]] = {
    "active": {
        "rebooting": "REBOOT",
        "reboot_pending": "REBOOT",
        "reboot_started": "REBOOT",
        "rebooting_hard": "HARD_REBOOT",
        "reboot_pending_hard": "HARD_REBOOT",
        "reboot_started_hard": "HARD_REBOOT",
        "updating_password": "PASSWORD",
        "migrating": "MIGRATING",
        **_REBUILD,
        **_RESIZE,
    },
    "stopped": {**_REBUILD, **_RESIZE},
    "resized": {"resize_reverting": "REVERT_RESIZE"},
    "paused": {"migrating": "MIGRATING"},
    "error": dict(_REBUILD),
}
# Every task state that changes some server's status (the listing's status filter
# enumerates them).
_BY_TASK_STATE = {
    task: status for changes in _BY_VM_AND_TASK.values() for task, status in changes.items()
}


def server_status(vm_state: str | None, task_state: str | None) -> str:
    """``ACTIVE``, ``BUILD``, ``ERROR``, ... as the compute API reports them."""
    status = _BY_VM_STATE.get(vm_state or "", "UNKNOWN")
    return _BY_VM_AND_TASK.get(vm_state or "", {}).get(task_state or "", status)
