"""Rules of ``/os-hosts`` (deprecated since microversion 2.43; still routed before it)."""

from __future__ import annotations

from oslo_policy import policy

from tessera.policies.base import ADMIN, documented

_P = "os_compute_api:os-hosts:"
_ONE = "/os-hosts/{host_name}"

LIST = f"{_P}list"
SHOW = f"{_P}show"
UPDATE = f"{_P}update"
REBOOT = f"{_P}reboot"
SHUTDOWN = f"{_P}shutdown"
START = f"{_P}start"

rules: list[policy.RuleDefault] = [
    documented(LIST, ADMIN, "List hosts.", [("GET", "/os-hosts")]),
    documented(SHOW, ADMIN, "Show a host's resource usage.", [("GET", _ONE)]),
    documented(UPDATE, ADMIN, "Enable, disable or set maintenance on a host.", [("PUT", _ONE)]),
    documented(REBOOT, ADMIN, "Reboot a host.", [("GET", f"{_ONE}/reboot")]),
    documented(SHUTDOWN, ADMIN, "Shut a host down.", [("GET", f"{_ONE}/shutdown")]),
    documented(START, ADMIN, "Start a host.", [("GET", f"{_ONE}/startup")]),
]


def list_rules() -> list[policy.RuleDefault]:
    """The rules of hosts."""
    return list(rules)
