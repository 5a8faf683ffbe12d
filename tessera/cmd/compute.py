"""``tessera-compute --config-file F``: one compute host with the fake driver."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.cmd import runner
from tessera.compute.service import build_compute_service
from tessera.rpc.registry import TransportRegistry


def main(argv: Sequence[str] | None = None) -> int:
    """Run the compute service until SIGTERM."""
    conf = runner.load(argv, "tessera-compute")
    placement, release = runner.placement_client(conf)
    transports = TransportRegistry(conf)
    service = build_compute_service(conf, transports, placement)
    return runner.serve([service], cleanups=[transports.cleanup, release])
