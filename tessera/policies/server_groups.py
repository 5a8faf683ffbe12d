"""Rules of ``/os-server-groups`` (affinity and anti-affinity groups)."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import (
    ADMIN,
    PROJECT_MEMBER_OR_ADMIN,
    PROJECT_READER_OR_ADMIN,
    documented,
)

_P = "os_compute_api:os-server-groups:"
_ALL = "/os-server-groups"
_ONE = "/os-server-groups/{server_group_id}"

INDEX = f"{_P}index"
INDEX_ALL_PROJECTS = f"{_P}index:all_projects"
SHOW = f"{_P}show"
CREATE = f"{_P}create"
DELETE = f"{_P}delete"

rules: list[policy.RuleDefault] = [
    documented(
        INDEX, PROJECT_READER_OR_ADMIN, "List the project's server groups.", [("GET", _ALL)]
    ),
    documented(
        INDEX_ALL_PROJECTS,
        ADMIN,
        "List server groups of every project (all_projects filter).",
        [("GET", _ALL)],
    ),
    documented(SHOW, PROJECT_READER_OR_ADMIN, "Show a server group.", [("GET", _ONE)]),
    documented(CREATE, PROJECT_MEMBER_OR_ADMIN, "Create a server group.", [("POST", _ALL)]),
    documented(DELETE, PROJECT_MEMBER_OR_ADMIN, "Delete a server group.", [("DELETE", _ONE)]),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of server groups."""
    return list(rules)
