"""What travels with every message: the request context as a plain dict.

Payloads themselves are JSON-safe dicts built by each record's ``to_dict``;
only the context needs (de)serializing.
"""

from __future__ import annotations

from typing import Any

import oslo_messaging

from tessera.context import RequestContext


class ContextSerializer(oslo_messaging.NoOpSerializer):  # type: ignore[misc]
    """Turns :class:`RequestContext` into a dict and back; entities pass as they are."""

    def serialize_context(self, ctxt: Any) -> dict[str, Any]:
        if isinstance(ctxt, RequestContext):
            return ctxt.to_dict()
        return dict(ctxt or {})

    def deserialize_context(self, ctxt: dict[str, Any]) -> RequestContext:
        return RequestContext.from_dict(ctxt or {})
