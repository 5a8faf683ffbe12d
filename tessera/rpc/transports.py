"""Configuration helpers for oslo.messaging transports built on a private ``ConfigOpts``.

Tessera never uses the global ``cfg.CONF`` (several services of different cells share
one process), but oslo.messaging 18.x registers its tracing and metrics options only
on that global object, so a private ``ConfigOpts`` fails on the first ``call`` with
``NoSuchOptError``. ``register_messaging_opts`` closes that gap.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from oslo_config import cfg

# (module, attribute holding the option list); the attribute name is also the group.
_GLOBAL_ONLY_OPTS: tuple[tuple[str, str], ...] = (
    ("oslo_messaging._tracing.client", "oslo_messaging_tracing"),
    ("oslo_messaging._metrics.client", "oslo_messaging_metrics"),
)


def _global_only_opts() -> Iterable[tuple[str, list[cfg.Opt]]]:
    """The (group, options) pairs this oslo.messaging registers only on ``cfg.CONF``."""
    for module_name, attribute in _GLOBAL_ONLY_OPTS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            # Other releases moved or dropped these modules; nothing to register then.
            continue
        if hasattr(module, attribute):
            yield attribute, list(getattr(module, attribute))


def register_messaging_opts(conf: cfg.ConfigOpts) -> None:
    """Register on ``conf`` the oslo.messaging options it otherwise only puts on ``cfg.CONF``.

    Also registers ``[oslo_messaging_notifications]`` up front, so services can
    read where notifications go before any Notifier exists. Idempotent:
    registering the same option objects twice is a no-op in oslo.config.
    """
    for group, opts in _global_only_opts():
        conf.register_opts(opts, group=group)
    from oslo_messaging import opts as messaging_opts

    for group, opts in messaging_opts.list_opts():
        if group == "oslo_messaging_notifications":
            conf.register_opts(list(opts), group=group)


def messaging_conf(args: list[str] | None = None) -> cfg.ConfigOpts:
    """A new private ``ConfigOpts`` ready for oslo.messaging, parsed from ``args`` only.

    No default configuration files are read, so a stray ``/etc/tessera`` never leaks in.
    """
    conf = cfg.ConfigOpts()
    register_messaging_opts(conf)
    conf(args or [], project="tessera", default_config_files=[])
    return conf
