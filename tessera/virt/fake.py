"""A simulated hypervisor whose guests have real (sparse) root-disk files.

Every guest gets ``<instances_path>/<uuid>/disk``: a sparse file of the
flavor's root size whose first block is a JSON header (uuid, name, flavor,
image), so a disk's checksum identifies its guest and later moves can be
checked byte for byte. Failure injection comes from ``[fake_driver]``.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tessera.virt.driver import (
    NOSTATE,
    RUNNING,
    SHUTDOWN,
    DiskSnapshot,
    GuestSpec,
    HostResources,
    SpawnError,
)

HEADER_SIZE = 4096
GIB = 1024**3


@dataclass(frozen=True)
class FakeSettings:
    """Capacity and failure injection of one simulated host."""

    host: str
    """The host (and node) name."""
    instances_path: Path
    """Directory of the guests' disks."""
    vcpus: int = 16
    """vCPUs offered."""
    memory_mb: int = 65536
    """RAM offered, MiB."""
    disk_gb: int = 1000
    """Disk offered, GiB."""
    spawn_seconds: float = 0.0
    """Simulated spawn time."""
    fail_spawn: bool = False
    """Every spawn fails."""


class FakeDriver:
    """Guests are directories with a disk file; power state is kept in memory."""

    def __init__(self, settings: FakeSettings) -> None:
        self._settings = settings
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()
        settings.instances_path.mkdir(parents=True, exist_ok=True)
        for uuid in self.list_guests():
            self._running[uuid] = RUNNING

    def host_resources(self) -> HostResources:
        s = self._settings
        return HostResources(s.vcpus, s.memory_mb, s.disk_gb, "fake", s.host)

    def disk_path(self, uuid: str) -> Path:
        """Where the guest's root disk lives."""
        return self._settings.instances_path / uuid / "disk"

    def spawn(self, guest: GuestSpec) -> None:
        if self._settings.spawn_seconds:
            time.sleep(self._settings.spawn_seconds)
        if self._settings.fail_spawn:
            raise SpawnError(f"Simulated spawn failure on host {self._settings.host}")
        self._write_disk(guest)
        with self._lock:
            self._running[guest.uuid] = RUNNING

    def _write_disk(self, guest: GuestSpec) -> None:
        path = self.disk_path(guest.uuid)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = json.dumps({"format": "tessera-fake-disk", **asdict(guest)}).encode()
        with path.open("wb") as disk:
            disk.write(header.ljust(HEADER_SIZE, b"\0"))
            # Sparse: the size is real, the blocks are not allocated.
            disk.truncate(max(guest.root_gb * GIB, HEADER_SIZE))
            disk.flush()
            os.fsync(disk.fileno())

    def destroy(self, uuid: str) -> None:
        shutil.rmtree(self._settings.instances_path / uuid, ignore_errors=True)
        with self._lock:
            self._running.pop(uuid, None)

    def power_state(self, uuid: str) -> int:
        with self._lock:
            return self._running.get(uuid, NOSTATE)

    def power_off(self, uuid: str) -> None:
        self._set_power(uuid, SHUTDOWN)

    def power_on(self, uuid: str) -> None:
        self._set_power(uuid, RUNNING)

    def reboot(self, uuid: str, hard: bool) -> None:
        # Either kind ends with the guest running; a hard one also starts a stopped guest.
        self._set_power(uuid, RUNNING)

    def _set_power(self, uuid: str, state: int) -> None:
        if not self.disk_path(uuid).exists():
            raise LookupError(f"Guest {uuid} does not exist on host {self._settings.host}")
        with self._lock:
            self._running[uuid] = state

    def snapshot(self, uuid: str) -> DiskSnapshot:
        """The root disk, opened: the open file keeps these very bytes readable even if
        the guest is destroyed while they are uploaded (fake guests never write)."""
        try:
            data = self.disk_path(uuid).open("rb")
        except FileNotFoundError:
            host = self._settings.host
            raise LookupError(f"Guest {uuid} does not exist on host {host}") from None
        return DiskSnapshot(data, os.fstat(data.fileno()).st_size, "raw")

    def list_guests(self) -> list[str]:
        root = self._settings.instances_path
        return sorted(p.name for p in root.iterdir() if (p / "disk").exists())


def read_header(path: Path) -> dict[str, object]:
    """The JSON header of a fake disk (who it belongs to)."""
    with path.open("rb") as disk:
        header: dict[str, object] = json.loads(disk.read(HEADER_SIZE).rstrip(b"\0"))
    return header
