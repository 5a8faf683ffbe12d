"""Options of the ``[network]`` group: the built-in network service's database."""

from __future__ import annotations

from oslo_config import cfg

GROUP = "network"

OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        "connection",
        secret=True,
        help="Database of the built-in network service (ports and addresses). "
        "API-level services and cell conductors use it; computes never do.",
    ),
    cfg.StrOpt(
        "default_cidr",
        default="10.0.0.0/24",
        help="Subnet of the default network servers get with networks=auto.",
    ),
]
