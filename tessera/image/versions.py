"""The image endpoint's version list, served without a token.

Clients discover the API from it: keystoneauth reads ``GET /image`` (Glance answers
300 Multiple Choices there, 200 at ``/versions``) and follows the ``self`` link of a
``v2.x`` entry. The newest version is ``CURRENT``, the others ``SUPPORTED``.
"""

from __future__ import annotations

from typing import Any

import falcon

CURRENT_MINOR = 16


def document(endpoint: str) -> dict[str, Any]:
    """The version list for an image endpoint at ``endpoint`` (absolute URL)."""
    return {"versions": [_version(minor, endpoint) for minor in range(CURRENT_MINOR, -1, -1)]}


def _version(minor: int, endpoint: str) -> dict[str, Any]:
    return {
        "id": f"v2.{minor}",
        "status": "CURRENT" if minor == CURRENT_MINOR else "SUPPORTED",
        "links": [{"rel": "self", "href": f"{endpoint}/v2/"}],
    }


class VersionList:
    """``GET <prefix>`` (300) and ``GET <prefix>/versions`` (200)."""

    def __init__(self, prefix: str, status: int) -> None:
        self._prefix = prefix
        self._status = falcon.code_to_http_status(status)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.status = self._status
        resp.media = document(f"{req.prefix}{self._prefix}")
