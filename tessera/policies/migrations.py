"""Rules of ``/os-migrations`` and ``/servers/{server_id}/migrations``."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, PROJECT_MANAGER_OR_ADMIN, documented

_P = "os_compute_api:os-migrations:"
_SP = "os_compute_api:servers:migrations:"
_ALL = "/os-migrations"
_SERVER_ALL = "/servers/{server_id}/migrations"
_SERVER_ONE = "/servers/{server_id}/migrations/{migration_id}"

INDEX = f"{_P}index"
INDEX_ALL_PROJECTS = f"{_P}index:all_projects"
INDEX_HOST = f"{_P}index:host"
SERVER_INDEX = f"{_SP}index"
SERVER_INDEX_HOST = f"{_SP}index:host"
SERVER_SHOW = f"{_SP}show"
SERVER_FORCE_COMPLETE = f"{_SP}force_complete"
SERVER_DELETE = f"{_SP}delete"

rules: list[policy.RuleDefault] = [
    documented(INDEX, PROJECT_MANAGER_OR_ADMIN, "List the project's migrations.", [("GET", _ALL)]),
    documented(INDEX_ALL_PROJECTS, ADMIN, "List migrations of every project.", [("GET", _ALL)]),
    documented(
        INDEX_HOST, ADMIN, "Include source and destination hosts in migrations.", [("GET", _ALL)]
    ),
    documented(
        SERVER_INDEX,
        PROJECT_MANAGER_OR_ADMIN,
        "List a server's live migrations in progress.",
        [("GET", _SERVER_ALL)],
    ),
    documented(
        SERVER_INDEX_HOST,
        ADMIN,
        "Include hosts in a server's migrations.",
        [("GET", _SERVER_ALL)],
    ),
    documented(SERVER_SHOW, ADMIN, "Show one live migration of a server.", [("GET", _SERVER_ONE)]),
    documented(
        SERVER_FORCE_COMPLETE,
        PROJECT_MANAGER_OR_ADMIN,
        "Force a live migration to finish (pause the guest or switch to post-copy).",
        [("POST", f"{_SERVER_ONE}/action (force_complete)")],
    ),
    documented(
        SERVER_DELETE,
        PROJECT_MANAGER_OR_ADMIN,
        "Abort a live migration.",
        [("DELETE", _SERVER_ONE)],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of migrations."""
    return list(rules)
