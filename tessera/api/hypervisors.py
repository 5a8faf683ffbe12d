"""``/os-hypervisors``: compute nodes of every cell, their state and servers.

Nodes are read from every cell concurrently under the cell deadline; a cell
that does not answer contributes no hypervisors. Nodes whose host has no
live compute service are left out: they cannot take servers and have no
state to show.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import falcon
import sqlalchemy as sa

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import bad_request, not_found
from tessera.api.microversions import Version
from tessera.api.services import CellHosts, HostSettings, authorize
from tessera.api.views import hypervisors as views
from tessera.cells.targets import CellTargets
from tessera.db.types import utcnow
from tessera.objects import compute_node_records as records
from tessera.objects.compute_node_records import HostedServer, NodeRecord

LIST_RULE = "os_compute_api:os-hypervisors:list"
DETAIL_RULE = "os_compute_api:os-hypervisors:list-detail"
SHOW_RULE = "os_compute_api:os-hypervisors:show"
STATISTICS_RULE = "os_compute_api:os-hypervisors:statistics"

_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
_FALSE = frozenset({"0", "f", "false", "off", "n", "no"})


@dataclass(frozen=True)
class Hypervisor:
    """A node to render and, when asked for, the servers on it."""

    node: NodeRecord
    """The node with its compute service."""
    servers: tuple[HostedServer, ...] | None
    """Servers on the node; None when the caller did not ask."""


@dataclass(frozen=True)
class ListQuery:
    """The query string of a hypervisor listing, validated for its microversion."""

    with_servers: bool = False
    """Include each node's servers (2.53+)."""
    pattern: str | None = None
    """Only nodes whose name contains this (2.53+)."""
    limit: int | None = None
    """Page size asked for (2.33+)."""
    marker: str | int | None = None
    """Id of the last node of the previous page (2.33+; a uuid from 2.53)."""


def _flag(req: falcon.Request, name: str) -> bool:
    raw = req.get_param(name)
    if raw is None:
        return False
    if raw.lower() in _TRUE | _FALSE:
        return raw.lower() in _TRUE
    raise bad_request(f"Invalid input for query parameters {name}. Value: {raw}.")


def _limit(raw: str | None) -> int | None:
    if raw is None:
        return None
    value = validation.query_int(raw)
    if value is None:
        raise bad_request("limit param must be an integer")
    return value


def _int_id(text: str) -> int | None:
    """A pre-2.53 hypervisor id, or None when ``text`` cannot be one (so none exists)."""
    value = validation.query_int(text, validation.INT32_MAX + 1)
    return None if value is None or value > validation.INT32_MAX else value


def _marker(raw: str | None, version: Version) -> str | int | None:
    if raw is None or version.at_least("2.53"):
        return raw
    value = _int_id(raw)
    if value is None:
        raise bad_request(f"marker [{raw}] not found")
    return value


def _list_query(req: falcon.Request, version: Version) -> ListQuery:
    query = ListQuery()
    if version.at_least("2.33"):
        query = ListQuery(
            limit=_limit(req.get_param("limit")),
            marker=_marker(req.get_param("marker"), version),
        )
    if not version.at_least("2.53"):
        return query
    pattern = req.get_param("hypervisor_hostname_pattern")
    if pattern is not None and (query.limit is not None or query.marker is not None):
        raise bad_request(
            "Paging over hypervisors with the hypervisor_hostname_pattern "
            "query parameter is not supported."
        )
    return ListQuery(_flag(req, "with_servers"), pattern, query.limit, query.marker)


def _in_cell(
    conn: sa.Connection, found: Sequence[NodeRecord], with_servers: bool
) -> list[Hypervisor]:
    usable = [n for n in found if n.service is not None]
    if not with_servers:
        return [Hypervisor(n, None) for n in usable]
    hosted = records.servers_on_nodes(conn, usable)
    return [Hypervisor(n, tuple(hosted.get(n.id, ()))) for n in usable]


def _node_id(node: NodeRecord, version: Version) -> str | int | None:
    return node.uuid if version.at_least("2.53") else node.id


class _Base:
    def __init__(self, hosts: CellHosts) -> None:
        self._hosts = hosts

    def _all(self, pattern: str | None, with_servers: bool) -> list[Hypervisor]:
        def read(conn: sa.Connection) -> list[Hypervisor]:
            return _in_cell(conn, records.nodes(conn, pattern), with_servers)

        gathered = self._hosts.read_all(read)
        return [h for _, found in gathered.answered() for h in found]

    def _render(self, req: falcon.Request, found: Hypervisor, detail: bool) -> dict[str, Any]:
        render = views.detail if detail else views.summary
        return render(
            found.node,
            found.servers,
            request.version(req),
            self._hosts.settings.service_down_time,
            utcnow(),
        )


class HypervisorList(_Base):
    """``GET /os-hypervisors`` (``detail=False``) and ``GET /os-hypervisors/detail``."""

    def __init__(self, hosts: CellHosts, detail: bool) -> None:
        super().__init__(hosts)
        self._detail = detail

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        authorize(req, DETAIL_RULE if self._detail else LIST_RULE)
        version = request.version(req)
        query = _list_query(req, version)
        found = self._all(query.pattern, query.with_servers)
        if query.pattern is not None and not found:
            raise not_found(f"No hypervisor matching '{query.pattern}' could be found.")
        page, more = self._page(found, query, version)
        body: dict[str, Any] = {"hypervisors": [self._render(req, h, self._detail) for h in page]}
        if more and page:
            body["hypervisors_links"] = [self._next(req, query, page[-1], version)]
        resp.media = body

    def _page(
        self, found: list[Hypervisor], query: ListQuery, version: Version
    ) -> tuple[list[Hypervisor], bool]:
        start = 0
        if query.marker is not None:
            ids = [_node_id(h.node, version) for h in found]
            if query.marker not in ids:
                raise bad_request(f"marker [{query.marker}] not found")
            start = ids.index(query.marker) + 1
        size = min(query.limit or self._hosts.settings.max_limit, self._hosts.settings.max_limit)
        if query.limit == 0:
            size = 0
        return found[start : start + size], start + size < len(found)

    def _next(
        self, req: falcon.Request, query: ListQuery, last: Hypervisor, version: Version
    ) -> dict[str, str]:
        params: dict[str, Any] = {"marker": _node_id(last.node, version)}
        if query.limit is not None:
            params = {"limit": query.limit, **params}
        if query.with_servers:
            params["with_servers"] = "true"
        path = "os-hypervisors/detail" if self._detail else "os-hypervisors"
        return {"rel": "next", "href": f"{request.base_url(req)}/{path}?{urlencode(params)}"}


class HypervisorItem(_Base):
    """``GET /os-hypervisors/{hypervisor_id}``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, hypervisor_id: str) -> None:
        authorize(req, SHOW_RULE)
        version = request.version(req)
        with_servers = version.at_least("2.53") and _flag(req, "with_servers")
        found = self._find(hypervisor_id, version, with_servers)
        resp.media = {"hypervisor": self._render(req, found, detail=True)}

    def _find(self, hypervisor_id: str, version: Version, with_servers: bool) -> Hypervisor:
        missing = not_found(f"Hypervisor with ID '{hypervisor_id}' could not be found.")
        if version.at_least("2.53"):
            try:
                uuidlib.UUID(hypervisor_id)
            except ValueError:
                raise bad_request(f"Invalid uuid {hypervisor_id}") from None
        elif _int_id(hypervisor_id) is None:
            raise missing

        def read(conn: sa.Connection) -> list[Hypervisor]:
            if version.at_least("2.53"):
                node = records.node_by_uuid(conn, hypervisor_id)
            else:
                node = records.node_by_id(conn, int(hypervisor_id))
            return _in_cell(conn, [node] if node else [], with_servers)

        # Before 2.53 ids are per cell: the first cell having one wins.
        for _, found in self._hosts.read_all(read).answered():
            if found:
                return found[0]
        raise missing


class HypervisorStatistics(_Base):
    """``GET /os-hypervisors/statistics`` (removed in 2.88)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        version = request.version(req)
        if version.at_least("2.88"):
            raise not_found("The resource could not be found.")
        authorize(req, STATISTICS_RULE)
        nodes = [h.node for h in self._all(None, with_servers=False)]
        resp.media = {"hypervisor_statistics": views.statistics(nodes, version)}


def install(
    app: falcon.App[falcon.Request, falcon.Response],
    deps: APIDeps,
    targets: CellTargets,
    settings: HostSettings,
) -> None:
    """Add the ``/os-hypervisors`` routes."""
    hosts = CellHosts(targets, settings)
    app.add_route("/v2.1/os-hypervisors", HypervisorList(hosts, detail=False))
    app.add_route("/v2.1/os-hypervisors/detail", HypervisorList(hosts, detail=True))
    app.add_route("/v2.1/os-hypervisors/statistics", HypervisorStatistics(hosts))
    app.add_route("/v2.1/os-hypervisors/{hypervisor_id}", HypervisorItem(hosts))
