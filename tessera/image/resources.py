"""Falcon resources of the Glance v2 subset: images, their data, tags and schemas.

The caller is the one the app's auth middleware put on ``req.context.ctx`` (under
keystone, which validated the token); where none did (noauth2, or the image API in an
app of its own) the noauth2 token ``user:project`` is trusted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

import falcon

from tessera.api.auth import context_from_token
from tessera.context import RequestContext
from tessera.image import patch, views
from tessera.image.blobs import CHUNK_SIZE
from tessera.image.errors import (
    ImageBadRequest,
    ImageTooLarge,
    ImageUnauthorized,
    LengthRequired,
    UnsupportedMediaType,
)
from tessera.image.parsing import MAX_SIZE, bounded_count, image_spec, list_query
from tessera.image.service import ImageService

MAX_JSON_BODY = 1024 * 1024
JSON = "application/json"
OCTET_STREAM = "application/octet-stream"


def request_context(req: falcon.Request) -> RequestContext:
    """The caller: as the app's auth middleware found it, else named by a noauth2
    ``X-Auth-Token``; 401 without one."""
    # Under keystone the compute app's middleware has validated the token: it is opaque,
    # not ``user:project``.
    found = getattr(req.context, "ctx", None)
    if isinstance(found, RequestContext):
        return found
    token = req.get_header("X-Auth-Token")
    if not token:
        raise ImageUnauthorized("This server could not verify that you are authorized.")
    return context_from_token(token)


def _media_type(req: falcon.Request) -> str | None:
    if not req.content_type:
        return None
    return req.content_type.split(";", 1)[0].strip().lower()


def _require_media_type(req: falcon.Request, accepted: tuple[str | None, ...]) -> None:
    media_type = _media_type(req)
    if media_type not in accepted:
        raise UnsupportedMediaType(f"Unsupported Content-Type {media_type}")


def _json_body(req: falcon.Request) -> object:
    if req.content_length and req.content_length > MAX_JSON_BODY:
        raise ImageTooLarge("Request body is too large.")
    raw = req.bounded_stream.read(MAX_JSON_BODY + 1)
    if len(raw) > MAX_JSON_BODY:
        raise ImageTooLarge("Request body is too large.")
    try:
        return json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        # RecursionError: nesting deeper than the decoder follows.
        raise ImageBadRequest("Malformed JSON in request body.") from None


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _chunks(stream: _Readable) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_SIZE):
        yield chunk


def _upload_source(req: falcon.Request) -> Iterator[bytes]:
    # A chunked body has no Content-Length; the server then marks the input as ending.
    if req.content_length is not None:
        return _chunks(req.bounded_stream)
    if req.env.get("wsgi.input_terminated"):
        return _chunks(req.stream)
    raise LengthRequired("Upload needs a Content-Length or chunked transfer encoding.")


def _announced_size(req: falcon.Request) -> int | None:
    # openstacksdk announces the size separately, which also covers chunked uploads.
    header = req.get_header("X-OpenStack-Image-Size")
    # Any size beyond MAX_SIZE reads as MAX_SIZE + 1, which the service refuses as too large.
    announced = None if header is None else bounded_count(header, MAX_SIZE)
    return req.content_length if announced is None else announced


def _send_json(resp: falcon.Response, body: dict[str, Any], status: int = 200) -> None:
    resp.status = falcon.code_to_http_status(status)
    resp.content_type = JSON
    resp.text = json.dumps(body)


class ImageCollection:
    """``GET /v2/images`` (list) and ``POST /v2/images`` (create)."""

    def __init__(self, service: ImageService) -> None:
        self._service = service

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        ctx = request_context(req)
        query = list_query(req.params)
        found = self._service.list(ctx, query)
        _send_json(resp, views.page(found, req.params, query.limit))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        ctx = request_context(req)
        _require_media_type(req, (None, JSON))
        image = self._service.create(ctx, image_spec(_json_body(req)))
        _send_json(resp, views.image(image), status=201)


class ImageItem:
    """``GET``, ``PATCH`` and ``DELETE /v2/images/{image_id}``."""

    def __init__(self, service: ImageService) -> None:
        self._service = service

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        image = self._service.get(request_context(req), image_id)
        _send_json(resp, views.image(image))

    def on_patch(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        ctx = request_context(req)
        _require_media_type(req, (patch.MEDIA_TYPE,))
        ops = patch.parse(_json_body(req))
        _send_json(resp, views.image(self._service.update(ctx, image_id, ops)))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        self._service.delete(request_context(req), image_id)
        resp.status = falcon.HTTP_204


class ImageFile:
    """``PUT`` (upload) and ``GET`` (download) ``/v2/images/{image_id}/file``."""

    def __init__(self, service: ImageService) -> None:
        self._service = service

    def on_put(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        ctx = request_context(req)
        _require_media_type(req, (None, OCTET_STREAM))
        source = _upload_source(req)
        self._service.upload(ctx, image_id, source, _announced_size(req))
        resp.status = falcon.HTTP_204

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        download = self._service.download(request_context(req), image_id)
        digest = download.image.digest
        if download.chunks is None or digest is None:
            resp.status = falcon.HTTP_204
            return
        resp.content_type = OCTET_STREAM
        resp.set_header("Content-MD5", digest.checksum)
        resp.content_length = digest.size
        resp.stream = download.chunks


class ImageTag:
    """``PUT`` and ``DELETE /v2/images/{image_id}/tags/{tag}``."""

    def __init__(self, service: ImageService) -> None:
        self._service = service

    def on_put(self, req: falcon.Request, resp: falcon.Response, image_id: str, tag: str) -> None:
        _check_tag(tag)
        self._service.add_tag(request_context(req), image_id, tag)
        resp.status = falcon.HTTP_204

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, image_id: str, tag: str
    ) -> None:
        self._service.remove_tag(request_context(req), image_id, tag)
        resp.status = falcon.HTTP_204


def _check_tag(tag: str) -> None:
    if not 0 < len(tag) <= 255:
        raise ImageBadRequest("A tag must be 1 to 255 characters long.")


class SchemaDocument:
    """``GET /v2/schemas/image`` or ``/v2/schemas/images``."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        request_context(req)
        _send_json(resp, self._document)
