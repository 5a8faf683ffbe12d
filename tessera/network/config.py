"""The network service a process's configuration asks for (``[network] connection``)."""

from __future__ import annotations

from oslo_config import cfg

from tessera.db.engines import Databases
from tessera.network.service import NetworkService


def from_conf(conf: cfg.ConfigOpts, databases: Databases) -> NetworkService | None:
    """The network service, or None when ``[network] connection`` is unset (no ports)."""
    url: str | None = conf.network.connection
    if not url:
        return None
    return NetworkService(
        databases.engine(url),
        default_cidr=conf.network.default_cidr,
        reader=databases.reader(url),
    )
