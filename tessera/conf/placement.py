"""Options of the ``[placement]`` group: where the placement service is."""

from __future__ import annotations

from oslo_config import cfg

GROUP = "placement"

OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        "endpoint",
        help="URL of a placement service (e.g. http://127.0.0.1:8778). "
        "Unset: run placement in-process against [placement] connection.",
    ),
    cfg.StrOpt(
        "connection",
        secret=True,
        help="Database of the in-process placement service (embedded mode).",
    ),
]
