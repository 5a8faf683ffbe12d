"""Rules of ``/os-server-external-events`` (the network and volume services report to us)."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import SERVICE_OR_ADMIN, documented

CREATE = "os_compute_api:os-server-external-events:create"

rules: list[policy.RuleDefault] = [
    documented(
        CREATE,
        SERVICE_OR_ADMIN,
        "Deliver events about servers (port plugged, volume extended, ...) from other services.",
        [("POST", "/os-server-external-events")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of external events."""
    return list(rules)
