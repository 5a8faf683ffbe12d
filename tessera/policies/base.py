"""Rules every resource builds on, the check strings they share, and rule builders.

Resource modules name their defaults with the constants below rather than
spelling out role checks, so an operator who redefines, say,
``project_reader_or_admin`` in a policy file changes every read-only API at
once. The names and check strings match the reference compute API, so policy
files written for it keep their meaning here.
"""

from __future__ import annotations

from collections.abc import Sequence

from oslo_policy import policy

ADMIN = "rule:context_is_admin"
"""Cloud administrators only."""
PROJECT_MANAGER_OR_ADMIN = "rule:project_manager_or_admin"
"""Managers of the target's project, or administrators."""
PROJECT_MEMBER_OR_ADMIN = "rule:project_member_or_admin"
"""Members of the target's project, or administrators."""
PROJECT_READER_OR_ADMIN = "rule:project_reader_or_admin"
"""Readers of the target's project, or administrators."""
SERVICE_OR_ADMIN = "rule:service_or_admin"
"""Other OpenStack services (``service`` role), or administrators."""
ADMIN_OR_OWNER_USER = "(rule:context_is_admin) or user_id:%(user_id)s"
"""The user who owns the target (keypairs belong to users, not projects), or administrators."""
ANYONE = "@"
"""Every authenticated caller."""
NOBODY = "!"
"""No caller at all, administrators included: the feature is off until a policy file enables it."""

Operation = tuple[str, str]
"""``(HTTP method, path)`` of one API call a rule guards."""

SERVER_ACTION_PATH = "/servers/{server_id}/action"


def documented(
    name: str, check_str: str, description: str, operations: Sequence[Operation]
) -> policy.DocumentedRuleDefault:
    """A rule guarding API calls, with the calls listed for the sample policy file."""
    return policy.DocumentedRuleDefault(
        name=name,
        check_str=check_str,
        description=description,
        operations=[{"method": method, "path": path} for method, path in operations],
    )


def server_action(
    name: str, check_str: str, action: str, description: str
) -> policy.DocumentedRuleDefault:
    """A rule guarding one ``POST /servers/{server_id}/action`` body key (``action``)."""
    return documented(name, check_str, description, [action_call(action)])


def action_call(action: str) -> Operation:
    """The operation of server action ``action``, as the sample file shows it."""
    return ("POST", f"{SERVER_ACTION_PATH} ({action})")


# Base rules guard no call of their own (resource rules refer to them), so they
# are plain RuleDefaults: DocumentedRuleDefault insists on a non-empty call list.
rules: list[policy.RuleDefault] = [
    policy.RuleDefault(
        "context_is_admin",
        "role:admin",
        description="Who counts as a cloud administrator everywhere an API is admin-only.",
    ),
    policy.RuleDefault(
        "admin_api",
        "is_admin:True or role:admin",
        description="Administrators, including internal requests elevated to admin. "
        "Kept for policy files that refer to rule:admin_api.",
    ),
    policy.RuleDefault(
        "project_manager_api",
        "role:manager and project_id:%(project_id)s",
        description="A manager of the project that owns the target.",
    ),
    policy.RuleDefault(
        "project_member_api",
        "role:member and project_id:%(project_id)s",
        description="A member of the project that owns the target.",
    ),
    policy.RuleDefault(
        "project_reader_api",
        "role:reader and project_id:%(project_id)s",
        description="A reader of the project that owns the target.",
    ),
    policy.RuleDefault(
        "service_api",
        "role:service",
        description="Another service of the cloud (for example the network service) "
        "calling on its own behalf.",
    ),
    policy.RuleDefault(
        "project_manager_or_admin",
        "rule:project_manager_api or rule:context_is_admin",
        description="Project managers, or administrators.",
    ),
    policy.RuleDefault(
        "project_member_or_admin",
        "rule:project_member_api or rule:context_is_admin",
        description="Project members, or administrators.",
    ),
    policy.RuleDefault(
        "project_reader_or_admin",
        "rule:project_reader_api or rule:context_is_admin",
        description="Project readers, or administrators.",
    ),
    policy.RuleDefault(
        "service_or_admin",
        "rule:service_api or rule:context_is_admin",
        description="Other services, or administrators.",
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The base rules."""
    return list(rules)
