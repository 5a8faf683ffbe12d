"""Rules of ``/os-services`` (the control plane's services, in every cell)."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, documented

_P = "os_compute_api:os-services:"

LIST = f"{_P}list"
UPDATE = f"{_P}update"
DELETE = f"{_P}delete"

rules: list[policy.RuleDefault] = [
    documented(LIST, ADMIN, "List services and their state.", [("GET", "/os-services")]),
    documented(
        UPDATE,
        ADMIN,
        "Enable, disable or force down a service.",
        [("PUT", "/os-services/{service_id}")],
    ),
    documented(DELETE, ADMIN, "Delete a service.", [("DELETE", "/os-services/{service_id}")]),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of services."""
    return list(rules)
