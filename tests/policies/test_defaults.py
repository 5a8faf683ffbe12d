"""Every rule's default as a table: which callers may do it on one project's resource.

The table is written out rule by rule (not derived from the check strings), so a
changed default shows up here as a failing row.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from oslo_policy.policy import PolicyNotRegistered

from tessera.api.errors import APIError
from tessera.context import RequestContext
from tessera.policies import list_rules
from tessera.policies.enforcer import Policy


@dataclass(frozen=True)
class Persona:
    """A caller, named for the table."""

    name: str
    ctx: RequestContext


# The target belongs to project p1 and (for user-owned resources) user alice.
TARGET = {"project_id": "p1", "user_id": "alice"}

PERSONAS = (
    Persona(
        "admin",
        RequestContext(
            user_id="admin", project_id="admin", is_admin=True, roles=("admin", "member", "reader")
        ),
    ),
    Persona("member", RequestContext(user_id="alice", project_id="p1", roles=("member", "reader"))),
    Persona(
        "other_member", RequestContext(user_id="bob", project_id="p2", roles=("member", "reader"))
    ),
    Persona("reader", RequestContext(user_id="carol", project_id="p1", roles=("reader",))),
    Persona("no_roles", RequestContext(user_id="dave", project_id="p1", roles=())),
    # The owner of user-owned resources (keypairs) needs no role for them.
    Persona("owner_no_roles", RequestContext(user_id="alice", project_id="p1", roles=())),
    Persona(
        "manager",
        RequestContext(user_id="erin", project_id="p1", roles=("manager", "member", "reader")),
    ),
    Persona("service", RequestContext(user_id="network", project_id="service", roles=("service",))),
)

ALL = frozenset(p.name for p in PERSONAS)

# Audience -> the personas it lets in.
ALLOWED: dict[str, frozenset[str]] = {
    "ADMIN": frozenset({"admin"}),
    "READER": frozenset({"admin", "member", "reader", "manager"}),
    "MEMBER": frozenset({"admin", "member", "manager"}),
    "MANAGER": frozenset({"admin", "manager"}),
    "SERVICE": frozenset({"admin", "service"}),
    "OWNER_USER": frozenset({"admin", "member", "owner_no_roles"}),
    "ANYONE": ALL,
    "NOBODY": frozenset(),
    # Base rules without the admin alternative: the admin is in another project.
    "PROJECT_READER": frozenset({"member", "reader", "manager"}),
    "PROJECT_MEMBER": frozenset({"member", "manager"}),
    "PROJECT_MANAGER": frozenset({"manager"}),
    "SERVICE_ONLY": frozenset({"service"}),
}

RULES_BY_AUDIENCE: dict[str, list[str]] = {
    "ADMIN": [
        "context_is_admin",
        "admin_api",
        "os_compute_api:servers:index:get_all_tenants",
        "os_compute_api:servers:detail:get_all_tenants",
        "os_compute_api:servers:allow_all_filters",
        "os_compute_api:servers:show:host_status",
        "os_compute_api:servers:show:host_status:unknown-only",
        "os_compute_api:servers:create:forced_host",
        "compute:servers:create:requested_destination",
        "os_compute_api:servers:create:zero_disk_flavor",
        "network:attach_external_network",
        "os_compute_api:os-extended-server-attributes",
        "compute:server:topology:host:index",
        "os_compute_api:os-admin-actions:reset_state",
        "os_compute_api:os-admin-actions:inject_network_info",
        "os_compute_api:os-evacuate",
        "os_compute_api:os-lock-server:unlock:unlock_override",
        "os_compute_api:os-migrate-server:migrate:host",
        "os_compute_api:os-migrate-server:migrate_live:host",
        "os_compute_api:os-shelve:unshelve_to_host",
        "os_compute_api:os-shelve:shelve_offload",
        "os_compute_api:os-server-diagnostics",
        "os_compute_api:os-server-groups:index:all_projects",
        "os_compute_api:os-instance-actions:events",
        "os_compute_api:os-instance-actions:events:details",
        "os_compute_api:os-migrations:index:all_projects",
        "os_compute_api:os-migrations:index:host",
        "os_compute_api:servers:migrations:index:host",
        "os_compute_api:servers:migrations:show",
        "os_compute_api:os-flavor-manage:create",
        "os_compute_api:os-flavor-manage:update",
        "os_compute_api:os-flavor-manage:delete",
        "os_compute_api:os-flavor-extra-specs:create",
        "os_compute_api:os-flavor-extra-specs:update",
        "os_compute_api:os-flavor-extra-specs:delete",
        "os_compute_api:os-flavor-access",
        "os_compute_api:os-flavor-access:add_tenant_access",
        "os_compute_api:os-flavor-access:remove_tenant_access",
        "os_compute_api:os-services:list",
        "os_compute_api:os-services:update",
        "os_compute_api:os-services:delete",
        "os_compute_api:os-hypervisors:list",
        "os_compute_api:os-hypervisors:list-detail",
        "os_compute_api:os-hypervisors:statistics",
        "os_compute_api:os-hypervisors:show",
        "os_compute_api:os-hypervisors:uptime",
        "os_compute_api:os-hypervisors:search",
        "os_compute_api:os-hypervisors:servers",
        "os_compute_api:os-hosts:list",
        "os_compute_api:os-hosts:show",
        "os_compute_api:os-hosts:update",
        "os_compute_api:os-hosts:reboot",
        "os_compute_api:os-hosts:shutdown",
        "os_compute_api:os-hosts:start",
        "os_compute_api:os-aggregates:index",
        "os_compute_api:os-aggregates:show",
        "os_compute_api:os-aggregates:create",
        "os_compute_api:os-aggregates:update",
        "os_compute_api:os-aggregates:delete",
        "os_compute_api:os-aggregates:add_host",
        "os_compute_api:os-aggregates:remove_host",
        "os_compute_api:os-aggregates:set_metadata",
        "compute:aggregates:images",
        "os_compute_api:os-availability-zone:detail",
        "os_compute_api:os-quota-sets:update",
        "os_compute_api:os-quota-sets:delete",
        "os_compute_api:os-quota-class-sets:show",
        "os_compute_api:os-quota-class-sets:update",
        "os_compute_api:limits:other_project",
        "os_compute_api:os-simple-tenant-usage:list",
        "os_compute_api:os-instance-usage-audit-log:list",
        "os_compute_api:os-instance-usage-audit-log:show",
        "os_compute_api:os-console-auth-tokens",
        "os_compute_api:os-baremetal-nodes:list",
        "os_compute_api:os-baremetal-nodes:show",
    ],
    "PROJECT_MANAGER": [
        "project_manager_api",
    ],
    "PROJECT_MEMBER": [
        "project_member_api",
    ],
    "PROJECT_READER": [
        "project_reader_api",
    ],
    "SERVICE_ONLY": [
        "service_api",
    ],
    "MANAGER": [
        "project_manager_or_admin",
        "os_compute_api:os-migrate-server:migrate",
        "os_compute_api:os-migrate-server:migrate_live",
        "os_compute_api:os-migrations:index",
        "os_compute_api:servers:migrations:index",
        "os_compute_api:servers:migrations:force_complete",
        "os_compute_api:servers:migrations:delete",
    ],
    "MEMBER": [
        "project_member_or_admin",
        "os_compute_api:servers:create",
        "os_compute_api:servers:create:attach_volume",
        "os_compute_api:servers:create:attach_network",
        "os_compute_api:servers:create:trusted_certs",
        "os_compute_api:servers:update",
        "os_compute_api:servers:delete",
        "os_compute_api:servers:confirm_resize",
        "os_compute_api:servers:revert_resize",
        "os_compute_api:servers:reboot",
        "os_compute_api:servers:resize",
        "os_compute_api:servers:rebuild",
        "os_compute_api:servers:rebuild:trusted_certs",
        "os_compute_api:servers:create_image",
        "os_compute_api:servers:create_image:allow_volume_backed",
        "os_compute_api:servers:start",
        "os_compute_api:servers:stop",
        "os_compute_api:servers:trigger_crash_dump",
        "os_compute_api:os-admin-password",
        "os_compute_api:os-console-output",
        "os_compute_api:os-remote-consoles",
        "os_compute_api:os-create-backup",
        "os_compute_api:os-deferred-delete:restore",
        "os_compute_api:os-deferred-delete:force",
        "os_compute_api:os-lock-server:lock",
        "os_compute_api:os-lock-server:unlock",
        "os_compute_api:os-pause-server:pause",
        "os_compute_api:os-pause-server:unpause",
        "os_compute_api:os-rescue",
        "os_compute_api:os-unrescue",
        "os_compute_api:os-shelve:shelve",
        "os_compute_api:os-shelve:unshelve",
        "os_compute_api:os-suspend-server:suspend",
        "os_compute_api:os-suspend-server:resume",
        "os_compute_api:server-metadata:create",
        "os_compute_api:server-metadata:update_all",
        "os_compute_api:server-metadata:update",
        "os_compute_api:server-metadata:delete",
        "os_compute_api:os-server-tags:update_all",
        "os_compute_api:os-server-tags:update",
        "os_compute_api:os-server-tags:delete_all",
        "os_compute_api:os-server-tags:delete",
        "os_compute_api:os-attach-interfaces:create",
        "os_compute_api:os-attach-interfaces:delete",
        "os_compute_api:os-volumes-attachments:create",
        "os_compute_api:os-volumes-attachments:update",
        "os_compute_api:os-volumes-attachments:delete",
        "os_compute_api:os-server-shares:create",
        "os_compute_api:os-server-shares:delete",
        "os_compute_api:os-server-password:clear",
        "os_compute_api:os-server-groups:create",
        "os_compute_api:os-server-groups:delete",
        "os_compute_api:os-floating-ips:create",
        "os_compute_api:os-floating-ips:delete",
        "os_compute_api:os-floating-ips:add",
        "os_compute_api:os-floating-ips:remove",
        "os_compute_api:os-multinic:add",
        "os_compute_api:os-multinic:remove",
        "os_compute_api:os-security-groups:create",
        "os_compute_api:os-security-groups:update",
        "os_compute_api:os-security-groups:delete",
        "os_compute_api:os-security-groups:rule:create",
        "os_compute_api:os-security-groups:rule:delete",
        "os_compute_api:os-security-groups:add",
        "os_compute_api:os-security-groups:remove",
        "os_compute_api:os-volumes:create",
        "os_compute_api:os-volumes:delete",
        "os_compute_api:os-volumes:snapshots:create",
        "os_compute_api:os-volumes:snapshots:delete",
    ],
    "READER": [
        "project_reader_or_admin",
        "os_compute_api:servers:index",
        "os_compute_api:servers:detail",
        "os_compute_api:servers:show",
        "os_compute_api:servers:show:flavor-extra-specs",
        "compute:server:topology:index",
        "os_compute_api:server-metadata:index",
        "os_compute_api:server-metadata:show",
        "os_compute_api:os-server-tags:index",
        "os_compute_api:os-server-tags:show",
        "os_compute_api:ips:index",
        "os_compute_api:ips:show",
        "os_compute_api:os-attach-interfaces:list",
        "os_compute_api:os-attach-interfaces:show",
        "os_compute_api:os-volumes-attachments:index",
        "os_compute_api:os-volumes-attachments:show",
        "os_compute_api:os-server-shares:index",
        "os_compute_api:os-server-shares:show",
        "os_compute_api:os-server-password:show",
        "os_compute_api:os-server-groups:index",
        "os_compute_api:os-server-groups:show",
        "os_compute_api:os-instance-actions:list",
        "os_compute_api:os-instance-actions:show",
        "os_compute_api:os-flavor-extra-specs:index",
        "os_compute_api:os-flavor-extra-specs:show",
        "os_compute_api:os-quota-sets:show",
        "os_compute_api:os-quota-sets:detail",
        "os_compute_api:os-simple-tenant-usage:show",
        "os_compute_api:os-networks:list",
        "os_compute_api:os-networks:show",
        "os_compute_api:os-tenant-networks:list",
        "os_compute_api:os-tenant-networks:show",
        "os_compute_api:os-floating-ips:list",
        "os_compute_api:os-floating-ips:show",
        "os_compute_api:os-security-groups:get",
        "os_compute_api:os-security-groups:show",
        "os_compute_api:os-security-groups:list",
        "os_compute_api:os-volumes:list",
        "os_compute_api:os-volumes:show",
        "os_compute_api:os-volumes:detail",
        "os_compute_api:os-volumes:snapshots:list",
        "os_compute_api:os-volumes:snapshots:show",
        "os_compute_api:os-volumes:snapshots:detail",
    ],
    "SERVICE": [
        "service_or_admin",
        "os_compute_api:os-volumes-attachments:swap",
        "os_compute_api:os-server-external-events:create",
        "os_compute_api:os-assisted-volume-snapshots:create",
        "os_compute_api:os-assisted-volume-snapshots:delete",
    ],
    "OWNER_USER": [
        "os_compute_api:os-keypairs:index",
        "os_compute_api:os-keypairs:show",
        "os_compute_api:os-keypairs:create",
        "os_compute_api:os-keypairs:delete",
    ],
    "ANYONE": [
        "os_compute_api:os-availability-zone:list",
        "os_compute_api:os-quota-sets:defaults",
        "os_compute_api:limits",
        "os_compute_api:extensions",
        "os_compute_api:os-floating-ip-pools",
    ],
    "NOBODY": [
        "compute:servers:resize:cross_cell",
    ],
}

AUDIENCE_OF = {rule: aud for aud, rules in RULES_BY_AUDIENCE.items() for rule in rules}


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy()


def test_table_lists_every_rule_once() -> None:
    listed = [rule for rules in RULES_BY_AUDIENCE.values() for rule in rules]
    assert len(listed) == len(set(listed))
    assert set(listed) == {rule.name for rule in list_rules()}


def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in list_rules()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", sorted(AUDIENCE_OF))
def test_default(policy: Policy, rule: str) -> None:
    allowed = {p.name for p in PERSONAS if policy.check(p.ctx, rule, TARGET)}
    assert allowed == ALLOWED[AUDIENCE_OF[rule]]


def test_every_route_rule_is_documented() -> None:
    # Base rules guard no call of their own; every other rule names the calls it guards.
    base = {"context_is_admin", "admin_api"} | {
        r for r in AUDIENCE_OF if r.startswith(("project_", "service_"))
    }
    for rule in list_rules():
        if rule.name not in base:
            assert rule.description and getattr(rule, "operations", None), rule.name


def test_cross_cell_resize_denied_to_everyone(policy: Policy) -> None:
    elevated = PERSONAS[1].ctx.elevated()
    for ctx in [p.ctx for p in PERSONAS] + [elevated]:
        assert not policy.check(ctx, "compute:servers:resize:cross_cell", TARGET)


def test_is_admin_flag_alone_passes_admin_api_only(policy: Policy) -> None:
    # Internal requests flagged is_admin without the role: admin_api accepts them
    # (its check says so), context_is_admin (and so admin-only APIs) does not.
    flagged = RequestContext(user_id="svc", project_id="p9", is_admin=True, roles=())
    assert policy.check(flagged, "admin_api", TARGET)
    assert not policy.check(flagged, "context_is_admin", TARGET)
    assert not policy.check(flagged, "os_compute_api:os-services:list", TARGET)


def test_unknown_ids_never_match_each_other(policy: Policy) -> None:
    # A caller without a project must not match a target whose project is unknown.
    anonymous = RequestContext(roles=("member", "reader"))
    assert not policy.check(anonymous, "os_compute_api:servers:show", {"project_id": None})
    assert not policy.check(anonymous, "os_compute_api:os-keypairs:index", {"user_id": None})


def test_target_without_project_denies_project_rules(policy: Policy) -> None:
    assert not policy.check(PERSONAS[1].ctx, "os_compute_api:servers:show", {})
    assert policy.check(PERSONAS[0].ctx, "os_compute_api:servers:show", {})


def test_unregistered_rule_fails_loudly(policy: Policy) -> None:
    with pytest.raises(PolicyNotRegistered):
        policy.check(PERSONAS[0].ctx, "os_compute_api:servers:shwo", TARGET)


def test_authorize_raises_the_api_403(policy: Policy) -> None:
    with pytest.raises(APIError) as caught:
        policy.authorize(PERSONAS[1].ctx, "os_compute_api:os-services:list", {})
    assert caught.value.status == 403
    assert caught.value.message == (
        "Policy doesn't allow os_compute_api:os-services:list to be performed."
    )
    policy.authorize(PERSONAS[0].ctx, "os_compute_api:os-services:list", {})
