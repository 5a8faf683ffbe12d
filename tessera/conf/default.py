"""Options of the ``[DEFAULT]`` group."""

from __future__ import annotations

import socket

from oslo_config import cfg

GROUP = "DEFAULT"

OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        "transport_url",
        secret=True,
        help="Message queue URL of this service's cell (or of the API level). "
        "Also the base against which template transport URLs in cell mappings "
        "are expanded.",
    ),
    cfg.StrOpt(
        "host",
        default=socket.gethostname(),
        sample_default="<hostname>",
        help="Name of this host as recorded in services, compute nodes and host mappings.",
    ),
    cfg.StrOpt(
        "state_path",
        default="/var/lib/tessera",
        help="Directory where Tessera keeps its state (SQLite files, guest disks).",
    ),
]
