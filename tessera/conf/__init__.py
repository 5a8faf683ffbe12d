"""Configuration: option groups, one module per group, and how a service loads them.

Every service builds its own :class:`oslo_config.cfg.ConfigOpts` with :func:`load`
and passes it on explicitly; there is no module-level configuration object, so
services of several cells can share one process.
"""

from __future__ import annotations

from collections.abc import Sequence

from oslo_config import cfg

from tessera.conf import opts


def new_conf() -> cfg.ConfigOpts:
    """Return a fresh ConfigOpts with every Tessera option group registered."""
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    return conf


def load(
    args: Sequence[str] = (),
    *,
    config_files: Sequence[str] | None = None,
    prog: str | None = None,
) -> cfg.ConfigOpts:
    """Build and parse a service's configuration.

    ``config_files`` overrides oslo.config's default search (``~/.tessera``,
    ``/etc/tessera``); tests and the launchers always pass their files.
    """
    conf = new_conf()
    defaults = list(config_files) if config_files is not None else None
    conf(list(args), project="tessera", prog=prog, default_config_files=defaults)
    return conf
