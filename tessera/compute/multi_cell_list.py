"""One page of servers across cells, in one global order, without waiting on a down cell.

Order of a page: minimal records for down cells' servers (2.69, when asked),
then build requests (servers not in a cell yet), then the cells' servers
merged by the sort keys. A page reads little more than itself:

* a project's listing asks only the cells holding that project's servers
  (one indexed query on ``instance_mappings``);
* each cell is asked concurrently for keyset pages after the marker's position
  (never an OFFSET), at most ``limit`` rows, filtered in its own SQL
  (:mod:`tessera.compute.list_cells`);
* every cell shares one deadline (``[DEFAULT] cell_timeout``); a cell that fails
  or misses it is left out and named in :attr:`ServerPage.down_cells`.

Which filters a caller may use is policy, decided by the API before it asks
(``allow_all_filters``); the lister itself refuses other projects' servers
unless the context is an admin's, and host/node sorting to non-admins.

Tags filters (``tags``, ``tags-any``, ``not-tags``, ``not-tags-any``) are
applied in each cell's SQL (and in Python to build requests). The IP filters
(``ip``, ``ip6``) are accepted but not applied yet: addresses live in the
network service, not in the cells.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from oslo_config import cfg

from tessera.cells.targets import CellTargets
from tessera.compute import list_build_requests as build_requests
from tessera.compute import list_sql
from tessera.compute.api import ServerView
from tessera.compute.list_cells import CellsResult, Deadline, DownCell, read_pages
from tessera.compute.list_filters import name_regex
from tessera.compute.list_order import Listed
from tessera.compute.list_query import (
    ADMIN_FILTERS,
    ADMIN_SORT_KEYS,
    PUBLIC_FILTERS,
    SORT_KEYS,
    InvalidListQuery,
    ListForbidden,
    ListQuery,
    MarkerCellDown,
    MarkerNotFound,
    ServerFilters,
    SortKey,
    total_order,
)
from tessera.context import Ok, RequestContext, scatter_gather
from tessera.objects import flavor, instance_mapping
from tessera.objects.cell_mapping import TABLE as CELLS
from tessera.objects.cell_mapping import CellMapping, URLBases
from tessera.objects.errors import InstanceMappingNotFound
from tessera.objects.flavor import FlavorNotFound

__all__ = ["DownCell", "PartialServer", "ServerLister", "ServerPage"]

MAPPINGS = instance_mapping.TABLE


@dataclass(frozen=True)
class PartialServer:
    """What the API database alone knows of a server whose cell is down."""

    uuid: str
    """The server's uuid."""
    project_id: str
    """Owner project (from its instance mapping)."""
    created_at: datetime.datetime | None
    """When its mapping was created."""
    cell_uuid: str
    """The down cell holding it."""


@dataclass(frozen=True)
class ServerPage:
    """One page of a server listing."""

    views: tuple[ServerView, ...]
    """Servers in order: build requests first, then the cells' merged."""
    down_cells: tuple[DownCell, ...] = ()
    """Cells that failed or timed out; their servers are missing from ``views``."""
    next_marker: str | None = None
    """Uuid to pass as the next page's marker; None when this page is not full."""
    partial: tuple[PartialServer, ...] = ()
    """Down cells' servers (only when the query asked for them), shown first."""


@dataclass(frozen=True)
class _Lookup:
    """What the API database tells about a page."""

    builds: tuple[Listed, ...]
    """Build requests on this page, in order."""
    cells: tuple[CellMapping, ...]
    """Cells to ask for the rest of the page."""
    marker: tuple[str, CellMapping] | None
    """The marker the cells continue after, and its cell; None to start at the top."""


@dataclass(frozen=True)
class _Plan:
    """A validated listing, ready to run."""

    scan: list_sql.CellScan
    """Filters, project scope and total order."""
    limit: int
    """Page size (clamped)."""


class ServerLister:
    """Lists servers visible to a caller across the API database and every cell."""

    def __init__(
        self,
        targets: CellTargets,
        max_limit: int = 1000,
        cell_timeout: float = 10.0,
        spread: float = 1.1,
    ) -> None:
        self._targets = targets
        self._max_limit = max_limit
        self._cell_timeout = cell_timeout
        self._spread = spread

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, targets: CellTargets) -> ServerLister:
        """A lister with ``[api] max_limit`` and ``[DEFAULT] cell_timeout``."""
        return cls(targets, conf.api.max_limit, conf.cell_timeout)

    @property
    def max_limit(self) -> int:
        """The largest page."""
        return self._max_limit

    def page(self, ctx: RequestContext, query: ListQuery) -> ServerPage:
        """One page of servers; raises ListError subclasses for refused queries."""
        plan = self._plan(ctx, query)
        if plan is None:
            return ServerPage(())
        with self._targets.api_reader.connect() as conn:
            lookup = self._lookup(conn, ctx, plan, query.marker)
        cells = self._from_cells(plan, lookup)
        listed = len(lookup.builds) + len(cells.items)
        partial = self._partial(query, plan, cells.down, listed)
        return _page([*lookup.builds, *cells.items], cells.down, partial, plan.limit)

    def _lookup(
        self, conn: sa.Connection, ctx: RequestContext, plan: _Plan, marker: str | None
    ) -> _Lookup:
        """Everything the API database tells about the page, in one connection."""
        pending = build_requests.listed(conn, plan.scan)
        builds, passed = build_requests.after_marker(pending, marker)
        if len(builds) >= plan.limit:
            return _Lookup(tuple(builds[: plan.limit]), (), None)
        if passed or marker is None:
            return _Lookup(tuple(builds), self._cells(conn, plan.scan.project_id), None)
        located = (marker, _marker_cell(conn, ctx, marker, self._targets.bases))
        return _Lookup(tuple(builds), self._cells(conn, plan.scan.project_id), located)

    # ----------------------------------------------------------------------- validation

    def _plan(self, ctx: RequestContext, query: ListQuery) -> _Plan | None:
        """The query checked against the caller; None when it can match nothing."""
        limit = self._limit(query.limit)
        order = _order(ctx, query.sort)
        project = _project(ctx, query)
        filters = self._resolve(_known(query.filters))
        if limit == 0 or filters is None:
            return None
        return _Plan(list_sql.CellScan(filters, project, order), limit)

    def _limit(self, limit: int | None) -> int:
        if limit is None:
            return self._max_limit
        if limit < 0:
            raise InvalidListQuery("limit param must be positive")
        return min(limit, self._max_limit)

    def _resolve(self, filters: ServerFilters) -> ServerFilters | None:
        """Flavor id to the instances' ``instance_type_id``; None if no such flavor."""
        if filters.name is not None:
            name_regex(filters.name)  # a bad expression is the client's error, say so now
        if filters.flavor_id is None:
            return filters
        try:
            with self._targets.api_reader.connect() as conn:
                size = flavor.get_by_flavorid(conn, filters.flavor_id)
        except FlavorNotFound:
            return None
        equal = (*filters.equal, ("instance_type_id", size.id))
        return dataclasses.replace(filters, equal=equal, flavor_id=None)

    # ----------------------------------------------------------------------- cells

    def _from_cells(self, plan: _Plan, lookup: _Lookup) -> CellsResult:
        wanted = plan.limit - len(lookup.builds)
        if wanted <= 0:
            return CellsResult((), ())
        deadline = Deadline(self._cell_timeout)
        after = None
        if lookup.marker is not None:
            after = self._marker_values(*lookup.marker, plan.scan.order, deadline)
        return read_pages(
            self._targets, lookup.cells, plan.scan, after, wanted, deadline, self._spread
        )

    def _cells(self, conn: sa.Connection, project_id: str | None) -> tuple[CellMapping, ...]:
        """Every cell, or for one project only the cells holding its servers."""
        if project_id is None:
            return tuple(self._targets.cells())
        ids = _project_cell_ids(conn, project_id)
        chosen = [c for c in self._targets.cells() if c.id in ids]
        if len(chosen) < len(ids):  # a cell newer than the cached mappings
            self._targets.reload()
            chosen = [c for c in self._targets.cells() if c.id in ids]
        return tuple(chosen)

    def _marker_values(
        self, marker: str, cell: CellMapping, order: Sequence[SortKey], deadline: Deadline
    ) -> dict[str, object]:
        """The marker's sort values, read from its cell with deleted rows visible."""

        def read(target: CellMapping) -> dict[str, object] | None:
            with self._targets.reader(target).connect() as conn:
                return list_sql.sort_values(conn, marker, order)

        outcome = scatter_gather([cell], _uuid, read, deadline.remaining())[cell.uuid]
        if not isinstance(outcome, Ok):
            raise MarkerCellDown(marker, cell.uuid)
        if outcome.value is None:
            raise MarkerNotFound(marker)
        return outcome.value

    # ----------------------------------------------------------------------- down cells

    def _partial(
        self, query: ListQuery, plan: _Plan, down: Sequence[DownCell], listed: int
    ) -> tuple[PartialServer, ...]:
        room = plan.limit - listed
        if not query.partial_down_cells or not down or room <= 0:
            return ()
        cells = {c.uuid: c.id for c in self._targets.cells()}
        ids = {cells[d.uuid]: d.uuid for d in down if d.uuid in cells}
        with self._targets.api_reader.connect() as conn:
            return _down_mappings(conn, ids, plan.scan.project_id, room)


def _uuid(cell: CellMapping) -> str:
    return cell.uuid


def _marker_cell(
    conn: sa.Connection, ctx: RequestContext, marker: str, bases: URLBases
) -> CellMapping:
    """The cell of the marker's instance mapping (the authority on where it lives)."""
    try:
        mapping = instance_mapping.get_by_instance_uuid(conn, marker, bases)
    except InstanceMappingNotFound:
        raise MarkerNotFound(marker) from None
    if mapping.cell is None:
        raise MarkerNotFound(marker)  # a build request no longer matching the filters
    if not ctx.is_admin and mapping.project_id != ctx.project_id:
        raise MarkerNotFound(marker)  # never place a page by another project's server
    return mapping.cell


def _order(ctx: RequestContext, keys: Sequence[SortKey]) -> tuple[SortKey, ...]:
    for key in keys:
        if key.column not in SORT_KEYS:
            raise InvalidListQuery(f"Invalid sort key: {key.column}")
        if key.column in ADMIN_SORT_KEYS and not ctx.is_admin:
            raise ListForbidden(f"Only administrators can sort servers by {key.column}")
    return total_order(keys)


def _project(ctx: RequestContext, query: ListQuery) -> str | None:
    """The one project listed, or None for every project (admins with all_tenants)."""
    if query.all_tenants:
        if not ctx.is_admin:
            raise ListForbidden("Only administrators may list servers of all projects")
        return query.project_id
    if ctx.project_id is None:
        raise ListForbidden("A listing without all_tenants needs a project")
    return ctx.project_id


def _known(filters: ServerFilters) -> ServerFilters:
    """The filters, if every equality test names a filterable column."""
    unknown = [c for c, _ in filters.equal if c not in PUBLIC_FILTERS | ADMIN_FILTERS]
    if unknown:
        raise InvalidListQuery(f"Invalid filter: {unknown[0]}")
    return filters


def _project_cell_ids(conn: sa.Connection, project_id: str) -> set[int]:
    """Ids of the cells where ``project_id`` has at least one instance mapping."""
    holds = (
        sa.select(MAPPINGS.c.id)
        .where(MAPPINGS.c.cell_id == CELLS.c.id, MAPPINGS.c.project_id == project_id)
        .exists()
    )
    return set(conn.execute(sa.select(CELLS.c.id).where(holds)).scalars())


def _down_mappings(
    conn: sa.Connection, cells: dict[int, str], project_id: str | None, limit: int
) -> tuple[PartialServer, ...]:
    """Servers mapped to down cells and not queued for deletion, oldest mapping first."""
    stmt = sa.select(
        MAPPINGS.c.instance_uuid, MAPPINGS.c.project_id, MAPPINGS.c.created_at, MAPPINGS.c.cell_id
    ).where(MAPPINGS.c.cell_id.in_(list(cells)), MAPPINGS.c.queued_for_delete.is_not(sa.true()))
    if project_id is not None:
        stmt = stmt.where(MAPPINGS.c.project_id == project_id)
    rows = conn.execute(stmt.order_by(MAPPINGS.c.id).limit(limit))
    return tuple(PartialServer(r[0], r[1], r[2], cells[r[3]]) for r in rows)


def _page(
    items: Sequence[Listed],
    down: tuple[DownCell, ...],
    partial: tuple[PartialServer, ...],
    limit: int,
) -> ServerPage:
    full = len(items) + len(partial) >= limit
    last = items[-1].uuid if items else (partial[-1].uuid if partial else None)
    return ServerPage(tuple(i.view for i in items), down, last if full else None, partial)
