"""``tessera-scheduler --config-file F``."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.cmd import runner
from tessera.rpc.registry import TransportRegistry
from tessera.scheduler.service import build_scheduler_service


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scheduler until SIGTERM."""
    conf = runner.load(argv, "tessera-scheduler")
    placement, release = runner.placement_client(conf)
    transports, dbs = TransportRegistry(conf), runner.databases(conf)
    service = build_scheduler_service(conf, transports, dbs, placement)
    return runner.serve([service], cleanups=[transports.cleanup, release])
