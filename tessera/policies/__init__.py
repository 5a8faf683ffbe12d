"""Policy defaults in code, one module per resource, and the API's enforcer.

:func:`list_rules` is the ``oslo.policy.policies`` entry point (namespace
``tessera``), so ``oslopolicy-sample-generator --namespace tessera`` writes a
sample file of every rule; :mod:`tessera.policies.enforcer` holds the
enforcer the API uses.
"""

from __future__ import annotations

import itertools

from oslo_policy import policy

from tessera.policies import (
    aggregates,
    availability_zones,
    base,
    consoles,
    extensions,
    external_events,
    flavors,
    hosts,
    hypervisors,
    instance_actions,
    keypairs,
    limits,
    migrations,
    proxies,
    quotas,
    server_actions,
    server_groups,
    server_metadata,
    server_resources,
    server_tags,
    servers,
    services,
    usage,
)

_MODULES = (
    base,
    servers,
    server_actions,
    server_metadata,
    server_tags,
    server_resources,
    server_groups,
    instance_actions,
    migrations,
    flavors,
    keypairs,
    services,
    hypervisors,
    hosts,
    aggregates,
    availability_zones,
    quotas,
    limits,
    usage,
    external_events,
    consoles,
    extensions,
    proxies,
)


def list_rules() -> list[policy.RuleDefault]:
    """Every rule default of the compute API, base rules first."""
    return list(itertools.chain.from_iterable(module.list_rules() for module in _MODULES))
