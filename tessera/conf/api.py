"""Options of the ``[api]`` group: the REST API's listener and auth."""

from __future__ import annotations

from oslo_config import cfg

GROUP = "api"

OPTS: list[cfg.Opt] = [
    cfg.HostAddressOpt("listen", default="127.0.0.1", help="Address the REST API binds to."),
    cfg.PortOpt("port", default=8774, help="Port of the REST API."),
    cfg.IntOpt("workers", default=8, min=1, help="Request threads of the REST API server."),
    cfg.StrOpt(
        "auth_strategy",
        default="noauth2",
        choices=["noauth2", "keystone"],
        help="noauth2: tokens are 'user:project' (user 'admin' is admin); "
        "keystone: validate tokens with keystonemiddleware.",
    ),
    cfg.IntOpt("max_limit", default=1000, min=1, help="Largest page size of list calls."),
]
