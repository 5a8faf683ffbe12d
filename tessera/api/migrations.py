"""``/os-migrations`` (every cell's migrations) and ``/servers/{server_id}/migrations``
(a server's live migrations under way, 2.23+).

The listing reads every cell concurrently under the cell deadline and merges
them newest first; a cell that does not answer is left out (and logged), so a
down cell never fails or stalls the listing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import falcon
import sqlalchemy as sa

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.schemas import migrations as schema
from tessera.api.schemas.query import Params
from tessera.api.server_actions import UNREACHABLE, find
from tessera.api.services import HostSettings
from tessera.api.views import migrations as views
from tessera.cells.targets import CellTargets
from tessera.compute.actions import Located, ServerActions
from tessera.compute.migration_list import MarkerCellDown, MarkerNotFound, MigrationLister
from tessera.objects import migration as migrations
from tessera.objects.migration import Migration
from tessera.policies import migrations as policies

T = TypeVar("T")
SERVER_MIGRATIONS = "2.23"
MAX_ID = validation.INT32_MAX


def _params(pairs: Sequence[tuple[str, str]]) -> Params:
    params: Params = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def _is_id(value: str) -> bool:
    # Larger numbers are no row's id (and PostgreSQL refuses to compare them to one).
    number = validation.query_int(value, MAX_ID + 1)
    return number is not None and number <= MAX_ID


class MigrationList:
    """``GET /os-migrations``."""

    def __init__(self, lister: MigrationLister, max_limit: int) -> None:
        self._lister = lister
        self._max_limit = max_limit

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        ctx, version = request.ctx(req), request.version(req)
        pairs = parse_qsl(req.query_string, keep_blank_values=True)
        query = schema.parse(_params(pairs), version)
        own = {"project_id": ctx.project_id, "user_id": ctx.user_id}
        request.authorize(req, policies.INDEX, own)
        # Only one's own project's migrations (asked for by project_id, 2.80) need no more.
        if query.filters.project_id is None or query.filters.project_id != ctx.project_id:
            request.authorize(req, policies.INDEX_ALL_PROJECTS, own)
        show_hosts = request.policy(req).check(ctx, policies.INDEX_HOST, own)
        paged = version.at_least("2.59")
        limit = min(query.limit, self._max_limit) if query.limit is not None else None
        if paged and limit is None:
            limit = self._max_limit
        try:
            page = self._lister.page(query.filters, limit, query.marker)
        except MarkerNotFound as exc:
            raise bad_request(str(exc)) from None
        except MarkerCellDown as exc:
            raise APIError(503, str(exc)) from None
        base = request.base_url(req)
        body: dict[str, Any] = {
            "migrations": [views.listed(m, version, base, show_hosts) for m in page.migrations]
        }
        if paged and limit and len(page.migrations) == limit:
            last = page.migrations[-1].uuid or ""
            body["migrations_links"] = [views.next_link(base, pairs, last)]
        resp.media = body


class _ServerMigrations:
    def __init__(self, logic: ServerActions, targets: CellTargets) -> None:
        self._logic = logic
        self._targets = targets

    def _server(self, req: falcon.Request, server_id: str) -> Located:
        if not request.version(req).at_least(SERVER_MIGRATIONS):
            raise not_found("The resource could not be found.")
        return find(req, self._logic, server_id)

    def _read(self, found: Located, read: Callable[[sa.Connection], T]) -> T:
        try:
            with self._targets.engine(found.cell).connect() as conn:
                return read(conn)
        except UNREACHABLE:
            uuid = found.instance.uuid
            raise APIError(503, f"The cell of server {uuid} cannot be reached now.") from None

    def _read_live(self, found: Located) -> list[Migration]:
        return self._read(found, lambda c: migrations.live_in_progress(c, found.instance.uuid))

    def _read_one(self, found: Located, migration_id: int) -> Migration | None:
        uuid = found.instance.uuid
        return self._read(found, lambda c: migrations.get_for_instance(c, migration_id, uuid))


class ServerMigrationList(_ServerMigrations):
    """``GET /servers/{server_id}/migrations``: its live migrations under way."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: str) -> None:
        found = self._server(req, server_id)
        target = {"project_id": found.instance.project_id}
        request.authorize(req, policies.SERVER_INDEX, target)
        show_hosts = request.policy(req).check(request.ctx(req), policies.SERVER_INDEX_HOST, target)
        version = request.version(req)
        found_live = self._read_live(found)
        resp.media = {"migrations": [views.of_server(m, version, show_hosts) for m in found_live]}


class ServerMigrationItem(_ServerMigrations):
    """``GET /servers/{server_id}/migrations/{migration_id}``: one live migration under way."""

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, server_id: str, migration_id: str
    ) -> None:
        found = self._server(req, server_id)
        request.authorize(req, policies.SERVER_SHOW, {"project_id": found.instance.project_id})
        uuid = found.instance.uuid
        record = self._read_one(found, int(migration_id)) if _is_id(migration_id) else None
        if record is None:
            raise not_found(
                f"In-progress live migration {migration_id} is not found for server {uuid}."
            )
        if record.migration_type != migrations.LIVE_MIGRATION:
            raise not_found(f"Migration {migration_id} for server {uuid} is not live-migration.")
        if not record.is_live_in_progress:
            raise not_found(f"Live migration {migration_id} for server {uuid} is not in progress.")
        version = request.version(req)
        resp.media = {"migration": views.of_server(record, version, show_hosts=True)}


def install(
    app: falcon.App[falcon.Request, falcon.Response],
    deps: APIDeps,
    targets: CellTargets,
    settings: HostSettings,
) -> None:
    """Add the migration routes."""
    lister = MigrationLister(targets, settings.cell_timeout)
    logic = ServerActions(targets)
    app.add_route("/v2.1/os-migrations", MigrationList(lister, settings.max_limit))
    app.add_route("/v2.1/servers/{server_id}/migrations", ServerMigrationList(logic, targets))
    app.add_route(
        "/v2.1/servers/{server_id}/migrations/{migration_id}",
        ServerMigrationItem(logic, targets),
    )
