"""Options of the ``[DEFAULT]`` group.

``transport_url`` is oslo.messaging's own option (registered with the rest of
its ``[DEFAULT]`` options in :mod:`tessera.conf.opts`): a second definition
would clash the moment a transport is created.
"""

from __future__ import annotations

import socket

from oslo_config import cfg

GROUP = "DEFAULT"

OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        "host",
        default=socket.gethostname(),
        sample_default="<hostname>",
        help="Name of this host as recorded in services, compute nodes and host mappings.",
    ),
    cfg.StrOpt(
        "default_availability_zone",
        default="nova",
        help="Availability zone of hosts in no zone-bearing aggregate.",
    ),
    cfg.StrOpt(
        "state_path",
        default="/var/lib/tessera",
        help="Directory where Tessera keeps its state (SQLite files, guest disks).",
    ),
]
