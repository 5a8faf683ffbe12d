"""Versioned notifications, on their own transport, named after service and host."""

from __future__ import annotations

from typing import Any

import oslo_messaging
from oslo_config import cfg

from tessera.context import RequestContext
from tessera.rpc.registry import TransportRegistry
from tessera.rpc.serializer import ContextSerializer

VERSIONED_TOPIC = "versioned_notifications"


def notification_url(conf: cfg.ConfigOpts, default: str) -> str:
    """``[oslo_messaging_notifications] transport_url``, else the service's own URL."""
    group = "oslo_messaging_notifications"
    if group not in conf or "transport_url" not in conf[group]:
        return default
    url: str | None = conf[group].transport_url
    return url or default


class Notifier:
    """Emits ``<event_type>`` notifications as ``<binary>:<host>``."""

    def __init__(self, transports: TransportRegistry, url: str, binary: str, host: str) -> None:
        self.publisher_id = f"{binary}:{host}"
        self._notifier = oslo_messaging.Notifier(
            transports.notification(url),
            publisher_id=self.publisher_id,
            driver="messagingv2",
            topics=[VERSIONED_TOPIC],
            serializer=ContextSerializer(),
        )

    def info(self, ctx: RequestContext, event_type: str, payload: dict[str, Any]) -> None:
        """Emit an INFO notification."""
        self._notifier.info(ctx, event_type, payload)

    def error(self, ctx: RequestContext, event_type: str, payload: dict[str, Any]) -> None:
        """Emit an ERROR notification."""
        self._notifier.error(ctx, event_type, payload)


def listen(
    transports: TransportRegistry, url: str, endpoints: list[Any], pool: str | None = None
) -> Any:
    """Start a listener for versioned notifications on ``url`` (threading executor)."""
    target = oslo_messaging.Target(topic=VERSIONED_TOPIC)
    listener = oslo_messaging.get_notification_listener(
        transports.notification(url), [target], endpoints, pool=pool, serializer=ContextSerializer()
    )
    listener.start()
    return listener
