"""Rules of ``/os-availability-zone``."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, ANYONE, documented

LIST = "os_compute_api:os-availability-zone:list"
DETAIL = "os_compute_api:os-availability-zone:detail"

rules: list[policy.RuleDefault] = [
    documented(
        LIST,
        ANYONE,
        "List availability zones and whether they are up.",
        [("GET", "/os-availability-zone")],
    ),
    documented(
        DETAIL,
        ADMIN,
        "List availability zones with their hosts and services.",
        [("GET", "/os-availability-zone/detail")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of availability zones."""
    return list(rules)
