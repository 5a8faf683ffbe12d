"""Rules of ``/os-quota-sets`` and ``/os-quota-class-sets``.

The target of a quota-set call is the project in the URL
(``{"project_id": tenant_id}``), so a project reads its own quota only.
"""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, ANYONE, PROJECT_READER_OR_ADMIN, documented

_P = "os_compute_api:os-quota-sets:"
_CP = "os_compute_api:os-quota-class-sets:"
_ONE = "/os-quota-sets/{tenant_id}"
_CLASS = "/os-quota-class-sets/{quota_class}"

SHOW = f"{_P}show"
DETAIL = f"{_P}detail"
DEFAULTS = f"{_P}defaults"
UPDATE = f"{_P}update"
DELETE = f"{_P}delete"
CLASS_SHOW = f"{_CP}show"
CLASS_UPDATE = f"{_CP}update"

rules: list[policy.RuleDefault] = [
    documented(SHOW, PROJECT_READER_OR_ADMIN, "Show a project's quota.", [("GET", _ONE)]),
    documented(
        DETAIL,
        PROJECT_READER_OR_ADMIN,
        "Show a project's quota with usage and reservations.",
        [("GET", f"{_ONE}/detail")],
    ),
    documented(DEFAULTS, ANYONE, "Show the default quota.", [("GET", f"{_ONE}/defaults")]),
    documented(UPDATE, ADMIN, "Change a project's (or user's) quota.", [("PUT", _ONE)]),
    documented(
        DELETE, ADMIN, "Reset a project's (or user's) quota to the defaults.", [("DELETE", _ONE)]
    ),
    documented(CLASS_SHOW, ADMIN, "Show a quota class.", [("GET", _CLASS)]),
    documented(
        CLASS_UPDATE,
        ADMIN,
        "Change a quota class (the 'default' class sets the defaults).",
        [("PUT", _CLASS)],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of quotas."""
    return list(rules)
