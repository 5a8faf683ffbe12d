"""Builds stuck on a compute host that died: the cell conductor ends them in ERROR.

Why: a compute killed while spawning never reports back, so its servers would
stay BUILD for ever (the reference leaves them so; its build timeout runs on
the very compute that is gone). The cell conductor owns the cell database and
sees every compute's heartbeat, so it can tell. A server counts as stuck when
it is still ``building`` on a host, has not changed for ``timeout`` seconds,
and the host's compute service is down and has not been heard from for as
long. The server goes to ERROR with a fault (and its ``create`` action
fails), and its placement allocation is given back; it keeps its host, so a
later delete goes through that compute if it ever returns, or is done locally.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.db.types import utcnow
from tessera.objects import instance as instances
from tessera.objects import instance_action, instance_fault
from tessera.objects import service as services
from tessera.placement.client import PlacementClient

LOG = logging.getLogger(__name__)
EVENT = "compute_build_and_run_instance"


class HostGone(Exception):
    """The fault recorded on a server whose build was ended."""


@dataclass(frozen=True)
class StuckBuildSweeper:
    """Finds and ends builds stuck on down hosts of one cell."""

    engine: Engine
    """The cell database."""
    placement: PlacementClient
    """To give back the allocations of ended builds."""
    host: str
    """This conductor's host (recorded on faults and events)."""
    timeout: float
    """Seconds without change (and without a heartbeat of the host) before a build ends."""
    service_down_time: float
    """Seconds after which a compute service counts as down."""

    def check(self) -> None:
        """The periodic task."""
        self.run()

    def run(self, now: datetime.datetime | None = None) -> list[str]:
        """End every stuck build; return their uuids."""
        now = now or utcnow()
        cutoff = now - datetime.timedelta(seconds=self.timeout)
        ended = []
        for uuid, host in self._candidates(cutoff):
            if self._end(uuid, host, cutoff):
                ended.append(uuid)
        for uuid in ended:
            self.placement.delete_allocations(uuid)
        return ended

    def _candidates(self, cutoff: datetime.datetime) -> list[tuple[str, str]]:
        table = instances.TABLE
        changed = sa.func.coalesce(table.c.updated_at, table.c.created_at)
        stmt = sa.select(table.c.uuid, table.c.host).where(
            table.c.deleted == 0,
            table.c.vm_state == "building",
            table.c.host.is_not(None),
            changed < cutoff,
        )
        with self.engine.connect() as conn:
            rows = [(str(r.uuid), str(r.host)) for r in conn.execute(stmt)]
            down = {h for h in {h for _, h in rows} if self._gone(conn, h, cutoff)}
        return [(uuid, host) for uuid, host in rows if host in down]

    def _gone(self, conn: sa.Connection, host: str, cutoff: datetime.datetime) -> bool:
        record = services.get_by_host_and_binary(conn, host, services.COMPUTE_BINARY)
        if record is None or record.forced_down:
            return True  # deleted, or declared down by the operator: nobody will finish it
        if record.is_up(self.service_down_time):
            return False
        return record.last_seen_up is None or record.last_seen_up < cutoff

    def _end(self, uuid: str, host: str, cutoff: datetime.datetime) -> bool:
        """ERROR + fault + failed event, in one transaction; False if it moved on meanwhile."""
        table = instances.TABLE
        error = HostGone(
            f"Build of instance {uuid} aborted: compute host {host} went down during the build."
        )
        with self.engine.begin() as conn:
            changed = conn.execute(
                sa.update(table)
                .where(table.c.uuid == uuid, table.c.deleted == 0)
                .where(table.c.vm_state == "building", table.c.host == host)
                .where(sa.func.coalesce(table.c.updated_at, table.c.created_at) < cutoff)
                .values(vm_state="error", task_state=None, updated_at=utcnow())
            ).rowcount
            if not changed:
                return False
            instance_fault.record(conn, uuid, error, self.host, code=500, message=str(error))
            request_id = instance_action.latest_request_id(conn, uuid, "create")
            if request_id is not None:
                trace = instance_action.format_error(error)
                instance_action.record_event(conn, uuid, request_id, EVENT, host, trace)
        LOG.warning("%s", error)
        return True
