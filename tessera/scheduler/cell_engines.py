"""Engines of the cells' databases, created without connecting.

``tessera.db.engines.Databases.engine`` connects eagerly and retries a dead
database ``[database] max_retries`` times before answering. The scheduler must
never wait for that on a request path, so it keeps its own lazy engines: a
dead cell database only fails (or times out) inside that cell's scatter-gather
thread, within the per-cell deadline.
"""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from tessera.db.engines import create_engine


class CellEngines:
    """One lazily connecting engine per cell database URL."""

    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def engine(self, url: str) -> Engine:
        """The engine for ``url`` (created on first use, never connected here)."""
        with self._lock:
            engine = self._engines.get(url)
            if engine is None:
                engine = self._engines[url] = create_engine(url)
            return engine

    def dispose(self) -> None:
        """Close every pool (SIGHUP: cell URLs may have changed; service stop)."""
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.dispose()
