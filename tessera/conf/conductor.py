"""Options of the ``[conductor]`` group."""

from __future__ import annotations

from oslo_config import cfg

GROUP = "conductor"

OPTS: list[cfg.Opt] = [
    cfg.IntOpt(
        "down_host_build_timeout",
        default=600,
        min=0,
        help="Seconds after which a server still building on a compute host whose "
        "service is down (and has not been heard from for as long) is set to ERROR "
        "by its cell conductor, with a fault, and its placement allocation given back. "
        "0 disables. A compute that is up handles its own builds.",
    ),
    cfg.IntOpt(
        "stuck_build_check_interval",
        default=60,
        min=1,
        help="Seconds between the cell conductor's checks for builds stuck on a down host.",
    ),
]
