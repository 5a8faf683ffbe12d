"""The OpenAPI document of the REST APIs: ``GET /v2.1/openapi.json`` and ``docs/openapi.json``.

:mod:`.document` builds it from the app's routes and :mod:`.registry` (the request
schemas of each operation); :mod:`.generate` writes or checks the committed copy.
"""

from __future__ import annotations

import json
from typing import Any

import falcon

from tessera.api.openapi.document import build

PATH = "/v2.1/openapi.json"


def render(document: dict[str, Any]) -> str:
    """The document as the committed file holds it (stable key order, trailing newline)."""
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


class OpenAPIDocument:
    """``GET /v2.1/openapi.json``: public, like the version documents."""

    def __init__(self, app: falcon.App[Any, Any]) -> None:
        self._app = app
        self._text: str | None = None

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        # Built on first use: by then every module has added its routes.
        if self._text is None:
            self._text = render(build(self._app))
        resp.content_type = falcon.MEDIA_JSON
        resp.text = self._text


def install(app: falcon.App[Any, Any]) -> None:
    """Serve the document of ``app`` at :data:`PATH`."""
    app.add_route(PATH, OpenAPIDocument(app))
