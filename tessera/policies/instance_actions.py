"""Rules of ``/servers/{server_id}/os-instance-actions`` (a server's action history)."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, PROJECT_READER_OR_ADMIN, documented

_P = "os_compute_api:os-instance-actions:"
_ALL = "/servers/{server_id}/os-instance-actions"
_ONE = "/servers/{server_id}/os-instance-actions/{request_id}"

LIST = f"{_P}list"
SHOW = f"{_P}show"
EVENTS = f"{_P}events"
EVENTS_DETAILS = f"{_P}events:details"

rules: list[policy.RuleDefault] = [
    documented(
        LIST, PROJECT_READER_OR_ADMIN, "List the actions done on a server.", [("GET", _ALL)]
    ),
    documented(SHOW, PROJECT_READER_OR_ADMIN, "Show one action on a server.", [("GET", _ONE)]),
    documented(
        EVENTS,
        ADMIN,
        "Include the action's events (steps, with their results) in the action.",
        [("GET", _ONE)],
    ),
    documented(
        EVENTS_DETAILS,
        ADMIN,
        "Include the events' error details (2.84 and later).",
        [("GET", _ONE)],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of instance actions."""
    return list(rules)
