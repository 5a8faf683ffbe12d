"""``/os-services``: the services of every cell; enable, disable, force down, delete.

Also home of what the admin resources share: :class:`HostSettings`,
:func:`authorize` and :class:`CellHosts`, the cross-cell host lookups. Every
read of many cells is one scatter-gather with a deadline, so a down cell
never stalls a call; it is skipped, or (2.69+) shown as partial records.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import falcon
import sqlalchemy as sa
from oslo_config import cfg

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.schemas import services as schemas
from tessera.api.views import services as views
from tessera.cells.targets import CellTargets
from tessera.context import Ok, scatter_gather
from tessera.db.types import utcnow
from tessera.objects import aggregate, host_mapping
from tessera.objects import compute_node_records as records
from tessera.objects.cell_mapping import CellMapping
from tessera.objects.compute_node_records import ServiceRecord
from tessera.objects.errors import HostMappingNotFound, NotFound
from tessera.objects.service import COMPUTE_BINARY

LOG = logging.getLogger(__name__)
T = TypeVar("T")

INTERNAL_ZONE = "internal"
# Front ends have no host to manage: never listed, as the compute API does.
_HIDDEN_BINARIES = frozenset({"tessera-api", "tessera-metadata"})


def authorize(req: falcon.Request, rule: str) -> None:
    """403 unless the policy lets the caller use ``rule``.

    These resources belong to no project, so the target is empty: only
    rules on the caller alone (admin, anyone) can grant them.
    """
    request.authorize(req, rule, {})


@dataclass(frozen=True)
class HostSettings:
    """What the admin resources read from the API service's configuration."""

    service_down_time: float = 60.0
    """A service not heard from for this many seconds is down."""
    cell_timeout: float = 10.0
    """Deadline in seconds for one cell to answer a cross-cell read."""
    default_availability_zone: str = "nova"
    """Zone of compute hosts in no zone-bearing aggregate."""
    max_limit: int = 1000
    """Largest page of a paged listing."""

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> HostSettings:
        """Read ``[DEFAULT]`` and ``[api]`` options."""
        return cls(
            conf.service_down_time,
            conf.cell_timeout,
            conf.default_availability_zone,
            conf.api.max_limit,
        )


class ServiceNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__(f"Service {ident} could not be found.")


class ServiceNotUnique(Exception):
    def __init__(self, ident: object) -> None:
        super().__init__(
            f"Service id {ident} matches services in more than one cell; "
            "address it by uuid (microversion 2.53 or later)."
        )


class CellDown(Exception):
    def __init__(self, cell: CellMapping) -> None:
        super().__init__(f"Cell {cell.identity} is not responding.")


@dataclass(frozen=True)
class Gathered(Generic[T]):
    """What each cell answered to one cross-cell read."""

    cells: tuple[CellMapping, ...]
    """Every cell asked, in creation order."""
    values: Mapping[str, T]
    """Answers by cell uuid; cells that failed or timed out are absent."""

    def answered(self) -> Iterator[tuple[CellMapping, T]]:
        """``(cell, answer)`` of the cells that answered, in cell order."""
        return ((c, self.values[c.uuid]) for c in self.cells if c.uuid in self.values)

    def down(self) -> list[CellMapping]:
        """Cells that failed or missed the deadline."""
        return [c for c in self.cells if c.uuid not in self.values]


@dataclass(frozen=True)
class CellService:
    """A service and the cell it lives in."""

    cell: CellMapping
    """Where the record is (where writes go)."""
    record: ServiceRecord
    """The service row."""


class CellHosts:
    """Services and hosts of every cell, read concurrently under one deadline."""

    def __init__(self, targets: CellTargets, settings: HostSettings) -> None:
        self._targets = targets
        self.settings = settings

    @property
    def api_engine(self) -> sa.Engine:
        """The API database (host mappings, aggregates)."""
        return self._targets.api_engine

    def read_all(self, fn: Callable[[sa.Connection], T]) -> Gathered[T]:
        """``fn(conn)`` in every cell (cell0 included), concurrently."""
        cells = tuple(self._targets.cells())
        results = scatter_gather(
            cells, lambda c: c.uuid, lambda c: self._read(c, fn), self.settings.cell_timeout
        )
        values: dict[str, T] = {}
        for cell in cells:
            outcome = results[cell.uuid]
            if isinstance(outcome, Ok):
                values[cell.uuid] = outcome.value
            else:
                LOG.warning("Cell %s did not answer: %s", cell.identity, outcome)
        return Gathered(cells, values)

    def read_cell(self, cell: CellMapping, fn: Callable[[sa.Connection], T]) -> T:
        """``fn(conn)`` in one cell under the same deadline (CellDown if it misses it)."""
        results = scatter_gather(
            [cell], lambda c: c.uuid, lambda c: self._read(c, fn), self.settings.cell_timeout
        )
        outcome = results[cell.uuid]
        if not isinstance(outcome, Ok):
            LOG.warning("Cell %s did not answer: %s", cell.identity, outcome)
            raise CellDown(cell)
        return outcome.value

    def _read(self, cell: CellMapping, fn: Callable[[sa.Connection], T]) -> T:
        with self._targets.engine(cell).connect() as conn:
            return fn(conn)

    def write(self, cell: CellMapping, fn: Callable[[sa.Connection], T]) -> T:
        """``fn(conn)`` in one transaction of the cell's database."""
        with self._targets.engine(cell).begin() as conn:
            return fn(conn)

    def cell_of_host(self, host: str) -> CellMapping:
        """The cell ``host`` is mapped to (HostMappingNotFound if none)."""
        return self._targets.cell_of_host(host)

    def services(
        self, host: str | None, binary: str | None, with_unknown: bool
    ) -> list[CellService | str]:
        """Services of every cell, in cell order; a down cell's mapped hosts as names.

        Names stand for computes whose records could not be read; they are only
        returned when ``with_unknown`` and the filters allow a compute.
        """
        gathered = self.read_all(lambda conn: records.services(conn, host, binary))
        unknown: dict[int, list[str]] = {}
        if with_unknown and binary in (None, COMPUTE_BINARY):
            unknown = self._mapped_hosts(gathered.down(), host)
        listing: list[CellService | str] = []
        for cell in gathered.cells:
            if cell.uuid not in gathered.values:
                listing.extend(unknown.get(cell.id, []))
                continue
            found = gathered.values[cell.uuid]
            listing.extend(
                CellService(cell, r) for r in found if r.service.binary not in _HIDDEN_BINARIES
            )
        return listing

    def _mapped_hosts(self, cells: list[CellMapping], host: str | None) -> dict[int, list[str]]:
        if not cells:
            return {}
        with self.api_engine.connect() as conn:
            return {
                cell.id: [
                    m.host
                    for m in host_mapping.get_all(conn, self._targets.bases, cell.id)
                    if host is None or m.host == host
                ]
                for cell in cells
            }

    def find_service(self, ident: str | int) -> CellService:
        """The service with this uuid (str) or id (int) in whichever cell has it."""

        def lookup(conn: sa.Connection) -> ServiceRecord | None:
            if isinstance(ident, int):
                return records.service_by_id(conn, ident)
            return records.service_by_uuid(conn, ident)

        found = [
            CellService(cell, r) for cell, r in self.read_all(lookup).answered() if r is not None
        ]
        if not found:
            raise ServiceNotFound(ident)
        if len(found) > 1:  # ids are per cell database; uuids are not
            raise ServiceNotUnique(ident)
        return found[0]

    def service_on_host(self, host: str, binary: str) -> CellService:
        """The ``binary`` service of a mapped host (HostMappingNotFound, ServiceNotFound)."""
        cell = self.cell_of_host(host)
        record = self.read_cell(cell, lambda conn: records.service_by_host(conn, host, binary))
        if record is None:
            raise ServiceNotFound(f"{binary} on host {host}")
        return CellService(cell, record)

    def zones(self, hosts: Iterable[str | None]) -> dict[str, str]:
        """``{host: zone}`` of compute hosts: their aggregates' zone, else the default."""
        wanted = sorted({h for h in hosts if h})
        with self.api_engine.connect() as conn:
            named = aggregate.zones_of_hosts(conn, wanted)
        return {h: named.get(h, self.settings.default_availability_zone) for h in wanted}

    def zone_of(self, record: ServiceRecord, zones: Mapping[str, str]) -> str:
        """A compute's zone from ``zones``; every other service is ``internal``."""
        if not record.is_compute:
            return INTERNAL_ZONE
        return zones.get(record.service.host or "", self.settings.default_availability_zone)


# --------------------------------------------------------------------------- handlers

LIST_RULE = "os_compute_api:os-services:list"
UPDATE_RULE = "os_compute_api:os-services:update"
DELETE_RULE = "os_compute_api:os-services:delete"

# Pre-2.53 ``PUT /os-services/<action>``: body schema and the first version having it.
_LEGACY_ACTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "enable": (schemas.HOST_BINARY, "2.1"),
    "disable": (schemas.HOST_BINARY, "2.1"),
    "disable-log-reason": (schemas.DISABLE_LOG_REASON, "2.1"),
    "force-down": (schemas.FORCE_DOWN, "2.11"),
}


def _ident(service_id: str, uuid_ids: bool) -> str | int:
    if uuid_ids:
        try:
            return str(uuidlib.UUID(service_id))
        except ValueError:
            raise bad_request(f"Invalid uuid {service_id}") from None
    value = validation.query_int(service_id, validation.INT32_MAX + 1)
    if value is None:
        raise bad_request(f"Invalid service id {service_id}")
    if value > validation.INT32_MAX:
        raise not_found(f"Service {service_id} could not be found.")
    return value


class _ServicesBase:
    def __init__(self, hosts: CellHosts) -> None:
        self._hosts = hosts

    def _render(self, req: falcon.Request, found: CellService) -> dict[str, Any]:
        zone = self._hosts.zone_of(found.record, self._hosts.zones([found.record.service.host]))
        down_time = self._hosts.settings.service_down_time
        return views.service(found.record, zone, request.version(req), down_time, utcnow())

    def _find(self, ident: str | int) -> CellService:
        try:
            return self._hosts.find_service(ident)
        except ServiceNotFound as exc:
            raise not_found(str(exc)) from None
        except ServiceNotUnique as exc:
            raise bad_request(str(exc)) from None


class ServiceCollection(_ServicesBase):
    """``GET /os-services`` with ``host`` and ``binary`` filters."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        authorize(req, LIST_RULE)
        version = request.version(req)
        listing = self._hosts.services(
            req.get_param("host"), req.get_param("binary"), version.at_least("2.69")
        )
        found = [e for e in listing if isinstance(e, CellService)]
        zones = self._hosts.zones(e.record.service.host for e in found if e.record.is_compute)
        now, down_time = utcnow(), self._hosts.settings.service_down_time
        resp.media = {
            "services": [
                views.unknown(e)
                if isinstance(e, str)
                else views.service(
                    e.record, self._hosts.zone_of(e.record, zones), version, down_time, now
                )
                for e in listing
            ]
        }


class ServiceItem(_ServicesBase):
    """``PUT`` (update, or a pre-2.53 action) and ``DELETE /os-services/{service_id}``."""

    def on_put(self, req: falcon.Request, resp: falcon.Response, service_id: str) -> None:
        authorize(req, UPDATE_RULE)
        if request.version(req).at_least("2.53"):
            resp.media = {"service": self._update(req, service_id)}
        else:
            resp.media = {"service": self._legacy(req, service_id)}

    def _update(self, req: falcon.Request, service_id: str) -> dict[str, Any]:
        ident = _ident(service_id, uuid_ids=True)
        change = schemas.update_change(validation.body(req, schemas.UPDATE))
        found = self._find(ident)
        _require_compute(found.record.service.binary)
        updated = self._hosts.write(
            found.cell, lambda conn: records.update_service(conn, found.record, change)
        )
        return self._render(req, CellService(found.cell, updated))

    def _legacy(self, req: falcon.Request, action: str) -> dict[str, Any]:
        schema, since = _LEGACY_ACTIONS.get(action, ({}, ""))
        if not since or not request.version(req).at_least(since):
            raise not_found("The resource could not be found.")
        data = validation.body(req, schema)
        host, binary = data["host"], data["binary"]
        _require_compute(binary)
        change = schemas.legacy_change(action, data)
        try:
            found = self._hosts.service_on_host(host, binary)
        except (HostMappingNotFound, ServiceNotFound) as exc:
            raise not_found(str(exc)) from None
        except CellDown as exc:
            raise APIError(503, str(exc)) from None
        self._hosts.write(
            found.cell, lambda conn: records.update_service(conn, found.record, change)
        )
        return views.legacy_action(
            host,
            binary,
            disabled=change.disabled,
            reason=change.reason,
            forced_down=change.forced_down,
        )

    def on_delete(self, req: falcon.Request, resp: falcon.Response, service_id: str) -> None:
        authorize(req, DELETE_RULE)
        found = self._find(_ident(service_id, request.version(req).at_least("2.53")))
        try:
            self._hosts.write(found.cell, lambda conn: records.destroy_service(conn, found.record))
        except records.ServiceHostsServers as exc:
            raise APIError(409, str(exc)) from None
        host = found.record.service.host
        if found.record.is_compute and host:
            # The host is gone from the cloud: no zone, no cell.
            with self._hosts.api_engine.begin() as conn:
                aggregate.remove_host_everywhere(conn, host)
                host_mapping.delete(conn, host)
        resp.status = falcon.HTTP_204


def _require_compute(binary: str | None) -> None:
    if binary != COMPUTE_BINARY:
        raise bad_request(
            f"Updating a {binary} service is not supported; only {COMPUTE_BINARY} "
            "services can be updated."
        )


def install(
    app: falcon.App[falcon.Request, falcon.Response],
    deps: APIDeps,
    targets: CellTargets,
    settings: HostSettings,
) -> None:
    """Add the ``/os-services`` routes."""
    hosts = CellHosts(targets, settings)
    app.add_route("/v2.1/os-services", ServiceCollection(hosts))
    app.add_route("/v2.1/os-services/{service_id}", ServiceItem(hosts))
