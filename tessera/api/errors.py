"""Errors in the compute API's form: ``{"<faultName>": {"code": N, "message": "..."}}``."""

from __future__ import annotations

import json
import logging
from typing import Any

import falcon

LOG = logging.getLogger(__name__)

FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}


class APIError(Exception):
    """An error the API reports with ``status`` and ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(message: str) -> APIError:
    """404 ``itemNotFound``."""
    return APIError(404, message)


def bad_request(message: str) -> APIError:
    """400 ``badRequest``."""
    return APIError(400, message)


def fault_body(status: int, message: str) -> str:
    """The JSON body of an error response."""
    name = FAULT_NAMES.get(status, "computeFault")
    return json.dumps({name: {"code": status, "message": message}})


def _respond(resp: falcon.Response, status: int, message: str) -> None:
    resp.status = falcon.code_to_http_status(status)
    resp.content_type = "application/json"
    resp.text = fault_body(status, message)


def handle_api_error(req: falcon.Request, resp: falcon.Response, ex: APIError, params: Any) -> None:
    """Render an APIError."""
    _respond(resp, ex.status, ex.message)


def handle_http_error(
    req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError, params: Any
) -> None:
    """Render Falcon's own errors (bad JSON, unknown route, wrong method) our way."""
    message = ex.description or ex.title or "Error"
    if ex.status_code == 404 and not ex.description:
        message = "The resource could not be found."
    _respond(resp, ex.status_code, message)


def handle_unexpected(
    req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any
) -> None:
    """500 ``computeFault`` without leaking a traceback."""
    LOG.exception("Unexpected API error on %s %s", req.method, req.path)
    message = (
        "Unexpected API Error. Please report this at your cloud's support desk and "
        f"attach the API log if possible.\n{type(ex).__name__}"
    )
    _respond(resp, 500, message)


def install(app: falcon.App[falcon.Request, falcon.Response]) -> None:
    """Register the handlers, most specific last (Falcon picks the closest match)."""
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(falcon.HTTPError, handle_http_error)
    app.add_error_handler(APIError, handle_api_error)
