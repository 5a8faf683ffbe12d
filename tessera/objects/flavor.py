"""Flavors (API database): the sizes servers are built with, their extra specs and access.

A public flavor is usable by every project. A private one only by the
projects on its access list (``flavor_projects``); everyone else, except
administrators, must not learn that it exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tessera.db.api import models
from tessera.db.types import table_of
from tessera.objects.errors import NotFound

TABLE = table_of(models.Flavor)
EXTRA_SPECS = table_of(models.FlavorExtraSpec)
PROJECTS = table_of(models.FlavorProject)

SORT_KEYS = (
    "created_at",
    "description",
    "disabled",
    "ephemeral_gb",
    "flavorid",
    "id",
    "is_public",
    "memory_mb",
    "name",
    "root_gb",
    "rxtx_factor",
    "swap",
    "updated_at",
    "vcpu_weight",
    "vcpus",
)
"""Columns a listing may be sorted by (the reference API's list, kept for its clients)."""


class FlavorNotFound(NotFound):
    def __init__(self, flavor_id: str) -> None:
        super().__init__(f"Flavor {flavor_id} could not be found.")
        self.flavor_id = flavor_id


class FlavorExists(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"Flavor with name {name} already exists.")


class FlavorIdExists(Exception):
    def __init__(self, flavorid: str) -> None:
        super().__init__(f"Flavor with ID {flavorid} already exists.")


class MarkerNotFound(NotFound):
    def __init__(self, marker: str) -> None:
        super().__init__(f"marker [{marker}] not found")


class ExtraSpecNotFound(NotFound):
    def __init__(self, flavorid: str, key: str) -> None:
        super().__init__(f"Flavor {flavorid} has no extra specs with key {key}.")


class ExtraSpecConflict(Exception):
    def __init__(self, flavorid: str) -> None:
        super().__init__(
            f"Flavor {flavorid} extra specs changed concurrently; try the request again."
        )


class FlavorAccessExists(Exception):
    def __init__(self, flavorid: str, project_id: str) -> None:
        super().__init__(
            f"Flavor access already exists for flavor {flavorid} and project "
            f"{project_id} combination."
        )


class FlavorAccessNotFound(NotFound):
    def __init__(self, flavorid: str, project_id: str) -> None:
        super().__init__(f"Flavor access not found for {flavorid} / {project_id} combination.")


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
        """Placement resources one server of this flavor consumes (placement takes no
        zero amounts, so a class the flavor does not use is left out)."""
        amounts = {
            "VCPU": self.vcpus,
            "MEMORY_MB": self.memory_mb,
            "DISK_GB": self.root_gb + self.ephemeral_gb,
        }
        return {rc: amount for rc, amount in amounts.items() if amount > 0}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (stored with instances and request specs)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Flavor:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**values)


@dataclass(frozen=True)
class Viewer:
    """Who looks at flavors: decides which private flavors exist for them."""

    project_id: str | None
    """The caller's project (its private flavors are visible to it)."""
    is_admin: bool
    """Administrators see every flavor."""


@dataclass(frozen=True)
class ListFilters:
    """What a flavor listing selects, beyond what the viewer may see."""

    is_public: bool | None = True
    """True: public flavors and the viewer's project's private ones; False: private
    flavors only; None: no condition."""
    disabled: bool | None = None
    """Only flavors with this ``disabled`` flag (None: both)."""
    min_memory_mb: int | None = None
    """At least this much RAM."""
    min_root_gb: int | None = None
    """At least this much root disk."""


@dataclass(frozen=True)
class Page:
    """Order and window of a flavor listing."""

    sort_key: str = "flavorid"
    """One of :data:`SORT_KEYS`; the internal id breaks ties."""
    descending: bool = False
    """Sort direction (NULLs come first ascending, last descending)."""
    limit: int | None = None
    """At most this many flavors (None: all)."""
    marker: str | None = None
    """Start after the flavor with this ``flavorid``."""


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


def _records(conn: sa.Connection, rows: list[Any]) -> list[Flavor]:
    specs = _extra_specs(conn, [r.id for r in rows])
    return [_record(r, specs[r.id]) for r in rows]


# --------------------------------------------------------------------------- reading


def _own_private(project_id: str | None) -> sa.ColumnElement[bool]:
    """Flavors on ``project_id``'s access list (none when the project is unknown)."""
    if project_id is None:
        return sa.false()
    granted = sa.select(PROJECTS.c.flavor_id).where(PROJECTS.c.project_id == project_id)
    return TABLE.c.id.in_(granted)


def _visible(stmt: sa.Select[Any], viewer: Viewer) -> sa.Select[Any]:
    """``stmt`` narrowed to what ``viewer`` may see."""
    if viewer.is_admin:
        return stmt
    return stmt.where(sa.or_(TABLE.c.is_public == sa.true(), _own_private(viewer.project_id)))


def get_all(conn: sa.Connection) -> list[Flavor]:
    """Every flavor with its extra specs (two queries), by internal id."""
    rows = conn.execute(sa.select(TABLE).order_by(TABLE.c.id)).all()
    return _records(conn, list(rows))


def get_by_flavorid(conn: sa.Connection, flavorid: str) -> Flavor:
    """The flavor users call ``flavorid``, or FlavorNotFound (whoever may see it)."""
    row = conn.execute(sa.select(TABLE).where(TABLE.c.flavorid == flavorid)).first()
    if row is None:
        raise FlavorNotFound(flavorid)
    return _record(row, _extra_specs(conn, [row.id])[row.id])


def get_visible(conn: sa.Connection, flavorid: str, viewer: Viewer) -> Flavor:
    """Flavor ``flavorid`` if ``viewer`` may see it, else FlavorNotFound."""
    stmt = _visible(sa.select(TABLE).where(TABLE.c.flavorid == flavorid), viewer)
    row = conn.execute(stmt).first()
    if row is None:
        raise FlavorNotFound(flavorid)
    return _record(row, _extra_specs(conn, [row.id])[row.id])


def accessible(conn: sa.Connection, flavor: Flavor, project_id: str | None) -> bool:
    """Whether ``project_id`` may build servers of ``flavor`` (public, or on its access list)."""
    if flavor.is_public:
        return True
    if project_id is None:
        return False
    stmt = sa.select(PROJECTS.c.id).where(
        PROJECTS.c.flavor_id == flavor.id, PROJECTS.c.project_id == project_id
    )
    return conn.execute(stmt).first() is not None


def _filtered(stmt: sa.Select[Any], filters: ListFilters, viewer: Viewer) -> sa.Select[Any]:
    if filters.is_public:
        mine = _own_private(viewer.project_id)
        stmt = stmt.where(sa.or_(TABLE.c.is_public == sa.true(), mine))
    elif filters.is_public is not None:
        stmt = stmt.where(TABLE.c.is_public == sa.false())
    if filters.disabled is not None:
        stmt = stmt.where(TABLE.c.disabled == filters.disabled)
    stmt = _at_least(stmt, TABLE.c.memory_mb, filters.min_memory_mb)
    return _at_least(stmt, TABLE.c.root_gb, filters.min_root_gb)


def _at_least(stmt: sa.Select[Any], col: sa.Column[Any], minimum: int | None) -> sa.Select[Any]:
    # The columns are 32-bit: a wider bound would overflow the query parameter.
    if minimum is None or minimum <= -(2**31):
        return stmt
    return stmt.where(col >= minimum if minimum < 2**31 else sa.false())


def _ordered(stmt: sa.Select[Any], page: Page) -> sa.Select[Any]:
    col = TABLE.c[page.sort_key]
    keys: list[Any] = []
    if col.nullable:
        # NULL sorts lowest on every backend (their own defaults differ).
        is_set = sa.case((col.is_(None), 0), else_=1)
        keys.append(is_set.desc() if page.descending else is_set.asc())
    keys += [col, TABLE.c.id] if not page.descending else [col.desc(), TABLE.c.id.desc()]
    return stmt.order_by(*keys)


def _after(marker: Any, page: Page) -> sa.ColumnElement[bool]:
    """Rows that come after the ``marker`` row in ``page``'s order."""
    col = TABLE.c[page.sort_key]
    later_id = TABLE.c.id < marker.id if page.descending else TABLE.c.id > marker.id
    if getattr(marker, page.sort_key) is None:
        tie = sa.and_(col.is_(None), later_id)
        return tie if page.descending else sa.or_(col.is_not(None), tie)
    # Compare with the stored value, not its Python round trip (MySQL FLOAT is single precision).
    seen = TABLE.alias("seen")
    value = sa.select(seen.c[page.sort_key]).where(seen.c.id == marker.id).scalar_subquery()
    beyond = col < value if page.descending else col > value
    after = sa.or_(beyond, sa.and_(col == value, later_id))
    return sa.or_(after, col.is_(None)) if page.descending and col.nullable else after


def list_visible(
    conn: sa.Connection, viewer: Viewer, filters: ListFilters, page: Page
) -> list[Flavor]:
    """One page of the flavors ``viewer`` may see that match ``filters``.

    MarkerNotFound when ``page.marker`` names no flavor the viewer may see.
    """
    if page.sort_key not in SORT_KEYS:
        raise ValueError(f"cannot sort flavors by {page.sort_key}")
    stmt = _filtered(_visible(sa.select(TABLE), viewer), filters, viewer)
    if page.marker is not None:
        found = _visible(sa.select(TABLE).where(TABLE.c.flavorid == page.marker), viewer)
        marker = conn.execute(found).first()
        if marker is None:
            raise MarkerNotFound(page.marker)
        stmt = stmt.where(_after(marker, page))
    stmt = _ordered(stmt, page)
    if page.limit is not None:
        stmt = stmt.limit(page.limit)
    return _records(conn, list(conn.execute(stmt).all()))


# --------------------------------------------------------------------------- writing


def create(
    conn: sa.Connection,
    flavorid: str,
    name: str,
    vcpus: int,
    memory_mb: int,
    root_gb: int,
    **extra: Any,
) -> Flavor:
    """Insert a flavor and return it (FlavorIdExists or FlavorExists when taken)."""
    values = {
        "flavorid": flavorid,
        "name": name,
        "vcpus": vcpus,
        "memory_mb": memory_mb,
        "root_gb": root_gb,
        **extra,
    }
    try:
        # A savepoint, so the unique-key violation leaves the caller's transaction usable.
        with conn.begin_nested():
            conn.execute(sa.insert(TABLE).values(**values))
    except IntegrityError:
        taken = sa.select(TABLE.c.id).where(TABLE.c.flavorid == flavorid)
        if conn.execute(taken).first() is not None:
            raise FlavorIdExists(flavorid) from None
        raise FlavorExists(name) from None
    return get_by_flavorid(conn, flavorid)


def ensure_defaults(conn: sa.Connection) -> None:
    """Create the default m1.* flavors that do not exist yet."""
    existing = set(conn.execute(sa.select(TABLE.c.flavorid)).scalars())
    for flavorid, name, vcpus, memory_mb, root_gb in DEFAULT_FLAVORS:
        if flavorid not in existing:
            create(conn, flavorid, name, vcpus, memory_mb, root_gb)


def delete(conn: sa.Connection, flavorid: str) -> None:
    """Remove flavor ``flavorid`` with its extra specs and access list (FlavorNotFound)."""
    found = conn.execute(sa.select(TABLE.c.id).where(TABLE.c.flavorid == flavorid)).first()
    if found is None:
        raise FlavorNotFound(flavorid)
    conn.execute(sa.delete(EXTRA_SPECS).where(EXTRA_SPECS.c.flavor_id == found.id))
    conn.execute(sa.delete(PROJECTS).where(PROJECTS.c.flavor_id == found.id))
    if conn.execute(sa.delete(TABLE).where(TABLE.c.id == found.id)).rowcount == 0:
        raise FlavorNotFound(flavorid)  # deleted by someone else meanwhile


def set_description(conn: sa.Connection, flavorid: str, description: str | None) -> Flavor:
    """Replace the description of ``flavorid`` and return the flavor (FlavorNotFound)."""
    stmt = sa.update(TABLE).where(TABLE.c.flavorid == flavorid).values(description=description)
    if conn.execute(stmt).rowcount == 0:
        raise FlavorNotFound(flavorid)
    return get_by_flavorid(conn, flavorid)


def set_extra_specs(conn: sa.Connection, flavor: Flavor, specs: Mapping[str, str]) -> None:
    """Add or replace ``specs`` of ``flavor`` (others are kept); ExtraSpecConflict if a
    concurrent writer added one of the keys first."""
    for key, value in specs.items():
        stmt = (
            sa.update(EXTRA_SPECS)
            .where(EXTRA_SPECS.c.flavor_id == flavor.id, EXTRA_SPECS.c.key == key)
            .values(value=value)
        )
        if conn.execute(stmt).rowcount > 0:
            continue
        try:
            with conn.begin_nested():
                conn.execute(
                    sa.insert(EXTRA_SPECS).values(flavor_id=flavor.id, key=key, value=value)
                )
        except IntegrityError:
            raise ExtraSpecConflict(flavor.flavorid) from None


def delete_extra_spec(conn: sa.Connection, flavor: Flavor, key: str) -> None:
    """Remove extra spec ``key`` of ``flavor`` (ExtraSpecNotFound if it has none)."""
    stmt = sa.delete(EXTRA_SPECS).where(
        EXTRA_SPECS.c.flavor_id == flavor.id, EXTRA_SPECS.c.key == key
    )
    if conn.execute(stmt).rowcount == 0:
        raise ExtraSpecNotFound(flavor.flavorid, key)


def projects(conn: sa.Connection, flavor: Flavor) -> list[str]:
    """The projects on ``flavor``'s access list, in the order they were added."""
    stmt = (
        sa.select(PROJECTS.c.project_id)
        .where(PROJECTS.c.flavor_id == flavor.id)
        .order_by(PROJECTS.c.id)
    )
    return list(conn.execute(stmt).scalars())


def add_project(conn: sa.Connection, flavor: Flavor, project_id: str) -> None:
    """Put ``project_id`` on ``flavor``'s access list (FlavorAccessExists if it is there)."""
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(PROJECTS).values(flavor_id=flavor.id, project_id=project_id))
    except IntegrityError:
        gone = conn.execute(sa.select(TABLE.c.id).where(TABLE.c.id == flavor.id)).first() is None
        if gone:  # the flavor was deleted meanwhile: the foreign key refused the row
            raise FlavorNotFound(flavor.flavorid) from None
        raise FlavorAccessExists(flavor.flavorid, project_id) from None


def remove_project(conn: sa.Connection, flavor: Flavor, project_id: str) -> None:
    """Take ``project_id`` off ``flavor``'s access list (FlavorAccessNotFound if absent)."""
    stmt = sa.delete(PROJECTS).where(
        PROJECTS.c.flavor_id == flavor.id, PROJECTS.c.project_id == project_id
    )
    if conn.execute(stmt).rowcount == 0:
        raise FlavorAccessNotFound(flavor.flavorid, project_id)
