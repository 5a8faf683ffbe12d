"""The registry of option groups; also the ``oslo.config.opts`` entry point."""

from __future__ import annotations

import copy
import warnings
from typing import Any

from oslo_config import cfg

from tessera.conf import (
    api,
    compute,
    conductor,
    database,
    default,
    image,
    network,
    placement,
    scheduler,
    service,
)

_GROUPS: list[tuple[str, list[cfg.Opt]]] = [
    (default.GROUP, default.OPTS + service.OPTS),
    (database.DATABASE, database.DATABASE_OPTS),
    (database.API_DATABASE, database.API_DATABASE_OPTS),
    (api.GROUP, api.OPTS),
    (compute.COMPUTE, compute.COMPUTE_OPTS),
    (compute.FAKE_DRIVER, compute.FAKE_DRIVER_OPTS),
    (placement.GROUP, placement.OPTS),
    (network.GROUP, network.OPTS),
    (image.GROUP, image.OPTS),
    (conductor.GROUP, conductor.OPTS),
    (scheduler.SCHEDULER, scheduler.SCHEDULER_OPTS),
    (scheduler.FILTER_SCHEDULER, scheduler.FILTER_SCHEDULER_OPTS),
]


def _messaging_module() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from oslo_messaging import transport
    return transport


def _messaging_defaults() -> list[cfg.Opt]:
    """oslo.messaging's own ``[DEFAULT]`` option objects (``transport_url``, timeouts).

    The very objects it registers itself when a transport is created: any
    other copy would clash with them.
    """
    opts: list[cfg.Opt] = list(_messaging_module()._transport_opts)
    return opts


def register_all(conf: cfg.ConfigOpts) -> None:
    """Register every Tessera option group on ``conf``."""
    for group, group_opts in _GROUPS:
        conf.register_opts(group_opts, group=None if group == "DEFAULT" else group)
    conf.register_opts(_messaging_defaults())
    # oslo.messaging defaults to ``rabbit://``; a Tessera service without a
    # transport URL must say so, not silently talk to a local broker.
    conf.set_default("transport_url", None)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Options by group, for ``oslo-config-generator --namespace tessera``."""
    listed = [(group, list(group_opts)) for group, group_opts in _GROUPS]
    messaging = copy.deepcopy(_messaging_defaults())
    cfg.set_defaults(messaging, transport_url=None)
    listed[0][1].extend(messaging)
    return listed
