"""The compute manager over a real cell transport, real placement and real guest disks."""

from __future__ import annotations

import time
from dataclasses import replace

from tessera.compute.manager import EVENT_BUILD, EVENT_TERMINATE
from tessera.context import admin_context
from tessera.virt.driver import RUNNING, GuestSpec, SpawnError
from tessera.virt.fake import GIB, FakeDriver, read_header
from tests.compute.conftest import TINY, Cell, Compute, other_host_selection
from tests.rpc.helpers import wait_until


class PartialSpawnDriver(FakeDriver):
    """Writes the guest's disk, then fails: a spawn that leaves a partial guest behind."""

    def spawn(self, guest: GuestSpec) -> None:
        super().spawn(guest)
        raise SpawnError(f"Hypervisor lost guest {guest.uuid} after creating its disk")


def _partial_compute(cell: Cell, host: str) -> Compute:
    return cell.start_compute(host, driver=PartialSpawnDriver(cell.fake_settings(host)))


def _guest_gone(compute: Compute, uuid: str) -> bool:
    return not compute.driver.disk_path(uuid).parent.exists() and uuid not in (
        compute.driver.list_guests()
    )


def test_successful_build_leaves_an_active_guest_with_its_claim(cell: Cell) -> None:
    compute = cell.start_compute("host1")
    build = cell.new_build(compute)

    cell.cast_build(build)

    assert cell.conductor.t_wait(lambda s: any(e.uuid == build.uuid for e in s.events))
    values = cell.conductor.t_values(build.uuid)
    assert (values["vm_state"], values["task_state"]) == ("active", None)
    assert values["power_state"] == RUNNING
    assert (values["host"], values["node"]) == ("host1", "host1")
    assert values["launched_at"]
    disk = compute.driver.disk_path(build.uuid)
    header = read_header(disk)
    assert (header["format"], header["uuid"], header["root_gb"]) == (
        "tessera-fake-disk",
        build.uuid,
        TINY.root_gb,
    )
    stat = disk.stat()
    assert stat.st_size == TINY.root_gb * GIB
    assert stat.st_blocks * 512 < 1024 * 1024, "the disk must be sparse"
    assert cell.allocations(build.uuid) == {compute.node_uuid: TINY.resources()}
    [event] = cell.conductor.state.events
    assert (event.event, event.result, event.host) == (EVENT_BUILD, "Success", "host1")


def test_spawn_failure_reschedules_to_the_remaining_alternates(cell: Cell) -> None:
    compute = _partial_compute(cell, "host1")
    build = cell.new_build(compute)
    alternates = [
        other_host_selection(build.selection, "host2"),
        other_host_selection(build.selection, "host3"),
    ]

    cell.cast_build(build, alternates)

    assert cell.conductor.t_wait(lambda s: bool(s.reschedules))
    [reschedule] = cell.conductor.state.reschedules
    assert reschedule.alternates == [a.to_dict() for a in alternates]
    assert reschedule.request_spec == build.request_spec
    sent = reschedule.instance["values"]
    assert (sent["uuid"], sent["task_state"], sent["host"], sent["node"]) == (
        build.uuid,
        "scheduling",
        None,
        None,
    )
    assert cell.conductor.t_values(build.uuid)["vm_state"] == "building"
    assert cell.allocations(build.uuid) == {}
    assert _guest_gone(compute, build.uuid)
    [event] = cell.conductor.state.events
    assert (event.event, event.result) == (EVENT_BUILD, "Error")
    assert "Hypervisor lost guest" in (event.error or "")
    assert cell.conductor.state.faults == []


def test_spawn_failure_without_alternates_puts_the_instance_in_error(cell: Cell) -> None:
    compute = cell.start_compute("host1", fail_spawn=True)
    build = cell.new_build(compute)

    cell.cast_build(build)

    assert cell.conductor.t_wait(lambda s: bool(s.faults))
    values = cell.conductor.t_values(build.uuid)
    assert (values["vm_state"], values["task_state"]) == ("error", None)
    [fault] = cell.conductor.state.faults
    assert fault.code == 500
    assert fault.message == (
        "Exceeded maximum number of retries. Exhausted all hosts available for retrying "
        f"build failures for instance {build.uuid}."
    )
    assert "Simulated spawn failure on host host1" in (fault.details or "")
    assert cell.conductor.state.reschedules == []
    assert cell.allocations(build.uuid) == {}
    assert _guest_gone(compute, build.uuid)


def test_a_late_failure_keeps_the_claim_another_host_holds_by_now(cell: Cell) -> None:
    failing = cell.start_compute("host1", fail_spawn=True)
    other = cell.start_compute("host2")
    # The instance was claimed on host2 meanwhile; a stale message still reaches host1.
    build = cell.new_build(other)
    stale = cell.new_build(failing)
    cell.placement.delete_allocations(stale.uuid)
    build = replace(build, selection=stale.selection)

    cell.cast_build(build)

    assert cell.conductor.t_wait(lambda s: bool(s.faults))
    assert cell.allocations(build.uuid) == {other.node_uuid: TINY.resources()}


def test_an_instance_deleted_before_its_build_starts_leaves_nothing(cell: Cell) -> None:
    compute = cell.start_compute("host1")
    build = cell.new_build(compute)
    cell.conductor.t_set(build.uuid, deleted=1, vm_state="deleted", task_state=None)

    cell.cast_build(build)

    assert cell.conductor.t_wait(lambda s: "instance_update->None" in s.calls)
    assert _wait_no_allocations(cell, build.uuid)
    assert _guest_gone(compute, build.uuid)
    assert cell.conductor.state.events == []


def test_a_redelivered_build_message_leaves_the_active_instance_alone(cell: Cell) -> None:
    compute = cell.start_compute("host1")
    build = cell.new_build(compute)
    cell.cast_build(build)
    assert cell.wait_vm_state(build.uuid, "active")

    cell.cast_build(build)

    assert cell.conductor.t_wait(lambda s: "instance_update->None" in s.calls)
    assert cell.conductor.t_wait(lambda s: s.calls[-1] == "instance_get")
    # Nothing signals "decided to do nothing"; give a wrong release time to show up.
    time.sleep(0.3)
    assert compute.placement.writes()[-1][0] != "DELETE"
    assert cell.allocations(build.uuid) == {compute.node_uuid: TINY.resources()}
    assert compute.driver.list_guests() == [build.uuid]
    assert cell.conductor.t_values(build.uuid)["vm_state"] == "active"


def test_terminate_during_a_slow_spawn_waits_and_leaves_nothing(cell: Cell) -> None:
    compute = cell.start_compute("host1", spawn_seconds=0.5)
    build = cell.new_build(compute)
    cell.cast_build(build)
    assert cell.conductor.t_wait(
        lambda s: s.instances[build.uuid]["values"]["task_state"] == "spawning"
    )

    # What the API does: mark the delete, then ask the host to terminate.
    cell.conductor.t_set(build.uuid, task_state="deleting")
    cell.compute_api.terminate_instance(admin_context(), "host1", build.uuid)

    assert cell.conductor.t_wait(lambda s: bool(s.instances[build.uuid]["values"]["deleted"]))
    calls = cell.conductor.state.calls
    # The build's check after spawning came first; the terminate waited for it.
    assert calls.index("instance_update->None") < calls.index("instance_finish_delete")
    assert _guest_gone(compute, build.uuid)
    assert cell.allocations(build.uuid) == {}
    assert cell.conductor.t_values(build.uuid)["vm_state"] == "deleted"
    assert [e.event for e in cell.conductor.state.events] == [EVENT_TERMINATE]


def test_terminate_of_an_active_instance_removes_guest_and_claim(cell: Cell) -> None:
    compute = cell.start_compute("host1")
    build = cell.new_build(compute)
    cell.cast_build(build)
    assert cell.wait_vm_state(build.uuid, "active")

    cell.compute_api.terminate_instance(admin_context(), "host1", build.uuid)

    assert cell.conductor.t_wait(lambda s: len(s.events) == 2)
    assert _guest_gone(compute, build.uuid)
    assert cell.allocations(build.uuid) == {}
    assert cell.conductor.t_values(build.uuid)["deleted"]
    assert [(e.event, e.result) for e in cell.conductor.state.events] == [
        (EVENT_BUILD, "Success"),
        (EVENT_TERMINATE, "Success"),
    ]


def _wait_no_allocations(cell: Cell, uuid: str) -> bool:
    return wait_until(lambda: cell.allocations(uuid) == {}, timeout=10)
