"""Rules of ``/os-console-auth-tokens`` (validating remote console tokens)."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, documented

AUTH_TOKENS = "os_compute_api:os-console-auth-tokens"

rules: list[policy.RuleDefault] = [
    documented(
        AUTH_TOKENS,
        ADMIN,
        "Show the server and host a console token connects to.",
        [("GET", "/os-console-auth-tokens/{console_token}")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of console tokens."""
    return list(rules)
