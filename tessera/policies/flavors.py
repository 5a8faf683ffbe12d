"""Rules of ``/flavors``: managing flavors, their extra specs and who may use them.

Listing and showing flavors has no rule, as in the reference API: every caller
may see the flavors it can boot (public ones and those on its project's access
list; administrators every flavor). From microversion 2.61 the ``index`` rule of
extra specs decides whether flavor bodies include them.
"""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, PROJECT_READER_OR_ADMIN, documented

_ALL = "/flavors"
_ONE = "/flavors/{flavor_id}"
_SPECS = "/flavors/{flavor_id}/os-extra_specs"
_SPEC = "/flavors/{flavor_id}/os-extra_specs/{flavor_extra_spec_key}"
_ACTION = "/flavors/{flavor_id}/action"

CREATE = "os_compute_api:os-flavor-manage:create"
UPDATE = "os_compute_api:os-flavor-manage:update"
DELETE = "os_compute_api:os-flavor-manage:delete"
EXTRA_SPECS_INDEX = "os_compute_api:os-flavor-extra-specs:index"
EXTRA_SPECS_SHOW = "os_compute_api:os-flavor-extra-specs:show"
EXTRA_SPECS_CREATE = "os_compute_api:os-flavor-extra-specs:create"
EXTRA_SPECS_UPDATE = "os_compute_api:os-flavor-extra-specs:update"
EXTRA_SPECS_DELETE = "os_compute_api:os-flavor-extra-specs:delete"
ACCESS_LIST = "os_compute_api:os-flavor-access"
ACCESS_ADD = "os_compute_api:os-flavor-access:add_tenant_access"
ACCESS_REMOVE = "os_compute_api:os-flavor-access:remove_tenant_access"

rules: list[policy.RuleDefault] = [
    documented(CREATE, ADMIN, "Create a flavor.", [("POST", _ALL)]),
    documented(UPDATE, ADMIN, "Change a flavor's description (2.55 and later).", [("PUT", _ONE)]),
    documented(DELETE, ADMIN, "Delete a flavor.", [("DELETE", _ONE)]),
    documented(
        EXTRA_SPECS_INDEX,
        PROJECT_READER_OR_ADMIN,
        "List a flavor's extra specs, and include them in flavor views (2.61 and later).",
        [
            ("GET", _SPECS),
            ("POST", _ALL),
            ("GET", f"{_ALL}/detail"),
            ("GET", _ONE),
            ("PUT", _ONE),
        ],
    ),
    documented(EXTRA_SPECS_SHOW, PROJECT_READER_OR_ADMIN, "Show one extra spec.", [("GET", _SPEC)]),
    documented(EXTRA_SPECS_CREATE, ADMIN, "Add or change extra specs.", [("POST", _SPECS)]),
    documented(EXTRA_SPECS_UPDATE, ADMIN, "Set one extra spec.", [("PUT", _SPEC)]),
    documented(EXTRA_SPECS_DELETE, ADMIN, "Delete one extra spec.", [("DELETE", _SPEC)]),
    documented(
        ACCESS_LIST,
        ADMIN,
        "List the projects that may use a private flavor.",
        [("GET", "/flavors/{flavor_id}/os-flavor-access")],
    ),
    documented(
        ACCESS_ADD,
        ADMIN,
        "Let a project use a private flavor.",
        [("POST", f"{_ACTION} (addTenantAccess)")],
    ),
    documented(
        ACCESS_REMOVE,
        ADMIN,
        "Stop a project from using a private flavor.",
        [("POST", f"{_ACTION} (removeTenantAccess)")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of flavors."""
    return list(rules)
