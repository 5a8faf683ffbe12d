"""Rules of ``/os-hypervisors`` (compute nodes, in every cell)."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, documented

_P = "os_compute_api:os-hypervisors:"
_ALL = "/os-hypervisors"

LIST = f"{_P}list"
LIST_DETAIL = f"{_P}list-detail"
STATISTICS = f"{_P}statistics"
SHOW = f"{_P}show"
UPTIME = f"{_P}uptime"
SEARCH = f"{_P}search"
SERVERS = f"{_P}servers"

rules: list[policy.RuleDefault] = [
    documented(LIST, ADMIN, "List hypervisors.", [("GET", _ALL)]),
    documented(LIST_DETAIL, ADMIN, "List hypervisors in detail.", [("GET", f"{_ALL}/details")]),
    documented(
        STATISTICS,
        ADMIN,
        "Show the hypervisors' summed resources.",
        [("GET", f"{_ALL}/statistics")],
    ),
    documented(SHOW, ADMIN, "Show a hypervisor.", [("GET", f"{_ALL}/{{hypervisor_id}}")]),
    documented(
        UPTIME, ADMIN, "Show a hypervisor's uptime.", [("GET", f"{_ALL}/{{hypervisor_id}}/uptime")]
    ),
    documented(
        SEARCH,
        ADMIN,
        "Find hypervisors by host name.",
        [("GET", f"{_ALL}/{{hypervisor_hostname_pattern}}/search")],
    ),
    documented(
        SERVERS,
        ADMIN,
        "List the servers on hypervisors.",
        [("GET", f"{_ALL}/{{hypervisor_hostname_pattern}}/servers")],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of hypervisors."""
    return list(rules)
