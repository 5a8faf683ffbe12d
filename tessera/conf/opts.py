"""The registry of option groups; also the ``oslo.config.opts`` entry point."""

from __future__ import annotations

from oslo_config import cfg

from tessera.conf import api, compute, database, default, placement, scheduler, service

_GROUPS: list[tuple[str, list[cfg.Opt]]] = [
    (default.GROUP, default.OPTS + service.OPTS),
    (database.DATABASE, database.DATABASE_OPTS),
    (database.API_DATABASE, database.API_DATABASE_OPTS),
    (api.GROUP, api.OPTS),
    (compute.COMPUTE, compute.COMPUTE_OPTS),
    (compute.FAKE_DRIVER, compute.FAKE_DRIVER_OPTS),
    (placement.GROUP, placement.OPTS),
    (scheduler.SCHEDULER, scheduler.SCHEDULER_OPTS),
    (scheduler.FILTER_SCHEDULER, scheduler.FILTER_SCHEDULER_OPTS),
]


def register_all(conf: cfg.ConfigOpts) -> None:
    """Register every Tessera option group on ``conf``."""
    for group, group_opts in _GROUPS:
        conf.register_opts(group_opts, group=None if group == "DEFAULT" else group)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Options by group, for ``oslo-config-generator --namespace tessera``."""
    return [(group, list(group_opts)) for group, group_opts in _GROUPS]
