"""Who may call what: one row per compute route and method (per action for action routes).

Each row names the policy rule the call checks and what each of three callers
gets: an administrator, a member of the project owning the resource, and a
member of another project. ``ALLOWED`` means authorization passed, and as every
row sends a valid request on a resource in the right state, the call succeeds
(a row may tolerate a 400 or 409 that follows authorization); ``FORBIDDEN`` is a
403 naming the rule; ``HIDDEN`` a 404: another project's server, keypair or
group must look absent.

Rows that change state bring their own resources and put back what they took
(:mod:`tests.policies.route_steps`), so any subset of rows runs in any order.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, NamedTuple

from tessera.policies import (
    aggregates,
    availability_zones,
    flavors,
    hypervisors,
    instance_actions,
    keypairs,
    limits,
    migrations,
    quotas,
    server_actions,
    server_groups,
    server_metadata,
    server_tags,
    servers,
    services,
)
from tests.policies import route_steps as steps
from tests.policies.route_steps import Cleanup, Prepare
from tests.policies.route_world import COMPUTE_HOST, Caller, World


class Outcome(enum.Enum):
    """What one caller gets."""

    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"
    HIDDEN = "hidden"


ALLOWED, FORBIDDEN, HIDDEN = Outcome.ALLOWED, Outcome.FORBIDDEN, Outcome.HIDDEN


class Expect(NamedTuple):
    """The outcome for each caller."""

    admin: Outcome
    member: Outcome
    other: Outcome

    def of(self, caller: Caller) -> Outcome:
        """``caller``'s outcome."""
        by_caller = {Caller.ADMIN: self.admin, Caller.MEMBER: self.member}
        return by_caller.get(caller, self.other)


EVERYONE = Expect(ALLOWED, ALLOWED, ALLOWED)
"""Any authenticated caller (on its own project, or on nothing project-owned)."""
ADMIN_ONLY = Expect(ALLOWED, FORBIDDEN, FORBIDDEN)
"""Cloud administrators only; the resource belongs to no project."""
OWNER = Expect(ALLOWED, ALLOWED, HIDDEN)
"""The owning project (and admins); another project cannot tell the resource exists."""
OWNER_ADMIN_RULE = Expect(ALLOWED, FORBIDDEN, HIDDEN)
"""An admin-only rule on a project's resource: hidden from other projects all the same."""
NAMED_OWNER = Expect(ALLOWED, ALLOWED, FORBIDDEN)
"""A call naming the project or user it is about, which is no secret (quotas, limits,
a user's keypairs): refused before anything is looked up."""


@dataclass(frozen=True)
class Row:
    """One call of the table."""

    method: str
    """HTTP method."""
    route: str
    """Falcon route template below ``/v2.1`` ("" for ``/v2.1`` itself)."""
    rule: str | None
    """The policy rule deciding the call (None: no rule, the call is open to everyone)."""
    expect: Expect
    """Each caller's outcome under the default policy."""
    body: Any = None
    """JSON body, or a function of the world making one (for unique names)."""
    action: str | None = None
    """For ``.../action`` routes: the action (the body's key)."""
    query: str = ""
    """Query string of every caller's request."""
    admin_query: str = ""
    """Query string of the administrator's request instead (to name the owner)."""
    version: str = "latest"
    """Compute microversion asked for."""
    prepare: Prepare | None = None
    """Called before each caller's request; returns path parameters to use."""
    cleanup: Cleanup | None = None
    """Called after each caller's request with the parameters used and the result."""
    case: str = ""
    """What sets the row apart from another row of the same call (for its test id)."""
    tolerates: tuple[int, ...] = ()
    """Failures after authorization that still count as ``ALLOWED`` (400, 409)."""

    @property
    def id(self) -> str:
        """The row's test id: method, route, and the action or query that sets it apart."""
        extra = f" ({self.action})" if self.action else ""
        extra += f" ?{self.query}" if self.query else ""
        extra += f" [{self.case}]" if self.case else ""
        return f"{self.method} {self.route or '/'}{extra}"

    @property
    def scoped(self) -> bool:
        """Whether the call is about one project's resource (a 404 then means "hidden")."""
        return "{server_id}" in self.route or self.route.startswith(
            ("/os-keypairs/", "/os-server-groups/")
        )

    def request_body(self, world: World) -> Any:
        """The body to send (made afresh when ``body`` is a function)."""
        return self.body(world) if callable(self.body) else self.body


SERVER = "/servers/{server_id}"
FLAVOR = "/flavors/{flavor_id}"
AGGREGATE = "/os-aggregates/{aggregate_id}"
QUOTA = "/os-quota-sets/{project_id}"
# Keypairs belong to users: the administrator names the owner (user_id, 2.10 and later).
OWNER_QUERY = "user_id=demo"


def _action(name: str, rule: str, expect: Expect, args: Any = None, **kw: Any) -> Row:
    return Row("POST", f"{SERVER}/action", rule, expect, {name: args}, name, **kw)


SERVER_ROWS = [
    Row("GET", "", None, EVERYONE),
    Row("GET", "/openapi.json", None, EVERYONE),
    Row("GET", "/servers", servers.INDEX, EVERYONE),
    Row("GET", "/servers", servers.INDEX_ALL_TENANTS, ADMIN_ONLY, query="all_tenants=1"),
    Row("GET", "/servers/detail", servers.DETAIL, EVERYONE),
    Row("GET", "/servers/detail", servers.DETAIL_ALL_TENANTS, ADMIN_ONLY, query="all_tenants=1"),
    Row(
        "POST", "/servers", servers.CREATE, EVERYONE, steps.BOOT_BODY, cleanup=steps.delete_created
    ),
    Row("GET", SERVER, servers.SHOW, OWNER),
    Row("PUT", SERVER, servers.UPDATE, OWNER, {"server": {"name": "policy"}}),
    Row(
        "DELETE",
        SERVER,
        servers.DELETE,
        OWNER,
        prepare=steps.spare_server,
        cleanup=steps.unless_gone,
    ),
    _action("os-stop", servers.STOP, OWNER, prepare=steps.power_active, cleanup=steps.settle),
    _action("os-start", servers.START, OWNER, prepare=steps.power_stopped, cleanup=steps.settle),
    _action(
        "reboot",
        servers.REBOOT,
        OWNER,
        {"type": "SOFT"},
        prepare=steps.power_active,
        cleanup=steps.settle,
    ),
    _action("lock", server_actions.LOCK, OWNER, cleanup=steps.unlock),
    _action(
        "unlock",
        server_actions.UNLOCK,
        OWNER,
        prepare=steps.locked_by(Caller.MEMBER),
        cleanup=steps.unlock,
    ),
    _action(
        "unlock",
        server_actions.UNLOCK_OVERRIDE,
        OWNER_ADMIN_RULE,
        prepare=steps.locked_by(Caller.ADMIN),
        cleanup=steps.unlock,
        case="locked by admin",
    ),
    _action(
        "createImage",
        servers.CREATE_IMAGE,
        OWNER,
        {"name": "policy-snapshot"},
        prepare=steps.power_idle,
        cleanup=steps.settle,
    ),
    _action(
        "forceDelete",
        server_actions.FORCE_DELETE,
        OWNER,
        prepare=steps.spare_server,
        cleanup=steps.unless_gone,
    ),
    Row("GET", f"{SERVER}/metadata", server_metadata.INDEX, OWNER),
    Row("POST", f"{SERVER}/metadata", server_metadata.CREATE, OWNER, {"metadata": {"row": "1"}}),
    Row(
        "PUT",
        f"{SERVER}/metadata",
        server_metadata.UPDATE_ALL,
        OWNER,
        {"metadata": {"purpose": "policy"}},
    ),
    Row("GET", f"{SERVER}/metadata/{{key}}", server_metadata.SHOW, OWNER),
    Row(
        "PUT",
        f"{SERVER}/metadata/{{key}}",
        server_metadata.UPDATE,
        OWNER,
        {"meta": {"purpose": "policy"}},
    ),
    Row(
        "DELETE",
        f"{SERVER}/metadata/{{key}}",
        server_metadata.DELETE,
        OWNER,
        prepare=steps.doomed_metadata,
    ),
    Row("GET", f"{SERVER}/tags", server_tags.INDEX, OWNER),
    Row("PUT", f"{SERVER}/tags", server_tags.UPDATE_ALL, OWNER, {"tags": ["policy"]}),
    Row("DELETE", f"{SERVER}/tags", server_tags.DELETE_ALL, OWNER, cleanup=steps.retag),
    Row("GET", f"{SERVER}/tags/{{tag}}", server_tags.SHOW, OWNER, prepare=steps.tagged("policy")),
    Row("PUT", f"{SERVER}/tags/{{tag}}", server_tags.UPDATE, OWNER),
    Row(
        "DELETE",
        f"{SERVER}/tags/{{tag}}",
        server_tags.DELETE,
        OWNER,
        prepare=steps.tagged("doomed"),
    ),
    Row("GET", f"{SERVER}/os-instance-actions", instance_actions.LIST, OWNER),
    Row("GET", f"{SERVER}/os-instance-actions/{{request_id}}", instance_actions.SHOW, OWNER),
    Row("GET", f"{SERVER}/migrations", migrations.SERVER_INDEX, OWNER_ADMIN_RULE),
    Row(
        "GET",
        f"{SERVER}/migrations/{{migration_id}}",
        migrations.SERVER_SHOW,
        OWNER_ADMIN_RULE,
    ),
]

FLAVOR_ROWS = [
    # Listing and showing flavors is open to everyone, as in the reference API.
    Row("GET", "/flavors", None, EVERYONE),
    Row("GET", "/flavors/detail", None, EVERYONE),
    Row("GET", FLAVOR, None, EVERYONE),
    Row(
        "POST",
        "/flavors",
        flavors.CREATE,
        ADMIN_ONLY,
        steps.new_flavor,
        cleanup=steps.delete_flavor,
    ),
    Row(
        "PUT",
        FLAVOR,
        flavors.UPDATE,
        ADMIN_ONLY,
        {"flavor": {"description": "policy table"}},
        prepare=steps.table_flavor,
    ),
    Row("DELETE", FLAVOR, flavors.DELETE, ADMIN_ONLY, prepare=steps.throwaway_flavor),
    Row(
        "GET",
        f"{FLAVOR}/os-extra_specs",
        flavors.EXTRA_SPECS_INDEX,
        EVERYONE,
        prepare=steps.table_flavor,
    ),
    Row(
        "POST",
        f"{FLAVOR}/os-extra_specs",
        flavors.EXTRA_SPECS_CREATE,
        ADMIN_ONLY,
        {"extra_specs": {"policy:spec": "1"}},
        prepare=steps.table_flavor,
    ),
    Row(
        "GET",
        f"{FLAVOR}/os-extra_specs/{{key}}",
        flavors.EXTRA_SPECS_SHOW,
        EVERYONE,
        prepare=steps.extra_spec("policy:spec"),
    ),
    Row(
        "PUT",
        f"{FLAVOR}/os-extra_specs/{{key}}",
        flavors.EXTRA_SPECS_UPDATE,
        ADMIN_ONLY,
        {"policy:spec": "1"},
        prepare=steps.extra_spec("policy:spec"),
    ),
    Row(
        "DELETE",
        f"{FLAVOR}/os-extra_specs/{{key}}",
        flavors.EXTRA_SPECS_DELETE,
        ADMIN_ONLY,
        prepare=steps.extra_spec("policy:doomed"),
    ),
    Row(
        "GET",
        f"{FLAVOR}/os-flavor-access",
        flavors.ACCESS_LIST,
        ADMIN_ONLY,
        prepare=steps.private_flavor,
    ),
    Row(
        "POST",
        f"{FLAVOR}/action",
        flavors.ACCESS_ADD,
        ADMIN_ONLY,
        {"addTenantAccess": {"tenant": "demo"}},
        "addTenantAccess",
        prepare=steps.access_after("removeTenantAccess"),
    ),
    Row(
        "POST",
        f"{FLAVOR}/action",
        flavors.ACCESS_REMOVE,
        ADMIN_ONLY,
        {"removeTenantAccess": {"tenant": "demo"}},
        "removeTenantAccess",
        prepare=steps.access_after("addTenantAccess"),
    ),
]

OWNED_ROWS = [
    Row("GET", "/os-keypairs", keypairs.INDEX, EVERYONE),
    Row(
        "POST",
        "/os-keypairs",
        keypairs.CREATE,
        EVERYONE,
        steps.new_keypair,
        cleanup=steps.delete_keypair,
    ),
    Row("GET", "/os-keypairs", keypairs.INDEX, NAMED_OWNER, query=OWNER_QUERY),
    Row("GET", "/os-keypairs/{name}", keypairs.SHOW, OWNER, admin_query=OWNER_QUERY),
    Row("GET", "/os-keypairs/{name}", keypairs.SHOW, NAMED_OWNER, query=OWNER_QUERY),
    Row(
        "DELETE",
        "/os-keypairs/{name}",
        keypairs.DELETE,
        OWNER,
        admin_query=OWNER_QUERY,
        prepare=steps.throwaway_keypair,
    ),
    Row("GET", "/os-server-groups", server_groups.INDEX, EVERYONE),
    Row(
        "GET",
        "/os-server-groups",
        server_groups.INDEX_ALL_PROJECTS,
        ADMIN_ONLY,
        query="all_projects=1",
    ),
    Row(
        "POST",
        "/os-server-groups",
        server_groups.CREATE,
        EVERYONE,
        steps.new_group,
        cleanup=steps.delete_group,
    ),
    Row("GET", "/os-server-groups/{group_id}", server_groups.SHOW, OWNER),
    Row(
        "DELETE",
        "/os-server-groups/{group_id}",
        server_groups.DELETE,
        OWNER,
        prepare=steps.throwaway_group,
    ),
]

ADMIN_ROWS = [
    Row("GET", "/os-aggregates", aggregates.INDEX, ADMIN_ONLY),
    Row(
        "POST",
        "/os-aggregates",
        aggregates.CREATE,
        ADMIN_ONLY,
        steps.new_aggregate,
        cleanup=steps.delete_aggregate,
    ),
    Row("GET", AGGREGATE, aggregates.SHOW, ADMIN_ONLY),
    Row("PUT", AGGREGATE, aggregates.UPDATE, ADMIN_ONLY, steps.new_aggregate),
    Row("DELETE", AGGREGATE, aggregates.DELETE, ADMIN_ONLY, prepare=steps.throwaway_aggregate),
    Row(
        "POST",
        f"{AGGREGATE}/action",
        aggregates.ADD_HOST,
        ADMIN_ONLY,
        {"add_host": {"host": COMPUTE_HOST}},
        "add_host",
        prepare=steps.host_after("remove_host"),
    ),
    Row(
        "POST",
        f"{AGGREGATE}/action",
        aggregates.REMOVE_HOST,
        ADMIN_ONLY,
        {"remove_host": {"host": COMPUTE_HOST}},
        "remove_host",
        prepare=steps.host_after("add_host"),
    ),
    Row(
        "POST",
        f"{AGGREGATE}/action",
        aggregates.SET_METADATA,
        ADMIN_ONLY,
        {"set_metadata": {"metadata": {"policy": "table"}}},
        "set_metadata",
    ),
    Row("GET", "/os-availability-zone", availability_zones.LIST, EVERYONE),
    Row("GET", "/os-availability-zone/detail", availability_zones.DETAIL, ADMIN_ONLY),
    Row("GET", "/os-services", services.LIST, ADMIN_ONLY),
    Row("PUT", "/os-services/{service_id}", services.UPDATE, ADMIN_ONLY, {"status": "enabled"}),
    Row(
        "DELETE",
        "/os-services/{service_id}",
        services.DELETE,
        ADMIN_ONLY,
        prepare=steps.throwaway_service,
    ),
    Row("GET", "/os-hypervisors", hypervisors.LIST, ADMIN_ONLY),
    Row("GET", "/os-hypervisors/detail", hypervisors.LIST_DETAIL, ADMIN_ONLY),
    # Removed in 2.88: asked for at the last microversion that has it.
    Row("GET", "/os-hypervisors/statistics", hypervisors.STATISTICS, ADMIN_ONLY, version="2.87"),
    Row("GET", "/os-hypervisors/{hypervisor_id}", hypervisors.SHOW, ADMIN_ONLY),
    Row("GET", "/os-migrations", migrations.INDEX, ADMIN_ONLY),
    Row("GET", "/limits", limits.SHOW, EVERYONE),
    Row("GET", "/limits", limits.OTHER_PROJECT, NAMED_OWNER, query="tenant_id=demo"),
    Row("GET", QUOTA, quotas.SHOW, NAMED_OWNER),
    Row("PUT", QUOTA, quotas.UPDATE, ADMIN_ONLY, {"quota_set": {"key_pairs": 100}}),
    Row("DELETE", QUOTA, quotas.DELETE, ADMIN_ONLY),
    Row("GET", f"{QUOTA}/defaults", quotas.DEFAULTS, EVERYONE),
    Row("GET", f"{QUOTA}/detail", quotas.DETAIL, NAMED_OWNER),
]

ROWS: list[Row] = [*SERVER_ROWS, *FLAVOR_ROWS, *OWNED_ROWS, *ADMIN_ROWS]
