"""How a :class:`~tessera.placement.client.PlacementClient` reaches placement.

Two transports share one small interface: :class:`WSGITransport` calls an
in-process placement app through a WSGI environ (no socket, no thread hop),
:class:`HTTPTransport` talks HTTP to a placement server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
import webob

from tessera.placement.errors import PlacementUnavailable
from tessera.placement.records import JSONObject

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

DEFAULT_VERSION = "1.39"
# noauth2 parses the token as ``user[:project]``; the user ``admin`` gets the admin role.
ADMIN_TOKEN = "admin"


@dataclass(frozen=True)
class Response:
    """One placement answer, decoded."""

    status: int
    """HTTP status code."""
    json: JSONObject | None
    """Decoded JSON body; None when the body is empty (204) or not JSON."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Response headers (case-sensitive keys as the server sent them)."""


class Transport(Protocol):
    """Sends one request to placement and returns its decoded answer."""

    def request(
        self,
        method: str,
        path: str,
        body: JSONObject | None = None,
        version: str = DEFAULT_VERSION,
    ) -> Response:
        """Send ``method path`` (path may carry a query string) at microversion ``version``."""
        ...


def request_headers(version: str, has_body: bool) -> dict[str, str]:
    """Headers every placement request carries."""
    headers = {
        "X-Auth-Token": ADMIN_TOKEN,
        "OpenStack-API-Version": f"placement {version}",
        "Accept": "application/json",
    }
    if has_body:
        headers["Content-Type"] = "application/json"
    return headers


def decode_body(raw: bytes) -> JSONObject | None:
    """The JSON object in ``raw``, or None for an empty or non-JSON body."""
    if not raw:
        return None
    try:
        decoded = json.loads(raw)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


class WSGITransport:
    """Calls an in-process placement WSGI app; safe to share between threads."""

    def __init__(self, app: WSGIApp) -> None:
        self._app = app

    def request(
        self,
        method: str,
        path: str,
        body: JSONObject | None = None,
        version: str = DEFAULT_VERSION,
    ) -> Response:
        """Build a fresh environ per call, so concurrent calls share nothing."""
        req = webob.Request.blank(
            path, method=method, headers=request_headers(version, body is not None)
        )
        if body is not None:
            req.body = json.dumps(body).encode()
        resp = req.get_response(self._app)
        return Response(resp.status_int, decode_body(resp.body), dict(resp.headers))


class HTTPTransport:
    """Talks HTTP to a placement server, with one ``requests.Session`` per thread."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        # requests.Session is not documented as thread-safe; a session per thread
        # still reuses keep-alive connections within each thread.
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """The server's root URL, without a trailing slash."""
        return self._base_url

    def request(
        self,
        method: str,
        path: str,
        body: JSONObject | None = None,
        version: str = DEFAULT_VERSION,
    ) -> Response:
        """Send the request; connection failures become :class:`PlacementUnavailable`."""
        data = json.dumps(body).encode() if body is not None else None
        headers = request_headers(version, data is not None)
        url = f"{self._base_url}{path}"
        try:
            resp = self._session().request(
                method, url, data=data, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as exc:
            raise PlacementUnavailable(f"{method} {url} failed: {exc}") from exc
        return Response(resp.status_code, decode_body(resp.content), dict(resp.headers))

    def close(self) -> None:
        """Close every thread's session."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session
