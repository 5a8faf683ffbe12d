"""Flavors (API database): the sizes servers are built with."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from tessera.db.api import models
from tessera.db.types import table_of
from tessera.objects.errors import NotFound

TABLE = table_of(models.Flavor)
EXTRA_SPECS = table_of(models.FlavorExtraSpec)


class FlavorNotFound(NotFound):
    def __init__(self, flavor_id: str) -> None:
        super().__init__(f"Flavor {flavor_id} could not be found.")
        self.flavor_id = flavor_id


@dataclass(frozen=True)
class Flavor:
    """A server size: vCPUs, RAM and disks, plus free-form extra specs."""

    id: int
    """Primary key (internal)."""
    flavorid: str
    """The id users see and pass as ``flavorRef``."""
    name: str
    """Unique display name."""
    vcpus: int
    """Virtual CPUs."""
    memory_mb: int
    """RAM in MiB."""
    root_gb: int
    """Root disk in GiB."""
    ephemeral_gb: int = 0
    """Ephemeral disk in GiB."""
    swap: int = 0
    """Swap in MiB."""
    rxtx_factor: float = 1.0
    """Relative network bandwidth (informational)."""
    is_public: bool = True
    """Visible to every project."""
    disabled: bool = False
    """Hidden from new servers."""
    description: str | None = None
    """Free text shown to users."""
    extra_specs: dict[str, str] = field(default_factory=dict)
    """Scheduler and driver hints (``hw:...``, ``aggregate_instance_extra_specs:...``)."""

    def resources(self) -> dict[str, int]:
        """Placement resources one server of this flavor consumes."""
        return {
            "VCPU": self.vcpus,
            "MEMORY_MB": self.memory_mb,
            "DISK_GB": self.root_gb + self.ephemeral_gb,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (stored with instances and request specs)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Flavor:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**values)


DEFAULT_FLAVORS = [
    # flavorid, name, vcpus, memory_mb, root_gb
    ("1", "m1.tiny", 1, 512, 1),
    ("2", "m1.small", 1, 2048, 20),
    ("3", "m1.medium", 2, 4096, 40),
    ("4", "m1.large", 4, 8192, 80),
    ("5", "m1.xlarge", 8, 16384, 160),
]


def _record(row: Any, extra_specs: dict[str, str]) -> Flavor:
    return Flavor(
        row.id,
        row.flavorid,
        row.name,
        row.vcpus,
        row.memory_mb,
        row.root_gb or 0,
        row.ephemeral_gb or 0,
        row.swap or 0,
        row.rxtx_factor or 1.0,
        bool(row.is_public),
        bool(row.disabled),
        row.description,
        extra_specs,
    )


def _extra_specs(conn: sa.Connection, ids: list[int]) -> dict[int, dict[str, str]]:
    specs: dict[int, dict[str, str]] = {i: {} for i in ids}
    if ids:
        stmt = sa.select(EXTRA_SPECS).where(EXTRA_SPECS.c.flavor_id.in_(ids))
        for row in conn.execute(stmt):
            specs[row.flavor_id][row.key] = row.value
    return specs


def get_all(conn: sa.Connection) -> list[Flavor]:
    """Every flavor with its extra specs (two queries), by internal id."""
    rows = conn.execute(sa.select(TABLE).order_by(TABLE.c.id)).all()
    specs = _extra_specs(conn, [r.id for r in rows])
    return [_record(r, specs[r.id]) for r in rows]


def get_by_flavorid(conn: sa.Connection, flavorid: str) -> Flavor:
    """The flavor users call ``flavorid``, or FlavorNotFound."""
    row = conn.execute(sa.select(TABLE).where(TABLE.c.flavorid == flavorid)).first()
    if row is None:
        raise FlavorNotFound(flavorid)
    return _record(row, _extra_specs(conn, [row.id])[row.id])


def create(
    conn: sa.Connection,
    flavorid: str,
    name: str,
    vcpus: int,
    memory_mb: int,
    root_gb: int,
    **extra: Any,
) -> Flavor:
    """Insert a flavor and return it."""
    conn.execute(
        sa.insert(TABLE).values(
            flavorid=flavorid, name=name, vcpus=vcpus, memory_mb=memory_mb, root_gb=root_gb, **extra
        )
    )
    return get_by_flavorid(conn, flavorid)


def ensure_defaults(conn: sa.Connection) -> None:
    """Create the default m1.* flavors that do not exist yet."""
    existing = set(conn.execute(sa.select(TABLE.c.flavorid)).scalars())
    for flavorid, name, vcpus, memory_mb, root_gb in DEFAULT_FLAVORS:
        if flavorid not in existing:
            create(conn, flavorid, name, vcpus, memory_mb, root_gb)
