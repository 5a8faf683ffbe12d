"""A small HTTP client of a running devstack: the compute API and placement.

The compute API has no list call yet, so the ids of a multi-create come from
the API database's instance mappings (by project); everything a user sees is
read over HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import sqlalchemy as sa

from tessera.objects import instance_mapping

ADMIN = "admin:admin"
_TIMEOUT = 10.0


@dataclass(frozen=True)
class Cloud:
    """Where a devstack answers and what it keeps its mappings in."""

    api: str
    """Compute API root (``http://127.0.0.1:<port>/v2.1``)."""
    placement: str
    """Placement root."""
    api_database: str
    """API database URL (for instance mappings)."""

    def lift_quota(self, project: str) -> None:
        """As admin: no instance, core or RAM limit for ``project``."""
        body = {"quota_set": {"instances": -1, "cores": -1, "ram": -1}}
        resp = requests.put(
            f"{self.api}/os-quota-sets/{project}",
            json=body,
            headers=_token(ADMIN),
            timeout=_TIMEOUT,
        )
        resp.raise_for_status()

    def boot(self, project: str, name: str, count: int = 1) -> requests.Response:
        """``POST /servers`` of ``count`` m1.tiny servers as ``demo`` in ``project``."""
        body: dict[str, Any] = {
            "server": {
                "name": name,
                "flavorRef": "1",
                "imageRef": "cirros",
                "networks": "none",
                "max_count": count,
            }
        }
        return requests.post(
            f"{self.api}/servers", json=body, headers=_token(f"demo:{project}"), timeout=_TIMEOUT
        )

    def show(self, uuid: str) -> dict[str, Any] | None:
        """The server as an admin sees it (with its host), or None after a 404."""
        resp = requests.get(f"{self.api}/servers/{uuid}", headers=_token(ADMIN), timeout=_TIMEOUT)
        if resp.status_code == 404:
            return None
        resp.raise_for_status()
        server: dict[str, Any] = resp.json()["server"]
        return server

    def delete(self, uuid: str, project: str) -> int:
        """``DELETE /servers/{uuid}`` as the owner; the status code."""
        resp = requests.delete(
            f"{self.api}/servers/{uuid}", headers=_token(f"demo:{project}"), timeout=_TIMEOUT
        )
        return resp.status_code

    def flavors_status(self) -> int:
        """Status code of ``GET /flavors`` (is the API answering?)."""
        return requests.get(
            f"{self.api}/flavors", headers=_token(ADMIN), timeout=_TIMEOUT
        ).status_code

    def allocations(self, consumer: str) -> dict[str, Any]:
        """Placement's ``GET /allocations/{consumer}`` (``{}`` when it holds none)."""
        resp = requests.get(
            f"{self.placement}/allocations/{consumer}",
            headers={"X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.39"},
            timeout=_TIMEOUT,
        )
        resp.raise_for_status()
        allocations: dict[str, Any] = resp.json()["allocations"]
        return allocations

    def server_uuids(self, project: str) -> list[str]:
        """Every server of ``project`` (from the instance mappings)."""
        table = instance_mapping.TABLE
        engine = sa.create_engine(self.api_database, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.select(table.c.instance_uuid).where(table.c.project_id == project)
                )
                return [row[0] for row in rows]
        finally:
            engine.dispose()

    def wait_all(
        self,
        uuids: list[str],
        settled: Callable[[dict[str, Any]], bool],
        timeout: float,
    ) -> dict[str, dict[str, Any]]:
        """Poll until ``settled`` holds for every server; return the last view of each."""
        views: dict[str, dict[str, Any]] = {}
        pending = list(uuids)
        deadline = time.monotonic() + timeout
        while pending:
            for uuid in list(pending):
                view = self.show(uuid)
                assert view is not None, f"server {uuid} vanished"
                views[uuid] = view
                if settled(view):
                    pending.remove(uuid)
            if pending and time.monotonic() > deadline:
                states = {u: views[u]["status"] for u in pending}
                raise AssertionError(f"{len(pending)} servers not settled in {timeout}s: {states}")
            if pending:
                time.sleep(0.5)
        return views


def _token(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def host_of(view: dict[str, Any]) -> str | None:
    """``OS-EXT-SRV-ATTR:host`` of an admin's view."""
    host: str | None = view.get("OS-EXT-SRV-ATTR:host")
    return host
