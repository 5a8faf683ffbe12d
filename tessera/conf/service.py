"""Service-wide ``[DEFAULT]`` options: heartbeats, timeouts, per-cell deadlines."""

from __future__ import annotations

from oslo_config import cfg

GROUP = "DEFAULT"

OPTS: list[cfg.Opt] = [
    cfg.IntOpt(
        "report_interval",
        default=10,
        min=1,
        help="Seconds between a service's heartbeats in its cell database.",
    ),
    cfg.IntOpt(
        "service_down_time",
        default=60,
        min=1,
        help="A service not heard from for this many seconds is down.",
    ),
    cfg.IntOpt(
        "long_rpc_timeout",
        default=1800,
        min=1,
        help="Timeout in seconds of long-running synchronous RPC calls.",
    ),
    cfg.IntOpt(
        "rpc_call_timeout",
        default=60,
        min=1,
        help="Timeout in seconds of ordinary synchronous RPC calls.",
    ),
    cfg.FloatOpt(
        "cell_timeout",
        default=10.0,
        min=0.1,
        help="Deadline in seconds for one cell to answer a scatter-gather "
        "query; a cell slower than this is reported as not responding.",
    ),
]
