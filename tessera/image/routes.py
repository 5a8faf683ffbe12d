"""Mounting the image API on a Falcon app, and rendering its errors.

Errors follow the shape ``{"code": N, "title": "...", "message": "..."}``: clients of
the image API (openstackclient, openstacksdk) act on the status code, and the message
says what was wrong.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon

from tessera.image import schemas
from tessera.image.errors import ImageError
from tessera.image.resources import (
    ImageCollection,
    ImageFile,
    ImageItem,
    ImageTag,
    SchemaDocument,
)
from tessera.image.service import ImageService
from tessera.image.versions import VersionList

LOG = logging.getLogger(__name__)


def install(
    app: falcon.App[falcon.Request, falcon.Response],
    service: ImageService,
    prefix: str = "/image",
) -> None:
    """Add the image API's routes and error handler to ``app`` under ``prefix``."""
    if not prefix.startswith("/") or prefix == "/":
        raise ValueError(f"The image API needs a prefix like '/image', not {prefix!r}")
    prefix = prefix.rstrip("/")
    _add_version_routes(app, prefix)
    v2 = f"{prefix}/v2"
    app.add_route(f"{v2}/images", ImageCollection(service))
    app.add_route(f"{v2}/images/{{image_id}}", ImageItem(service))
    app.add_route(f"{v2}/images/{{image_id}}/file", ImageFile(service))
    app.add_route(f"{v2}/images/{{image_id}}/tags/{{tag}}", ImageTag(service))
    app.add_route(f"{v2}/schemas/image", SchemaDocument(schemas.image_document()))
    app.add_route(f"{v2}/schemas/images", SchemaDocument(schemas.images_document()))
    app.add_error_handler(ImageError, render_error)


def _add_version_routes(app: falcon.App[falcon.Request, falcon.Response], prefix: str) -> None:
    choices = VersionList(prefix, 300)
    app.add_route(prefix, choices)
    # Only reached when the app keeps trailing slashes (strip_url_path_trailing_slash off).
    app.add_route(f"{prefix}/", choices)
    app.add_route(f"{prefix}/versions", VersionList(prefix, 200))


def render_error(
    req: falcon.Request, resp: falcon.Response, ex: ImageError, params: dict[str, Any]
) -> None:
    """Answer with the error's status and a JSON body describing it."""
    if ex.status >= 500:
        LOG.error("Image API %s %s failed: %s", req.method, req.path, ex.message)
    resp.status = falcon.code_to_http_status(ex.status)
    resp.content_type = falcon.MEDIA_JSON
    resp.media = {"code": ex.status, "title": ex.title, "message": ex.message}
