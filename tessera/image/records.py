"""Image records: what the store keeps, and what callers ask of it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
HASH_ALGO = "sha512"


class Status(StrEnum):
    """Lifecycle of an image's data (the subset of Glance's states we use)."""

    QUEUED = "queued"
    SAVING = "saving"
    ACTIVE = "active"


class Visibility(StrEnum):
    """Who may see an image besides its owner and admins."""

    PUBLIC = "public"
    COMMUNITY = "community"
    SHARED = "shared"
    PRIVATE = "private"


def utcnow() -> datetime:
    """The current time as the store keeps it: naive UTC, whole seconds as Glance shows."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class DataDigest:
    """What one pass over an image's bytes found."""

    size: int
    """Number of bytes."""
    checksum: str
    """MD5 hex digest: Glance's legacy ``checksum``, also sent as ``Content-MD5``."""
    hash_value: str
    """SHA-512 hex digest: ``os_hash_value`` for ``os_hash_algo`` ``sha512``."""


@dataclass(frozen=True)
class Image:
    """One image's metadata as the store keeps it."""

    id: str
    """UUID of the image."""
    name: str | None
    """Display name; not unique."""
    status: Status
    """Where the image's data is in its lifecycle."""
    visibility: Visibility
    """Who besides the owner may see it."""
    owner: str | None
    """Project that owns it (``None`` for images the control plane seeded)."""
    protected: bool
    """Protected images cannot be deleted."""
    hidden: bool
    """``os_hidden``: left out of listings unless asked for."""
    min_disk: int
    """Smallest root disk (GiB) a server booted from it needs."""
    min_ram: int
    """Smallest RAM (MiB) a server booted from it needs."""
    disk_format: str | None
    """Format of the disk image (``qcow2``, ``raw``, ...); required before upload."""
    container_format: str | None
    """Container around the disk image (``bare``, ``ovf``, ...); required before upload."""
    created_at: datetime
    """When the record was created (naive UTC)."""
    updated_at: datetime
    """When the record last changed (naive UTC)."""
    digest: DataDigest | None = None
    """Size and hashes of the uploaded data; ``None`` until an upload completes."""
    tags: tuple[str, ...] = ()
    """Free-form labels, without duplicates, in the order they were added."""
    properties: Mapping[str, str] = field(default_factory=dict)
    """Custom string properties (``os_distro``, ``hw_*``, ...)."""


@dataclass(frozen=True)
class ImageSpec:
    """What a caller asks for when creating an image."""

    name: str | None = None
    """Display name."""
    disk_format: str | None = None
    """Disk format, or ``None`` to set before upload."""
    container_format: str | None = None
    """Container format, or ``None`` to set before upload."""
    visibility: Visibility = Visibility.SHARED
    """Glance's default for new images is ``shared`` (visible to the owner only here)."""
    min_disk: int = 0
    """Smallest root disk (GiB)."""
    min_ram: int = 0
    """Smallest RAM (MiB)."""
    protected: bool = False
    """Whether deletion is refused."""
    hidden: bool = False
    """Whether listings leave it out by default."""
    tags: tuple[str, ...] = ()
    """Initial tags."""
    properties: Mapping[str, str] = field(default_factory=dict)
    """Initial custom properties."""
    id: str | None = None
    """A caller-chosen UUID, or ``None`` for a new one."""
    owner: str | None = None
    """Owning project if not the caller's (admins only)."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: decides which images exist for them."""

    project_id: str | None
    """The caller's project."""
    is_admin: bool
    """Admins see and may change every image."""


@dataclass(frozen=True)
class SortKey:
    """One ordering term of a listing."""

    key: str
    """Image attribute to order by."""
    descending: bool
    """Largest (or newest) first."""


@dataclass(frozen=True)
class ListQuery:
    """Which images a listing wants, in which order, and from where."""

    matches: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Core attribute -> accepted values (``name=x`` or ``id=in:a,b``)."""
    properties: Mapping[str, str] = field(default_factory=dict)
    """Custom property -> required value."""
    tags: tuple[str, ...] = ()
    """Tags an image must all carry."""
    visibility: str | None = None
    """A visibility, ``all``, or ``None`` for the default listing."""
    size_min: int | None = None
    """Smallest data size in bytes."""
    size_max: int | None = None
    """Largest data size in bytes."""
    protected: bool | None = None
    """Only protected (or only unprotected) images."""
    hidden: bool = False
    """List hidden images instead of visible ones (``os_hidden=true``)."""
    sort: tuple[SortKey, ...] = (SortKey("created_at", True),)
    """Ordering; the image id is always the final tie-breaker."""
    limit: int = 25
    """Page size."""
    marker: str | None = None
    """Id of the last image of the previous page."""


@dataclass(frozen=True)
class Download:
    """An image and, if it has data, the bytes to send."""

    image: Image
    """The image being read."""
    chunks: DataStream | None
    """Its verified bytes, or ``None`` when no data was uploaded yet."""


class DataStream(Protocol):
    """Image bytes that a WSGI server iterates and then closes (see ``blobs.py``)."""

    def __iter__(self) -> Iterator[bytes]: ...

    def close(self) -> None:
        """Release the open file."""
