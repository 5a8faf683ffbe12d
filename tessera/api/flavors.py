"""``/flavors``: list, detail and show."""

from __future__ import annotations

from typing import Any

import falcon

from tessera.api import request
from tessera.api.deps import APIDeps
from tessera.api.errors import not_found
from tessera.api.views.servers import links
from tessera.objects import flavor
from tessera.objects.flavor import Flavor, FlavorNotFound


def _brief(size: Flavor, base_url: str) -> dict[str, Any]:
    return {
        "id": size.flavorid,
        "name": size.name,
        "description": size.description,
        "links": links(base_url, "flavors", size.flavorid),
    }


def _detail(size: Flavor, base_url: str) -> dict[str, Any]:
    return {
        **_brief(size, base_url),
        "vcpus": size.vcpus,
        "ram": size.memory_mb,
        "disk": size.root_gb,
        "OS-FLV-EXT-DATA:ephemeral": size.ephemeral_gb,
        "swap": size.swap or "",
        "rxtx_factor": size.rxtx_factor,
        "os-flavor-access:is_public": size.is_public,
        "OS-FLV-DISABLED:disabled": size.disabled,
        "extra_specs": dict(size.extra_specs),
    }


class FlavorList:
    """``GET /flavors`` (``detail=False``) and ``GET /flavors/detail``."""

    def __init__(self, deps: APIDeps, detail: bool) -> None:
        self._deps = deps
        self._render = _detail if detail else _brief

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self._deps.api_engine.connect() as conn:
            sizes = flavor.get_all(conn)
        base = request.base_url(req)
        resp.media = {"flavors": [self._render(s, base) for s in sizes]}


class FlavorItem:
    """``GET /flavors/{flavor_id}``."""

    def __init__(self, deps: APIDeps) -> None:
        self._deps = deps

    def on_get(self, req: falcon.Request, resp: falcon.Response, flavor_id: str) -> None:
        try:
            with self._deps.api_engine.connect() as conn:
                size = flavor.get_by_flavorid(conn, flavor_id)
        except FlavorNotFound as exc:
            raise not_found(str(exc)) from None
        resp.media = {"flavor": _detail(size, request.base_url(req))}
