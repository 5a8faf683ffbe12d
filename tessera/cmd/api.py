"""``tessera-api --config-file F``: the compute REST API on ``[api] listen:port``."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence

from tessera.api.wiring import build_api_server, build_server_api, image_service
from tessera.cmd import runner
from tessera.rpc.registry import TransportRegistry

LOG = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT."""
    conf = runner.load(argv, "tessera-api")
    placement, release = runner.placement_client(conf)
    transports, dbs = TransportRegistry(conf), runner.databases(conf)
    images = image_service(conf)
    servers = build_server_api(conf, transports, dbs, placement, images)
    server = build_api_server(conf, servers, images)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: servers.reload())
    server.start()
    LOG.info("tessera-api listening on %s:%s", conf.api.listen, server.port)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.stop()
        transports.cleanup()
        dbs.dispose()
        images.close()
        release()
    return 0
