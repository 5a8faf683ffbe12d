"""``/os-aggregates``: host aggregates, their hosts, metadata and zones.

Aggregates live in the API database only; a host is accepted when it is
mapped to a cell, so no cell is asked and a down cell cannot block this API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import falcon
import sqlalchemy as sa

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.schemas import aggregates as schemas
from tessera.api.services import HostSettings, authorize
from tessera.api.views import aggregates as views
from tessera.cells.targets import CellTargets
from tessera.objects import aggregate, host_mapping
from tessera.objects.aggregate import (
    AggregateConflict,
    AggregateHostExists,
    AggregateNameExists,
)
from tessera.objects.cell_mapping import URLBases
from tessera.objects.errors import HostMappingNotFound, NotFound

RULE = "os_compute_api:os-aggregates:{}"
MAX_ID = validation.INT32_MAX
"""The largest ``aggregates.id`` (a 32-bit integer column)."""
T = TypeVar("T")


def _aggregate_id(raw: str) -> int:
    """The id in the path: 400 unless digits, 404 beyond the ``aggregates.id`` column's range."""
    value = validation.query_int(raw, MAX_ID + 1)
    if value is None:
        raise bad_request(f"Invalid aggregate id {raw}: it must be an integer.")
    # No row has a larger id, and drivers refuse such numbers (SQLite overflows).
    if value > MAX_ID:
        raise not_found(f"Aggregate {raw} could not be found.")
    return value


class _Base:
    def __init__(self, engine: sa.Engine, bases: URLBases) -> None:
        self._engine = engine
        self._bases = bases

    def _run(self, change: Callable[[sa.Connection], T], conflict_status: int) -> T:
        """Run ``change`` in one transaction, with record errors as API errors.

        Names and hosts already present always conflict (409); what else
        contradicts existing aggregates (zones, a non-empty aggregate) is
        reported as ``conflict_status``, which differs by operation.
        """
        try:
            with self._engine.begin() as conn:
                return change(conn)
        except NotFound as exc:
            raise not_found(str(exc)) from None
        except (AggregateNameExists, AggregateHostExists) as exc:
            raise APIError(409, str(exc)) from None
        except AggregateConflict as exc:
            raise APIError(conflict_status, str(exc)) from None

    def _mapped(self, host: str) -> None:
        try:
            with self._engine.connect() as conn:
                host_mapping.get_by_host(conn, host, self._bases)
        except HostMappingNotFound:
            raise not_found(f"Compute host {host} could not be found.") from None


class AggregateCollection(_Base):
    """``GET`` (list) and ``POST`` (create) ``/os-aggregates``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        authorize(req, RULE.format("index"))
        with self._engine.connect() as conn:
            found = aggregate.get_all(conn)
        version = request.version(req)
        resp.media = {"aggregates": [views.aggregate(a, version) for a in found]}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        authorize(req, RULE.format("create"))
        spec = validation.body(req, schemas.CREATE)["aggregate"]
        created = self._run(
            lambda conn: aggregate.create(conn, spec["name"], spec.get("availability_zone")),
            409,
        )
        resp.media = {"aggregate": views.aggregate(created, request.version(req), members=False)}


class AggregateItem(_Base):
    """``GET``, ``PUT`` and ``DELETE /os-aggregates/{aggregate_id}``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: str) -> None:
        authorize(req, RULE.format("show"))
        ident = _aggregate_id(aggregate_id)
        found = self._run(lambda conn: aggregate.get(conn, ident), 409)
        resp.media = {"aggregate": views.aggregate(found, request.version(req))}

    def on_put(self, req: falcon.Request, resp: falcon.Response, aggregate_id: str) -> None:
        authorize(req, RULE.format("update"))
        ident = _aggregate_id(aggregate_id)
        spec = validation.body(req, schemas.UPDATE)["aggregate"]

        def update(conn: sa.Connection) -> aggregate.Aggregate:
            if "name" in spec:
                aggregate.rename(conn, ident, spec["name"])
            if "availability_zone" in spec:
                zone = spec["availability_zone"]
                aggregate.update_metadata(conn, ident, {aggregate.AZ_KEY: zone})
            return aggregate.get(conn, ident)

        updated = self._run(update, 400)
        resp.media = {"aggregate": views.aggregate(updated, request.version(req))}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, aggregate_id: str) -> None:
        authorize(req, RULE.format("delete"))
        ident = _aggregate_id(aggregate_id)

        self._run(lambda conn: aggregate.delete(conn, ident), 400)
        resp.status = falcon.HTTP_200


class AggregateAction(_Base):
    """``POST /os-aggregates/{aggregate_id}/action``: add_host, remove_host, set_metadata."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, aggregate_id: str) -> None:
        data = validation.body(req, schemas.ACTION)
        action, args = next(iter(data.items()))
        authorize(req, RULE.format(action))
        ident = _aggregate_id(aggregate_id)
        handlers = {
            "add_host": self._add_host,
            "remove_host": self._remove_host,
            "set_metadata": self._set_metadata,
        }
        updated = handlers[action](ident, args)
        resp.media = {"aggregate": views.aggregate(updated, request.version(req))}

    def _add_host(self, ident: int, args: dict[str, Any]) -> aggregate.Aggregate:
        host = args["host"]
        self._mapped(host)
        return self._run(lambda conn: aggregate.add_host(conn, ident, host), 409)

    def _remove_host(self, ident: int, args: dict[str, Any]) -> aggregate.Aggregate:
        host = args["host"]
        self._mapped(host)
        return self._run(lambda conn: aggregate.remove_host(conn, ident, host), 409)

    def _set_metadata(self, ident: int, args: dict[str, Any]) -> aggregate.Aggregate:
        changes = dict(args["metadata"])
        return self._run(lambda conn: aggregate.update_metadata(conn, ident, changes), 400)


def install(
    app: falcon.App[falcon.Request, falcon.Response],
    deps: APIDeps,
    targets: CellTargets,
    settings: HostSettings,
) -> None:
    """Add the ``/os-aggregates`` routes."""
    engine, bases = deps.api_engine, targets.bases
    app.add_route("/v2.1/os-aggregates", AggregateCollection(engine, bases))
    app.add_route("/v2.1/os-aggregates/{aggregate_id}", AggregateItem(engine, bases))
    app.add_route("/v2.1/os-aggregates/{aggregate_id}/action", AggregateAction(engine, bases))
