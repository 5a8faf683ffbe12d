"""A Neutron v2.0 REST subset (read-only) for clients, as Falcon resources.

Routes, under ``prefix`` (``/network``):

- ``GET {prefix}``: the version document (no token needed, as for other services);
- ``GET {prefix}/v2.0``: the resource collections;
- ``GET {prefix}/v2.0/networks[/{id}]``, ``.../subnets[/{id}]``, ``.../ports[/{id}]``;
- ``GET {prefix}/v2.0/quotas/{project_id}[/default|/details]`` (see :mod:`.quotas`).

Lists take Neutron's filters (``?device_id=a&device_id=b``); parameters that are not
filters of the resource (``fields``, ``limit``, ...) are ignored, as older Neutron did.
The app's auth middleware puts the caller's RequestContext on ``req.context.ctx``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import falcon
import sqlalchemy as sa

from tessera.network import queries, quotas, views
from tessera.network.errors import (
    InvalidFilter,
    NetworkError,
    NetworkNotFound,
    PortNotFound,
    SubnetNotFound,
)
from tessera.network.records import Viewer
from tessera.network.service import NetworkService

App = falcon.App[falcon.Request, falcon.Response]
API_VERSION = "v2.0"
MAX_INT = 2**31 - 1
"""The largest value of the integer columns filters compare with."""
SHOWN = 100
"""Characters of a refused filter value quoted back."""


def unauthenticated_paths(prefix: str = "/network") -> tuple[str, ...]:
    """Paths the auth middleware must let through without a token (the version document)."""
    return (prefix, f"{prefix}/")


def _viewer(req: falcon.Request) -> Viewer:
    ctx = getattr(req.context, "ctx", None)
    if ctx is None:
        raise falcon.HTTPUnauthorized(description="Authentication required")
    return Viewer(ctx.project_id, bool(ctx.is_admin))


def _as_bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise InvalidFilter(
            f"Invalid value {value[:SHOWN]!r} for filter {name}: expected true or false."
        )
    return lowered == "true"


def _as_int(name: str, value: str) -> int:
    """A filter on an integer column: refused outside the column's (32-bit) range, so that
    every database answers alike (SQLite cannot bind larger numbers at all)."""
    text = value.strip()
    unsigned = text[1:] if text[:1] in ("+", "-") else text
    well_formed = unsigned.isascii() and unsigned.isdigit()
    # By length first: int() refuses numbers of thousands of digits.
    if not well_formed or len(unsigned.lstrip("0")) > len(str(MAX_INT)):
        raise InvalidFilter(_int_refusal(name, value))
    number = int(text)
    if not -MAX_INT - 1 <= number <= MAX_INT:
        raise InvalidFilter(_int_refusal(name, value))
    return number


def _int_refusal(name: str, value: str) -> str:
    return (
        f"Invalid value {value[:SHOWN]!r} for filter {name}: "
        f"expected an integer from {-MAX_INT - 1} to {MAX_INT}."
    )


def _as_str(name: str, value: str) -> str:
    return value


_CONVERTERS: Mapping[str, Callable[[str, str], Any]] = {"shared": _as_bool, "ip_version": _as_int}


def _filters(req: falcon.Request, allowed: Mapping[str, object]) -> dict[str, list[Any]]:
    """``{filter: values}`` of the query string, for the filters ``allowed`` names."""
    found: dict[str, list[Any]] = {}
    for name in allowed:
        values = req.get_param_as_list(name)
        if values:
            convert = _CONVERTERS.get(name, _as_str)
            found[name] = [convert(name, value) for value in values]
    return found


def render_error(req: falcon.Request, resp: falcon.Response, ex: NetworkError, params: Any) -> None:
    """A NetworkError as Neutron renders errors."""
    resp.status = falcon.code_to_http_status(ex.status)
    resp.media = {"NeutronError": {"type": ex.kind, "message": ex.message, "detail": ""}}


class _Resource:
    """Base of the resources: the service and a connection to its database."""

    def __init__(self, service: NetworkService) -> None:
        self._service = service

    def _connect(self) -> sa.Connection:
        return self._service.engine.connect()


class Versions:
    """``GET {prefix}``: the one API version served."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        href = f"{req.prefix}{self._prefix}/{API_VERSION}/"
        resp.media = {
            "versions": [
                {"id": API_VERSION, "status": "CURRENT", "links": [{"rel": "self", "href": href}]}
            ]
        }


class V20:
    """``GET {prefix}/v2.0``: the collections of this version."""

    COLLECTIONS = (("network", "networks"), ("subnet", "subnets"), ("port", "ports"))

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _viewer(req)
        base = f"{req.prefix}{self._prefix}/{API_VERSION}"
        resp.media = {
            "resources": [
                {
                    "name": name,
                    "collection": collection,
                    "links": [{"rel": "self", "href": f"{base}/{collection}"}],
                }
                for name, collection in self.COLLECTIONS
            ]
        }


class NetworkCollection(_Resource):
    """``GET .../networks``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        viewer = _viewer(req)
        filters = _filters(req, queries.NETWORK_FILTERS)
        with self._connect() as conn:
            found = queries.list_networks(conn, viewer, filters)
        resp.media = {"networks": [views.network(record) for record in found]}


class NetworkItem(_Resource):
    """``GET .../networks/{network_id}``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, network_id: str) -> None:
        viewer = _viewer(req)
        with self._connect() as conn:
            record = queries.get_network(conn, network_id, viewer)
        if record is None:
            raise NetworkNotFound(network_id)
        resp.media = {"network": views.network(record)}


class SubnetCollection(_Resource):
    """``GET .../subnets``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        viewer = _viewer(req)
        filters = _filters(req, queries.SUBNET_FILTERS)
        with self._connect() as conn:
            found = queries.list_subnets(conn, viewer, filters)
        resp.media = {"subnets": [views.subnet(record) for record in found]}


class SubnetItem(_Resource):
    """``GET .../subnets/{subnet_id}``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, subnet_id: str) -> None:
        viewer = _viewer(req)
        with self._connect() as conn:
            found = queries.list_subnets(conn, viewer, {"id": [subnet_id]})
        if not found:
            raise SubnetNotFound(subnet_id)
        resp.media = {"subnet": views.subnet(found[0])}


class PortCollection(_Resource):
    """``GET .../ports``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        viewer = _viewer(req)
        filters = _filters(req, queries.PORT_FILTERS)
        with self._connect() as conn:
            found = queries.list_ports(conn, viewer, filters)
        resp.media = {"ports": [views.port(record, viewer) for record in found]}


class PortItem(_Resource):
    """``GET .../ports/{port_id}``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, port_id: str) -> None:
        viewer = _viewer(req)
        with self._connect() as conn:
            found = queries.list_ports(conn, viewer, {"id": [port_id]})
        if not found:
            raise PortNotFound(port_id)
        resp.media = {"port": views.port(found[0], viewer)}


class QuotaItem:
    """``GET .../quotas/{project_id}``: the project's limits (none is enforced)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        quotas.check_visible(_viewer(req), project_id)
        resp.media = {"quota": quotas.limits()}


class QuotaDefault:
    """``GET .../quotas/{project_id}/default``: the defaults (the same limits)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        quotas.check_visible(_viewer(req), project_id)
        resp.media = {"quota": quotas.limits()}


class QuotaDetails(_Resource):
    """``GET .../quotas/{project_id}/details``: limits with the project's usage."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        quotas.check_visible(_viewer(req), project_id)
        with self._connect() as conn:
            resp.media = {"quota": quotas.details(conn, project_id)}


def install(app: App, service: NetworkService, prefix: str = "/network") -> None:
    """Add the network routes under ``prefix`` and render NetworkErrors Neutron's way."""
    base = f"{prefix}/{API_VERSION}"
    app.add_route(prefix, Versions(prefix))
    app.add_route(base, V20(prefix))
    app.add_route(f"{base}/networks", NetworkCollection(service))
    app.add_route(f"{base}/networks/{{network_id}}", NetworkItem(service))
    app.add_route(f"{base}/subnets", SubnetCollection(service))
    app.add_route(f"{base}/subnets/{{subnet_id}}", SubnetItem(service))
    app.add_route(f"{base}/ports", PortCollection(service))
    app.add_route(f"{base}/ports/{{port_id}}", PortItem(service))
    app.add_route(f"{base}/quotas/{{project_id}}", QuotaItem())
    app.add_route(f"{base}/quotas/{{project_id}}/default", QuotaDefault())
    app.add_route(f"{base}/quotas/{{project_id}}/details", QuotaDetails(service))
    app.add_error_handler(NetworkError, render_error)
