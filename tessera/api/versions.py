"""Version documents: ``GET /`` and ``GET /v2.1``."""

from __future__ import annotations

from typing import Any

import falcon

from tessera.api.microversions import MAX_VERSION, MIN_VERSION


def _v21(host_url: str) -> dict[str, Any]:
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": MAX_VERSION,
        "min_version": MIN_VERSION,
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": f"{host_url}/v2.1/"}],
        "media-types": [
            {
                "base": "application/json",
                "type": "application/vnd.openstack.compute+json;version=2.1",
            }
        ],
    }


class Root:
    """``GET /``: the versions this endpoint serves."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        v20 = {
            "id": "v2.0",
            "status": "DEPRECATED",
            "version": "",
            "min_version": "",
            "updated": "2025-07-04T12:00:00Z",
            "links": [{"rel": "self", "href": f"{req.prefix}/v2/"}],
        }
        resp.media = {"versions": [v20, _v21(req.prefix)]}


class V21:
    """``GET /v2.1``: the current version's document."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"version": _v21(req.prefix)}
