"""What a server listing asks for: filters, sort order, page; and why it may be refused.

These records are what the REST layer builds from a query string and what the
lister (:mod:`tessera.compute.multi_cell_list`) interprets, once in SQL for the
cells and once in Python for build requests (:mod:`tessera.compute.list_filters`).
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

# Columns a listing may be sorted by: the public sort keys of the compute API.
SORT_KEYS: frozenset[str] = frozenset(
    {
        "access_ip_v4",
        "access_ip_v6",
        "auto_disk_config",
        "availability_zone",
        "config_drive",
        "created_at",
        "display_description",
        "display_name",
        "host",
        "hostname",
        "image_ref",
        "instance_type_id",
        "kernel_id",
        "key_name",
        "launch_index",
        "launched_at",
        "locked_by",
        "node",
        "power_state",
        "progress",
        "project_id",
        "ramdisk_id",
        "root_device_name",
        "task_state",
        "terminated_at",
        "updated_at",
        "user_id",
        "uuid",
        "vm_state",
    }
)
# Keys clients may send (the API accepts them) that never change the order.
IGNORED_SORT_KEYS: frozenset[str] = frozenset(
    {
        "architecture",
        "cell_name",
        "cleaned",
        "default_ephemeral_device",
        "default_swap_device",
        "deleted",
        "deleted_at",
        "disable_terminate",
        "ephemeral_gb",
        "ephemeral_key_uuid",
        "id",
        "key_data",
        "launched_on",
        "locked",
        "memory_mb",
        "os_type",
        "reservation_id",
        "root_gb",
        "shutdown_terminate",
        "user_data",
        "vcpus",
        "vm_mode",
    }
)
# Sorting by these would reveal where other projects' servers run.
ADMIN_SORT_KEYS: frozenset[str] = frozenset({"host", "node"})
# Equality filters for administrators (the API drops them for others, per policy).
ADMIN_FILTERS: frozenset[str] = frozenset({"host", "node", "user_id", "availability_zone"})
# Equality filters anyone may apply, by ``instances`` column.
PUBLIC_FILTERS: frozenset[str] = frozenset({"image_ref", "reservation_id"})


class ListError(Exception):
    """A listing the lister refuses; ``str()`` is the message for the client."""


class InvalidListQuery(ListError):
    """The query is malformed (HTTP 400)."""


class ListForbidden(ListError):
    """The caller may not list this way (HTTP 403)."""


class MarkerNotFound(InvalidListQuery):
    """The marker is no server the caller can see (HTTP 400)."""

    def __init__(self, marker: str) -> None:
        super().__init__(f"marker [{marker}] not found")
        self.marker = marker


class MarkerCellDown(ListError):
    """The marker's cell did not answer, so the page cannot be placed (HTTP 500)."""

    def __init__(self, marker: str, cell_uuid: str) -> None:
        super().__init__(
            f"Cell {cell_uuid} is not responding or returned an exception, hence the "
            f"position of marker [{marker}] is not available."
        )
        self.marker = marker
        self.cell_uuid = cell_uuid


@dataclass(frozen=True)
class SortKey:
    """One column of the listing order."""

    column: str
    """An ``instances`` column from :data:`SORT_KEYS`."""
    descending: bool = False
    """Largest (newest) first; NULL sorts as the smallest value either way."""


DEFAULT_SORT: tuple[SortKey, ...] = (SortKey("created_at", descending=True),)


def total_order(keys: Sequence[SortKey]) -> tuple[SortKey, ...]:
    """``keys`` (or the default) with ``uuid`` ascending appended: a total, stable order."""
    order = tuple(keys) or DEFAULT_SORT
    if any(k.column == "uuid" for k in order):
        return order
    return (*order, SortKey("uuid"))


@dataclass(frozen=True)
class StateMatch:
    """Servers in one vm_state whose task_state is (or is not) in a set."""

    vm_state: str
    """The vm_state to match exactly."""
    task_states: frozenset[str] = frozenset()
    """The task states tested."""
    task_in: bool = False
    """True: task_state must be in ``task_states``; False: NULL or not in it."""

    def matches(self, vm_state: str | None, task_state: str | None) -> bool:
        """Whether a server in these states is selected."""
        return vm_state == self.vm_state and (task_state in self.task_states) == self.task_in


@dataclass(frozen=True)
class TagTest:
    """The four tag filters of a listing; an empty tuple tests nothing."""

    all_of: tuple[str, ...] = ()
    """``tags``: the server carries every one of them."""
    any_of: tuple[str, ...] = ()
    """``tags-any``: the server carries at least one of them."""
    not_all_of: tuple[str, ...] = ()
    """``not-tags``: the server does not carry all of them (some may be there)."""
    not_any_of: tuple[str, ...] = ()
    """``not-tags-any``: the server carries none of them."""

    def matches(self, tags: Collection[str]) -> bool:
        """Whether a server carrying ``tags`` passes."""
        have = set(tags)
        return (
            all(t in have for t in self.all_of)
            and (not self.any_of or any(t in have for t in self.any_of))
            and (not self.not_all_of or not all(t in have for t in self.not_all_of))
            and not any(t in have for t in self.not_any_of)
        )


@dataclass(frozen=True)
class ServerFilters:
    """Which servers a listing selects (every field narrows; None means no test)."""

    equal: tuple[tuple[str, str | int], ...] = ()
    """``(column, value)`` pairs the row must equal (columns of the two filter sets)."""
    name: str | None = None
    """Regular expression searched in ``display_name`` (Python ``re.search``)."""
    states: tuple[StateMatch, ...] | None = None
    """Status filter as vm/task state tests; ``()`` matches nothing."""
    flavor_id: str | None = None
    """Public flavor id; an unknown one matches nothing."""
    changes_since: datetime.datetime | None = None
    """Naive UTC: only servers changed at or after it (deleted ones included)."""
    changes_before: datetime.datetime | None = None
    """Naive UTC: only servers changed at or before it (deleted ones included)."""
    deleted: bool | None = None
    """True: only deleted; False: only live; None: live unless a changes filter is set."""
    tags: TagTest | None = None
    """Tag tests (2.26): which tags a server must or must not carry."""

    def read_deleted(self) -> bool | None:
        """True: only deleted rows; False: only live rows; None: both."""
        if self.deleted is not None:
            return self.deleted
        changes = self.changes_since is not None or self.changes_before is not None
        return None if changes else False


@dataclass(frozen=True)
class ListQuery:
    """One page request of a server listing."""

    filters: ServerFilters = field(default_factory=ServerFilters)
    """Which servers to select."""
    sort: tuple[SortKey, ...] = DEFAULT_SORT
    """Requested order (``uuid`` is appended for stability)."""
    limit: int | None = None
    """Page size; None means ``[api] max_limit`` (larger values are clamped)."""
    marker: str | None = None
    """Uuid of the last server of the previous page."""
    all_tenants: bool = False
    """Admin only: every project's servers (or ``project_id``'s)."""
    project_id: str | None = None
    """With ``all_tenants``: only this project's servers."""
    partial_down_cells: bool = False
    """Add minimal records for servers of cells that did not answer (2.69)."""
