"""Rules of ``/limits``."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, ANYONE, documented

SHOW = "os_compute_api:limits"
OTHER_PROJECT = "os_compute_api:limits:other_project"

rules: list[policy.RuleDefault] = [
    documented(SHOW, ANYONE, "Show the caller's limits and usage.", [("GET", "/limits")]),
    documented(
        OTHER_PROJECT,
        ADMIN,
        "Show another project's limits (tenant_id query parameter).",
        [("GET", "/limits")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of limits."""
    return list(rules)
