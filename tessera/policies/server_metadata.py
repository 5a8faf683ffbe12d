"""Rules of ``/servers/{server_id}/metadata``."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import PROJECT_MEMBER_OR_ADMIN, PROJECT_READER_OR_ADMIN, documented

_P = "os_compute_api:server-metadata:"
_ALL = "/servers/{server_id}/metadata"
_ONE = "/servers/{server_id}/metadata/{key}"

INDEX = f"{_P}index"
SHOW = f"{_P}show"
CREATE = f"{_P}create"
UPDATE_ALL = f"{_P}update_all"
UPDATE = f"{_P}update"
DELETE = f"{_P}delete"

rules: list[policy.RuleDefault] = [
    documented(INDEX, PROJECT_READER_OR_ADMIN, "List a server's metadata.", [("GET", _ALL)]),
    documented(SHOW, PROJECT_READER_OR_ADMIN, "Show one metadata item.", [("GET", _ONE)]),
    documented(CREATE, PROJECT_MEMBER_OR_ADMIN, "Add or change metadata items.", [("POST", _ALL)]),
    documented(
        UPDATE_ALL, PROJECT_MEMBER_OR_ADMIN, "Replace all of a server's metadata.", [("PUT", _ALL)]
    ),
    documented(UPDATE, PROJECT_MEMBER_OR_ADMIN, "Set one metadata item.", [("PUT", _ONE)]),
    documented(DELETE, PROJECT_MEMBER_OR_ADMIN, "Delete one metadata item.", [("DELETE", _ONE)]),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of server metadata."""
    return list(rules)
