"""Rules of ``/servers/{server_id}/tags`` (microversion 2.26 and later)."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import PROJECT_MEMBER_OR_ADMIN, PROJECT_READER_OR_ADMIN, documented

_P = "os_compute_api:os-server-tags:"
_ALL = "/servers/{server_id}/tags"
_ONE = "/servers/{server_id}/tags/{tag}"

INDEX = f"{_P}index"
SHOW = f"{_P}show"
UPDATE_ALL = f"{_P}update_all"
UPDATE = f"{_P}update"
DELETE_ALL = f"{_P}delete_all"
DELETE = f"{_P}delete"

rules: list[policy.RuleDefault] = [
    documented(INDEX, PROJECT_READER_OR_ADMIN, "List a server's tags.", [("GET", _ALL)]),
    documented(SHOW, PROJECT_READER_OR_ADMIN, "Check whether a server has a tag.", [("GET", _ONE)]),
    documented(
        UPDATE_ALL, PROJECT_MEMBER_OR_ADMIN, "Replace all of a server's tags.", [("PUT", _ALL)]
    ),
    documented(UPDATE, PROJECT_MEMBER_OR_ADMIN, "Add one tag to a server.", [("PUT", _ONE)]),
    documented(
        DELETE_ALL, PROJECT_MEMBER_OR_ADMIN, "Remove all of a server's tags.", [("DELETE", _ALL)]
    ),
    documented(DELETE, PROJECT_MEMBER_OR_ADMIN, "Remove one tag.", [("DELETE", _ONE)]),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of server tags."""
    return list(rules)
