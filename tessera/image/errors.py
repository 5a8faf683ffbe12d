"""What can go wrong in the image service, each carrying the HTTP status it maps to.

The service raises these; the HTTP layer renders them (see ``routes.py``). Keeping the
status on the exception means handlers never translate errors one by one.
"""

from __future__ import annotations

from typing import ClassVar


class ImageError(Exception):
    """Base of every error the image API reports to clients."""

    status: ClassVar[int] = 500
    """The HTTP status code this error is reported with."""
    title: ClassVar[str] = "Internal Server Error"
    """The short reason phrase shown next to the code."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImageBadRequest(ImageError):
    """The request is malformed or a field value is invalid."""

    status = 400
    title = "Bad Request"


class ImageUnauthorized(ImageError):
    """No credentials were presented."""

    status = 401
    title = "Unauthorized"


class ImageForbidden(ImageError):
    """The caller may see the image but not do this to it."""

    status = 403
    title = "Forbidden"


class ImageNotFound(ImageError):
    """No such image, or one the caller may not see."""

    status = 404
    title = "Not Found"


class ImageConflict(ImageError):
    """The image is in the wrong state for this request, or the id is taken."""

    status = 409
    title = "Conflict"


class ImageTooLarge(ImageError):
    """The image data, a request body or the tag count exceeds its limit."""

    status = 413
    title = "Request Entity Too Large"


class UnsupportedMediaType(ImageError):
    """The request body has a Content-Type this resource does not accept."""

    status = 415
    title = "Unsupported Media Type"


class LengthRequired(ImageError):
    """The upload has neither a Content-Length nor a chunked body."""

    status = 411
    title = "Length Required"


class ImageDataCorrupt(ImageError):
    """The stored bytes no longer match the checksum recorded at upload."""

    status = 500
    title = "Internal Server Error"
