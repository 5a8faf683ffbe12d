"""Serving the WSGI app with a production threaded server (cheroot) in-process."""

from __future__ import annotations

import threading
from typing import Any

from cheroot import wsgi


class APIServer:
    """A cheroot server bound to ``host:port`` running in a background thread."""

    def __init__(self, app: Any, host: str, port: int, threads: int = 8) -> None:
        self._app = app
        self._server = wsgi.Server((host, port), app, numthreads=threads, server_name="tessera-api")
        self._thread: threading.Thread | None = None

    @property
    def app(self) -> Any:
        """The WSGI app served (for in-process clients and introspection)."""
        return self._app

    @property
    def port(self) -> int:
        """The bound port (useful when 0 was asked for)."""
        return int(self._server.bind_addr[1])

    def start(self) -> None:
        """Bind and serve in a thread."""
        self._server.prepare()
        self._thread = threading.Thread(target=self._server.serve, name="tessera-api", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting and finish in-flight requests."""
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
