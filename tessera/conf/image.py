"""Options of the ``[image]`` group: where a compute uploads snapshots."""

from __future__ import annotations

from oslo_config import cfg

GROUP = "image"

OPTS: list[cfg.Opt] = [
    cfg.ListOpt(
        "api_servers",
        default=[],
        help="Root URLs of the image API (Glance v2 subset), e.g. "
        "http://127.0.0.1:8774/image. Computes upload server snapshots there; "
        "several are tried in order when one cannot be reached. Empty: the compute "
        "has no image service and every snapshot it is asked for fails.",
    ),
    cfg.FloatOpt(
        "timeout",
        default=600.0,
        min=1.0,
        help="Seconds to wait for the image API to answer one request (an upload "
        "may move gigabytes, so this is generous).",
    ),
]
