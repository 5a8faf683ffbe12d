"""How the compute API and computes reach the image service.

:class:`ImageClient` is the interface; both implementations speak in the image
API's own terms (Glance v2 create bodies and image documents) and raise the
image service's errors (:mod:`tessera.image.errors`), so callers cannot tell
them apart:

* :class:`LocalImageClient` calls an :class:`ImageService` in this process
  (the API process, which serves the image API, and the all-in-one);
* :class:`HTTPImageClient` talks to the image API over HTTP (a compute in its
  own process, configured by ``[image] api_servers``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

import requests
from oslo_config import cfg

from tessera.context import RequestContext
from tessera.image import errors, patch, views
from tessera.image.blobs import CHUNK_SIZE
from tessera.image.errors import ImageError, ImageNotFound
from tessera.image.parsing import image_spec
from tessera.image.service import ImageService

LOG = logging.getLogger(__name__)

_CORE = frozenset(
    {
        "id",
        "name",
        "status",
        "visibility",
        "owner",
        "protected",
        "os_hidden",
        "checksum",
        "os_hash_algo",
        "os_hash_value",
        "size",
        "virtual_size",
        "min_disk",
        "min_ram",
        "disk_format",
        "container_format",
        "created_at",
        "updated_at",
        "tags",
        "self",
        "file",
        "schema",
    }
)
_ERRORS: dict[int, type[ImageError]] = {
    400: errors.ImageBadRequest,
    401: errors.ImageUnauthorized,
    403: errors.ImageForbidden,
    404: errors.ImageNotFound,
    409: errors.ImageConflict,
    411: errors.LengthRequired,
    413: errors.ImageTooLarge,
    415: errors.UnsupportedMediaType,
}


class ImageServiceUnavailable(ImageError):
    """No image API could be reached, or it failed on its side."""

    status = 503
    title = "Service Unavailable"


@dataclass(frozen=True)
class ImageInfo:
    """What a caller learns of an image from the image API."""

    id: str
    """The image's uuid."""
    status: str
    """``queued``, ``saving`` or ``active``."""
    name: str | None = None
    """Display name."""
    size: int | None = None
    """Bytes of data, once uploaded."""
    checksum: str | None = None
    """MD5 of the data, once uploaded."""
    properties: Mapping[str, str] = field(default_factory=dict)
    """Custom properties (``instance_uuid``, ``image_type``, ...)."""

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ImageInfo:
        """Read an image document as the image API renders it."""
        return cls(
            id=str(document["id"]),
            status=str(document["status"]),
            name=document.get("name"),
            size=document.get("size"),
            checksum=document.get("checksum"),
            properties={
                k: str(v) for k, v in document.items() if k not in _CORE and isinstance(v, str)
            },
        )


class ImageClient(Protocol):
    """The image operations the compute service needs."""

    def create(self, ctx: RequestContext, body: Mapping[str, Any]) -> ImageInfo:
        """A new ``queued`` image from a ``POST /v2/images`` body."""
        ...

    def get(self, ctx: RequestContext, image_id: str) -> ImageInfo:
        """The image; ImageNotFound if it does not exist for ``ctx``."""
        ...

    def update(self, ctx: RequestContext, image_id: str, values: Mapping[str, Any]) -> ImageInfo:
        """Set attributes or properties (JSON patch ``add`` of each)."""
        ...

    def upload(self, ctx: RequestContext, image_id: str, data: BinaryIO, size: int) -> None:
        """Store what is left in ``data`` (``size`` bytes) as the image's data; it turns active."""
        ...

    def delete(self, ctx: RequestContext, image_id: str) -> None:
        """Delete the image; one that is already gone is not an error."""
        ...


def _patch_ops(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"op": "add", "path": f"/{name}", "value": value} for name, value in values.items()]


def file_chunks(data: BinaryIO, size: int) -> Iterator[bytes]:
    """At most ``size`` bytes of ``data`` in chunks (less if it ends first)."""
    left = size
    while left > 0:
        chunk = data.read(min(CHUNK_SIZE, left))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk


class LocalImageClient:
    """The image service of this process, called directly."""

    def __init__(self, service: ImageService) -> None:
        self._service = service

    def create(self, ctx: RequestContext, body: Mapping[str, Any]) -> ImageInfo:
        # The same parsing as the HTTP resource: the same 400s and 403s.
        record = self._service.create(ctx, image_spec(dict(body)))
        return ImageInfo.from_document(views.image(record))

    def get(self, ctx: RequestContext, image_id: str) -> ImageInfo:
        return ImageInfo.from_document(views.image(self._service.get(ctx, image_id)))

    def update(self, ctx: RequestContext, image_id: str, values: Mapping[str, Any]) -> ImageInfo:
        record = self._service.update(ctx, image_id, patch.parse(_patch_ops(values)))
        return ImageInfo.from_document(views.image(record))

    def upload(self, ctx: RequestContext, image_id: str, data: BinaryIO, size: int) -> None:
        self._service.upload(ctx, image_id, file_chunks(data, size), size)

    def delete(self, ctx: RequestContext, image_id: str) -> None:
        with contextlib.suppress(ImageNotFound):
            self._service.delete(ctx, image_id)


def token(ctx: RequestContext) -> str:
    """The noauth2 token standing for ``ctx`` (the image API trusts ``user:project``)."""
    user = "admin" if ctx.is_admin else (ctx.user_id or "anonymous")
    return f"{user}:{ctx.project_id or ''}"


class HTTPImageClient:
    """The image API at one of ``endpoints`` (tried in order while unreachable)."""

    def __init__(self, endpoints: Sequence[str], timeout: float = 600.0) -> None:
        if not endpoints:
            raise ValueError("HTTPImageClient needs at least one image API endpoint")
        self._endpoints = [e.rstrip("/") for e in endpoints]
        self._timeout = timeout
        self._session = requests.Session()

    def create(self, ctx: RequestContext, body: Mapping[str, Any]) -> ImageInfo:
        sent = json.dumps(dict(body))
        answer = self._send(ctx, "POST", "/v2/images", sent, "application/json")
        return ImageInfo.from_document(answer.json())

    def get(self, ctx: RequestContext, image_id: str) -> ImageInfo:
        return ImageInfo.from_document(self._send(ctx, "GET", f"/v2/images/{image_id}").json())

    def update(self, ctx: RequestContext, image_id: str, values: Mapping[str, Any]) -> ImageInfo:
        sent = json.dumps(_patch_ops(values))
        answer = self._send(ctx, "PATCH", f"/v2/images/{image_id}", sent, patch.MEDIA_TYPE)
        return ImageInfo.from_document(answer.json())

    def upload(self, ctx: RequestContext, image_id: str, data: BinaryIO, size: int) -> None:
        start = data.tell()

        def body() -> BinaryIO:
            data.seek(start)  # a retry on the next endpoint starts over
            return data

        # requests sends a file's remaining length as Content-Length; the size header lets
        # the image API refuse an image over its cap before any byte moves.
        extra = {"X-OpenStack-Image-Size": str(size)}
        path = f"/v2/images/{image_id}/file"
        self._send(ctx, "PUT", path, body, "application/octet-stream", extra)

    def delete(self, ctx: RequestContext, image_id: str) -> None:
        with contextlib.suppress(ImageNotFound):
            self._send(ctx, "DELETE", f"/v2/images/{image_id}")

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def _send(
        self,
        ctx: RequestContext,
        method: str,
        path: str,
        body: Any = None,
        content_type: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> requests.Response:
        headers = {"X-Auth-Token": token(ctx), "Accept": "application/json", **(extra or {})}
        if content_type is not None:
            headers["Content-Type"] = content_type
        unreachable: list[str] = []
        for endpoint in self._endpoints:
            data = body() if callable(body) else body
            try:
                answer = self._session.request(
                    method, endpoint + path, data=data, headers=headers, timeout=self._timeout
                )
            except requests.ConnectionError as exc:
                LOG.warning("Image API %s unreachable: %s", endpoint, exc)
                unreachable.append(endpoint)
                continue
            return _checked(answer)
        raise ImageServiceUnavailable(f"No image API reachable (tried {', '.join(unreachable)})")


def _checked(answer: requests.Response) -> requests.Response:
    """``answer`` if it succeeded; otherwise the image service's error for its status."""
    if answer.status_code < 400:
        return answer
    try:
        message = str(answer.json().get("message") or answer.reason)
    except (ValueError, AttributeError):
        message = answer.text or str(answer.reason)
    error = _ERRORS.get(answer.status_code, ImageServiceUnavailable)
    raise error(message)


def from_conf(conf: cfg.ConfigOpts) -> HTTPImageClient | None:
    """The HTTP client ``[image] api_servers`` describes; None when none is configured."""
    servers: list[str] = list(conf.image.api_servers or [])
    if not servers:
        return None
    return HTTPImageClient(servers, conf.image.timeout)
