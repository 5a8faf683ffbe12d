"""Rules of ``/os-aggregates`` (host aggregates)."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, documented

_P = "os_compute_api:os-aggregates:"
_ALL = "/os-aggregates"
_ONE = "/os-aggregates/{aggregate_id}"
_ACTION = f"{_ONE}/action"

INDEX = f"{_P}index"
SHOW = f"{_P}show"
CREATE = f"{_P}create"
UPDATE = f"{_P}update"
DELETE = f"{_P}delete"
ADD_HOST = f"{_P}add_host"
REMOVE_HOST = f"{_P}remove_host"
SET_METADATA = f"{_P}set_metadata"
IMAGES = "compute:aggregates:images"

rules: list[policy.RuleDefault] = [
    documented(INDEX, ADMIN, "List aggregates.", [("GET", _ALL)]),
    documented(SHOW, ADMIN, "Show an aggregate.", [("GET", _ONE)]),
    documented(CREATE, ADMIN, "Create an aggregate.", [("POST", _ALL)]),
    documented(UPDATE, ADMIN, "Rename an aggregate or change its zone.", [("PUT", _ONE)]),
    documented(DELETE, ADMIN, "Delete an aggregate.", [("DELETE", _ONE)]),
    documented(ADD_HOST, ADMIN, "Add a host to an aggregate.", [("POST", f"{_ACTION} (add_host)")]),
    documented(
        REMOVE_HOST,
        ADMIN,
        "Remove a host from an aggregate.",
        [("POST", f"{_ACTION} (remove_host)")],
    ),
    documented(
        SET_METADATA,
        ADMIN,
        "Set an aggregate's metadata.",
        [("POST", f"{_ACTION} (set_metadata)")],
    ),
    documented(
        IMAGES,
        ADMIN,
        "Pre-cache images on the aggregate's hosts (2.81 and later).",
        [("POST", f"{_ONE}/images")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of aggregates."""
    return list(rules)
