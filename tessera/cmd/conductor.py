"""``tessera-conductor --config-file F``: a super conductor if ``[api_database]`` is set."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.cmd import runner
from tessera.conductor.service import build_conductor_service
from tessera.rpc.registry import TransportRegistry


def main(argv: Sequence[str] | None = None) -> int:
    """Run the conductor until SIGTERM."""
    conf = runner.load(argv, "tessera-conductor")
    placement, release = runner.placement_client(conf)
    transports, dbs = TransportRegistry(conf), runner.databases(conf)
    service = build_conductor_service(conf, transports, dbs, placement)
    return runner.serve([service], cleanups=[transports.cleanup, release])
