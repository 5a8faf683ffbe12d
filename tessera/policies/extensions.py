"""Rules of ``/extensions`` (the list of API extensions, kept for old clients)."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ANYONE, documented

EXTENSIONS = "os_compute_api:extensions"

rules: list[policy.RuleDefault] = [
    documented(
        EXTENSIONS,
        ANYONE,
        "List the API extensions.",
        [("GET", "/extensions"), ("GET", "/extensions/{alias}")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of extensions."""
    return list(rules)
