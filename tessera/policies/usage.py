"""Rules of usage reports: ``/os-simple-tenant-usage`` and ``/os-instance_usage_audit_log``."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, PROJECT_READER_OR_ADMIN, documented

TENANT_USAGE_SHOW = "os_compute_api:os-simple-tenant-usage:show"
TENANT_USAGE_LIST = "os_compute_api:os-simple-tenant-usage:list"
AUDIT_LOG_LIST = "os_compute_api:os-instance-usage-audit-log:list"
AUDIT_LOG_SHOW = "os_compute_api:os-instance-usage-audit-log:show"

rules: list[policy.RuleDefault] = [
    documented(
        TENANT_USAGE_SHOW,
        PROJECT_READER_OR_ADMIN,
        "Show a project's usage over a period.",
        [("GET", "/os-simple-tenant-usage/{tenant_id}")],
    ),
    documented(
        TENANT_USAGE_LIST,
        ADMIN,
        "Show every project's usage over a period.",
        [("GET", "/os-simple-tenant-usage")],
    ),
    documented(
        AUDIT_LOG_LIST,
        ADMIN,
        "List the usage audit task's runs.",
        [("GET", "/os-instance_usage_audit_log")],
    ),
    documented(
        AUDIT_LOG_SHOW,
        ADMIN,
        "Show the usage audit runs before a time.",
        [("GET", "/os-instance_usage_audit_log/{before_timestamp}")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of usage reports."""
    return list(rules)
