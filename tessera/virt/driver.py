"""The interface between a compute manager and the hypervisor it drives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Protocol

# Power states as the compute API reports them (OS-EXT-STS:power_state).
NOSTATE = 0
RUNNING = 1
SHUTDOWN = 4


class SpawnError(Exception):
    """The guest could not be started on this host (the build may be rescheduled)."""


@dataclass(frozen=True)
class HostResources:
    """What a host has, for its compute node record and placement inventory."""

    vcpus: int
    """Physical CPUs offered to guests."""
    memory_mb: int
    """RAM offered to guests, MiB."""
    disk_gb: int
    """Local disk offered to guests, GiB."""
    hypervisor_type: str
    """Shown by os-hypervisors."""
    hypervisor_hostname: str
    """The node's name (one node per host for this driver)."""


@dataclass(frozen=True)
class GuestSpec:
    """What the driver needs to build one guest."""

    uuid: str
    """The instance's uuid."""
    name: str
    """The server's display name."""
    vcpus: int
    """Virtual CPUs."""
    memory_mb: int
    """RAM, MiB."""
    root_gb: int
    """Root disk size, GiB."""
    image_ref: str | None
    """Image the root disk is built from."""


@dataclass(frozen=True)
class DiskSnapshot:
    """A guest's root disk captured for upload: an open file the caller closes."""

    data: BinaryIO
    """The disk's bytes, positioned at the start."""
    size: int
    """How many bytes ``data`` holds."""
    disk_format: str
    """Image ``disk_format`` of the bytes (``raw``, ``qcow2``, ...)."""
    container_format: str = "bare"
    """Image ``container_format`` around them."""

    def close(self) -> None:
        """Release the file."""
        self.data.close()


class VirtDriver(Protocol):
    """Operations a compute manager performs on its hypervisor."""

    def host_resources(self) -> HostResources:
        """Capacity of the host."""

    def spawn(self, guest: GuestSpec) -> None:
        """Create the guest's disks and start it; raise SpawnError on failure."""

    def destroy(self, uuid: str) -> None:
        """Stop the guest and delete its disks (a missing guest is not an error)."""

    def power_state(self, uuid: str) -> int:
        """RUNNING, SHUTDOWN or NOSTATE for an unknown guest."""

    def list_guests(self) -> list[str]:
        """Uuids of the guests on this host."""

    def power_off(self, uuid: str) -> None:
        """Stop the guest, keeping its disks (a stopped guest is not an error)."""

    def power_on(self, uuid: str) -> None:
        """Start a stopped guest (a running guest is not an error)."""

    def reboot(self, uuid: str, hard: bool) -> None:
        """Restart the guest: cleanly, or (``hard``) by resetting it."""

    def snapshot(self, uuid: str) -> DiskSnapshot:
        """Capture the guest's root disk as it is now (LookupError for an unknown guest)."""
