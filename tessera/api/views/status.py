"""The API's server status from vm_state and task_state."""

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
_BY_TASK_STATE = {
    "deleting": "ACTIVE",
    "rebooting": "REBOOT",
    "reboot_pending": "REBOOT",
    "reboot_started": "REBOOT",
    "rebooting_hard": "HARD_REBOOT",
    "reboot_pending_hard": "HARD_REBOOT",
    "reboot_started_hard": "HARD_REBOOT",
    "rebuilding": "REBUILD",
    "migrating": "MIGRATING",
    "resize_prep": "RESIZE",
    "resize_migrating": "RESIZE",
    "resize_migrated": "RESIZE",
    "resize_finish": "RESIZE",
}


def server_status(vm_state: str | None, task_state: str | None) -> str:
    """``ACTIVE``, ``BUILD``, ``ERROR``, ... as the compute API reports them."""
    if vm_state == "resized" and task_state == "resize_reverting":
        return "REVERT_RESIZE"
    if vm_state in ("active", "stopped") and task_state in _BY_TASK_STATE:
        mapped = _BY_TASK_STATE[task_state]
        return _BY_VM_STATE[vm_state] if mapped == "ACTIVE" else mapped
    return _BY_VM_STATE.get(vm_state or "", "UNKNOWN")
