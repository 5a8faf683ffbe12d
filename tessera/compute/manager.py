"""The compute service's endpoint: builds and destroys the guests of one host.

Everything it stores goes through the cell conductor; everything it claims is
in placement. Work on one instance is serialised by a per-instance lock, so a
delete that races a build waits for the build to settle and then cleans up
whatever the build left. A failed build is rescheduled inside the cell: the
alternates travel with the request, so the compute never asks above its cell.
"""

from __future__ import annotations

import datetime
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oslo_concurrency import lockutils

from tessera.compute.resource_tracker import ResourceTracker
from tessera.compute.snapshot import EVENT_SNAPSHOT, Snapshot
from tessera.compute.snapshot import STATES as SNAPSHOT_STATES
from tessera.conductor.rpcapi import CellConductorAPI
from tessera.context import RequestContext, admin_context
from tessera.image.client import ImageClient
from tessera.objects.flavor import Flavor
from tessera.objects.instance import Instance
from tessera.objects.selection import Selection
from tessera.placement.client import PlacementClient
from tessera.rpc.endpoint import endpoint_target
from tessera.virt.driver import RUNNING, GuestSpec, VirtDriver

LOG = logging.getLogger(__name__)

EVENT_BUILD = "compute_build_and_run_instance"
EVENT_TERMINATE = "compute_terminate_instance"
RETRIES_EXHAUSTED = (
    "Exceeded maximum number of retries. Exhausted all hosts available for retrying "
    "build failures for instance {uuid}."
)


@dataclass(frozen=True)
class BuildMessage:
    """One ``build_and_run_instance`` message, decoded."""

    instance: Instance
    """The instance as the conductor created it in the cell."""
    request_spec: dict[str, Any]
    """The scheduling request (passed on unchanged when rescheduling)."""
    selection: Selection
    """This host's selection; its node holds the instance's claim."""
    alternates: tuple[Selection, ...]
    """Hosts of the same cell still to try, in order."""

    @property
    def uuid(self) -> str:
        """The instance's uuid."""
        return str(self.instance.uuid)

    @classmethod
    def from_payload(
        cls,
        instance: dict[str, Any],
        request_spec: dict[str, Any],
        selection: dict[str, Any],
        alternates: list[dict[str, Any]],
    ) -> BuildMessage:
        """Rebuild the records the RPC API sent as dicts."""
        return cls(
            Instance.from_dict(instance),
            request_spec,
            Selection.from_dict(selection),
            tuple(Selection.from_dict(a) for a in alternates),
        )


def guest_spec(instance: Instance, request_spec: dict[str, Any]) -> GuestSpec:
    """What the driver needs to build ``instance`` (its own flavor, else the request's)."""
    flavor = Flavor.from_dict(instance.flavor or request_spec["flavor"])
    return GuestSpec(
        uuid=str(instance.uuid),
        name=str(instance.values.get("display_name") or instance.uuid),
        vcpus=flavor.vcpus,
        memory_mb=flavor.memory_mb,
        root_gb=flavor.root_gb,
        image_ref=instance.values.get("image_ref") or request_spec.get("image_ref"),
    )


def utcnow_iso() -> str:
    """Now, as the naive-UTC ISO string timestamps travel as in RPC payloads."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None).isoformat()


def format_error(error: BaseException) -> str:
    """The error with its traceback, as events and faults store it."""
    return "".join(traceback.format_exception(error))


class ComputeManager:
    """RPC endpoint of ``tessera-compute`` (topic ``compute``, server = host)."""

    target = endpoint_target()

    def __init__(
        self,
        host: str,
        driver: VirtDriver,
        conductor: CellConductorAPI,
        placement: PlacementClient,
        tracker: ResourceTracker,
        images: ImageClient | None = None,
    ) -> None:
        self.host = host
        self._driver = driver
        self._conductor = conductor
        self._placement = placement
        self._tracker = tracker
        self.images = images
        """Where snapshots go; None fails them (the all-in-one sets its in-process one)."""
        # One lock per instance uuid, dropped by the library once nobody holds it.
        self._locks = lockutils.Semaphores()

    # ------------------------------------------------------------------ service hooks

    def init_host(self) -> None:
        """Destroy guests deleted while this host was down (and clear snapshots the
        restart interrupted), then report the node."""
        self._destroy_orphans()
        try:
            self._tracker.update()
        except Exception:
            # Placement or the conductor may be late; the periodic update retries, and
            # until then the scheduler simply does not pick this host.
            LOG.exception("First resource update of %s failed", self.host)

    def _destroy_orphans(self) -> None:
        # The API deletes a server locally while its host is down; its guest and
        # disks are left here until the host comes back.
        ctx = admin_context()
        for uuid in self._driver.list_guests():
            try:
                alive = self._conductor.instance_get(ctx, uuid)
            except Exception:
                LOG.exception("Cannot check guest %s on %s; keeping it", uuid, self.host)
                continue
            if alive is None or alive.host not in (None, self.host):
                LOG.info("Destroying guest %s: its server was deleted (or moved)", uuid)
                self._driver.destroy(uuid)
            elif alive.task_state in SNAPSHOT_STATES:
                # A snapshot cut short by the restart: free the server for new actions
                # (a late message for it finds the state gone and drops its image).
                LOG.info("Clearing the interrupted snapshot of %s", uuid)
                self._conductor.instance_update(ctx, uuid, {"task_state": None}, SNAPSHOT_STATES)

    def reset(self) -> None:
        """Nothing is cached from configuration or the cell (SIGHUP)."""

    def cleanup_host(self) -> None:
        """Guests keep running when the service stops."""

    # ------------------------------------------------------------------ build

    def build_and_run_instance(
        self,
        ctxt: RequestContext,
        instance: dict[str, Any],
        request_spec: dict[str, Any],
        selection: dict[str, Any],
        alternates: list[dict[str, Any]],
    ) -> None:
        """Spawn the instance here; on failure reschedule to an alternate or give up."""
        build = BuildMessage.from_payload(instance, request_spec, selection, alternates)
        with self._locks.get(build.uuid):
            self._build(ctxt, build)

    def _build(self, ctxt: RequestContext, build: BuildMessage) -> None:
        started = self._conductor.instance_update(
            ctxt, build.uuid, {"task_state": "spawning"}, expected_task_state=["scheduling"]
        )
        if started is None:
            self._not_started(ctxt, build)
            return
        try:
            self._driver.spawn(guest_spec(started, build.request_spec))
        except Exception as exc:
            # Any failure here (not only SpawnError) must not leave the build hanging.
            self._build_failed(ctxt, build, exc)
            return
        self._build_succeeded(ctxt, build)

    def _not_started(self, ctxt: RequestContext, build: BuildMessage) -> None:
        """The instance left ``scheduling``: deleted meanwhile, or this message is stale."""
        current = self._conductor.instance_get(ctxt, build.uuid)
        if current is not None and current.task_state != "deleting":
            # A redelivered or stale message for a live instance: its claim is in use.
            LOG.warning("Ignoring build of %s in task state %s", build.uuid, current.task_state)
            return
        LOG.info("Instance %s was deleted before its build started", build.uuid)
        self._release_claim(build.uuid, build.selection.compute_node_uuid)

    def _build_succeeded(self, ctxt: RequestContext, build: BuildMessage) -> None:
        values = {
            "vm_state": "active",
            "task_state": None,
            "power_state": RUNNING,
            "launched_at": utcnow_iso(),
            "host": self.host,
            "node": build.selection.nodename,
        }
        done = self._conductor.instance_update(
            ctxt, build.uuid, values, expected_task_state=["spawning"]
        )
        if done is None:
            LOG.info("Instance %s was deleted while it was spawning", build.uuid)
            self._undo_guest(build)
            return
        self._record_event(ctxt, build.uuid, EVENT_BUILD)
        LOG.info("Instance %s is active on %s", build.uuid, self.host)

    def _build_failed(self, ctxt: RequestContext, build: BuildMessage, error: Exception) -> None:
        LOG.warning("Build of %s failed on %s: %s", build.uuid, self.host, error)
        self._undo_guest(build)
        self._record_event(ctxt, build.uuid, EVENT_BUILD, format_error(error))
        if build.alternates:
            self._reschedule(ctxt, build)
        else:
            self._give_up(ctxt, build, error)

    def _undo_guest(self, build: BuildMessage) -> None:
        """Remove the (possibly partial) guest and this host's claim."""
        self._driver.destroy(build.uuid)
        self._release_claim(build.uuid, build.selection.compute_node_uuid)

    def _reschedule(self, ctxt: RequestContext, build: BuildMessage) -> None:
        values = {"task_state": "scheduling", "host": None, "node": None}
        instance = self._conductor.instance_update(
            ctxt, build.uuid, values, expected_task_state=["spawning"]
        )
        if instance is None:
            LOG.info("Instance %s was deleted; not rescheduling it", build.uuid)
            return
        LOG.info("Rescheduling %s (%d alternates left)", build.uuid, len(build.alternates))
        self._conductor.build_instances(ctxt, instance, build.request_spec, list(build.alternates))

    def _give_up(self, ctxt: RequestContext, build: BuildMessage, error: Exception) -> None:
        values = {"vm_state": "error", "task_state": None}
        instance = self._conductor.instance_update(
            ctxt, build.uuid, values, expected_task_state=["spawning"]
        )
        if instance is None:
            return
        message = RETRIES_EXHAUSTED.format(uuid=build.uuid)
        self._conductor.instance_fault(
            ctxt, build.uuid, 500, message, format_error(error), self.host
        )

    # ------------------------------------------------------------------ terminate

    def terminate_instance(self, ctxt: RequestContext, instance_uuid: str) -> None:
        """Destroy the guest, release its claim and finish the delete in the cell."""
        with self._locks.get(instance_uuid):
            self._driver.destroy(instance_uuid)
            self._placement.delete_allocations(instance_uuid)
            self._conductor.instance_finish_delete(ctxt, instance_uuid)
            self._record_event(ctxt, instance_uuid, EVENT_TERMINATE)
        LOG.info("Instance %s terminated on %s", instance_uuid, self.host)

    # ------------------------------------------------------------------ power

    def stop_instance(self, ctxt: RequestContext, instance_uuid: str) -> None:
        """Power the guest off; the server ends ``stopped``."""
        with self._locks.get(instance_uuid):
            self._power_change(
                ctxt,
                instance_uuid,
                ["powering-off"],
                "stopped",
                "compute_stop_instance",
                lambda: self._driver.power_off(instance_uuid),
            )

    def start_instance(self, ctxt: RequestContext, instance_uuid: str) -> None:
        """Power the guest on; the server ends ``active``."""
        with self._locks.get(instance_uuid):
            self._power_change(
                ctxt,
                instance_uuid,
                ["powering-on"],
                "active",
                "compute_start_instance",
                lambda: self._driver.power_on(instance_uuid),
            )

    def reboot_instance(self, ctxt: RequestContext, instance_uuid: str, hard: bool) -> None:
        """Reboot the guest; the server ends ``active`` (a hard reboot starts a stopped one)."""
        # The API sets the task state matching the kind; the other kind is another request's.
        expected: list[str | None] = ["rebooting_hard"] if hard else ["rebooting"]
        with self._locks.get(instance_uuid):
            self._power_change(
                ctxt,
                instance_uuid,
                expected,
                "active",
                "compute_reboot_instance",
                lambda: self._driver.reboot(instance_uuid, hard),
            )

    def _power_change(
        self,
        ctxt: RequestContext,
        uuid: str,
        expected: list[str | None],
        vm_state: str,
        event: str,
        operation: Callable[[], None],
    ) -> None:
        """Run ``operation`` on the guest, then settle the state the API left in ``expected``."""
        current = self._conductor.instance_get(ctxt, uuid)
        if current is None or current.task_state not in expected:
            # Deleted meanwhile, or a stale/redelivered message: nothing is ours to do.
            LOG.info("Ignoring %s of %s: no longer expected", event, uuid)
            return
        try:
            operation()
        except Exception as exc:
            LOG.warning("%s of %s failed on %s: %s", event, uuid, self.host, exc)
            # The guest is as it was: give the server back its previous state.
            values: dict[str, Any] = {"task_state": None}
            values["power_state"] = self._driver.power_state(uuid)
            self._conductor.instance_update(ctxt, uuid, values, expected_task_state=expected)
            self._record_event(ctxt, uuid, event, format_error(exc))
            return
        values = {
            "vm_state": vm_state,
            "task_state": None,
            "power_state": self._driver.power_state(uuid),
        }
        if self._conductor.instance_update(ctxt, uuid, values, expected_task_state=expected):
            self._record_event(ctxt, uuid, event)
            LOG.info("Instance %s is %s on %s", uuid, vm_state, self.host)
        else:
            LOG.info("Instance %s changed state during %s", uuid, event)

    # ------------------------------------------------------------------ snapshot

    def snapshot_instance(self, ctxt: RequestContext, instance_uuid: str, image_id: str) -> None:
        """Upload the guest's root disk as image ``image_id``; the server goes idle again."""
        with self._locks.get(instance_uuid):
            task = Snapshot(self.host, self._driver, self._conductor, self.images)
            error = task.run(ctxt, instance_uuid, image_id)
            self._record_event(ctxt, instance_uuid, EVENT_SNAPSHOT, error)

    # ------------------------------------------------------------------ helpers

    def _release_claim(self, uuid: str, provider: str) -> None:
        """Drop what the instance holds on ``provider``, and only that.

        A late or duplicated message must not free a claim another host of the
        cell holds by now (after a reschedule), so other providers are kept.
        """
        held = self._placement.get_allocations(uuid)
        if provider not in held.allocations:
            return
        rest = {rp: res for rp, res in held.allocations.items() if rp != provider}
        if not rest:
            self._placement.delete_allocations(uuid)
            return
        # A consumer holding allocations always has an owner in placement.
        owner = (held.project_id or "", held.user_id or "")
        self._placement.claim(uuid, rest, *owner, held.consumer_generation)

    def _record_event(
        self, ctxt: RequestContext, uuid: str, event: str, error: str | None = None
    ) -> None:
        """Record the event; a failure to record must not undo the work it describes."""
        try:
            self._conductor.action_event(ctxt, uuid, event, self.host, error)
        except Exception:
            LOG.exception("Could not record event %s of instance %s", event, uuid)
