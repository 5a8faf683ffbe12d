"""Rules of ``/os-keypairs``.

Keypairs belong to a user, not a project, so the target is
``{"user_id": <owner>}``: the owner may act on its keypairs, administrators on
anyone's (``?user_id=`` from microversion 2.10).
"""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN_OR_OWNER_USER, documented

_P = "os_compute_api:os-keypairs:"
_ALL = "/os-keypairs"
_ONE = "/os-keypairs/{keypair_name}"

INDEX = f"{_P}index"
SHOW = f"{_P}show"
CREATE = f"{_P}create"
DELETE = f"{_P}delete"

rules: list[policy.RuleDefault] = [
    documented(INDEX, ADMIN_OR_OWNER_USER, "List a user's keypairs.", [("GET", _ALL)]),
    documented(SHOW, ADMIN_OR_OWNER_USER, "Show a keypair.", [("GET", _ONE)]),
    documented(
        CREATE, ADMIN_OR_OWNER_USER, "Create or import a keypair for a user.", [("POST", _ALL)]
    ),
    documented(DELETE, ADMIN_OR_OWNER_USER, "Delete a keypair.", [("DELETE", _ONE)]),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of keypairs."""
    return list(rules)
