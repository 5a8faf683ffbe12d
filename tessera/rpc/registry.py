"""Transports of one process: one per URL, created on first use and reused.

A service owns one :class:`TransportRegistry` and passes it where needed (cell
targeting, clients, servers); transports are never cached in module globals.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

from oslo_config import cfg

from tessera.rpc.transports import register_messaging_opts

with warnings.catch_warnings():
    # oslo.messaging imports eventlet-era modules that warn at import; we never patch.
    warnings.simplefilter("ignore")
    import oslo_messaging


class TransportRegistry:
    """RPC and notification transports keyed by URL, owned by one service or process."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        register_messaging_opts(conf)
        self._conf = conf
        self._rpc: dict[str, Any] = {}
        self._notification: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def conf(self) -> cfg.ConfigOpts:
        """The configuration transports are built with."""
        return self._conf

    def rpc(self, url: str) -> Any:
        """The RPC transport for ``url`` (a cell's, or the API level's)."""
        return self._get(self._rpc, url, oslo_messaging.get_rpc_transport)

    def notification(self, url: str) -> Any:
        """The notification transport for ``url``."""
        return self._get(self._notification, url, oslo_messaging.get_notification_transport)

    def _get(self, cache: dict[str, Any], url: str, factory: Any) -> Any:
        with self._lock:
            transport = cache.get(url)
            if transport is None:
                transport = factory(self._conf, url=url)
                cache[url] = transport
            return transport

    def forget(self, url: str) -> None:
        """Drop (and clean up) the transports of ``url``, e.g. after a cell URL change."""
        with self._lock:
            dropped = [c.pop(url) for c in (self._rpc, self._notification) if url in c]
        for transport in dropped:
            transport.cleanup()

    def cleanup(self) -> None:
        """Close every transport this registry created."""
        with self._lock:
            transports = [*self._rpc.values(), *self._notification.values()]
            self._rpc.clear()
            self._notification.clear()
        for transport in transports:
            transport.cleanup()
