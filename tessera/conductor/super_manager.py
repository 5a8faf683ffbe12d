"""The super conductor: API-level orchestration (boot today; cross-cell moves later)."""

from __future__ import annotations

from tessera.conductor.tasks.build import BuildDeps, schedule_and_build
from tessera.context import RequestContext
from tessera.rpc.endpoint import endpoint_target


class SuperConductorManager:
    """RPC endpoint of ``tessera-conductor`` with ``[api_database]`` set."""

    target = endpoint_target()

    def __init__(self, deps: BuildDeps) -> None:
        self._deps = deps

    def init_host(self) -> None:
        """Nothing to prepare."""

    def reset(self) -> None:
        """Re-read cell mappings (SIGHUP)."""
        self._deps.targets.reload()

    def cleanup_host(self) -> None:
        """Nothing to release."""

    def schedule_and_build_instances(self, ctxt: RequestContext, instance_uuids: list[str]) -> None:
        """Schedule the instances of one request and send each to its cell."""
        schedule_and_build(ctxt, self._deps, instance_uuids)
