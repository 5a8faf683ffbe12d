"""Query-string pieces every listing shares: schemas of repeated values, and readers.

Query strings arrive as ``{name: [value, ...]}`` (a name may repeat); schemas
check every value, and the readers take the last one, as the reference does.
"""

from __future__ import annotations

import datetime
from typing import Any

from oslo_utils import timeutils

Params = dict[str, list[str]]
"""A parsed query string: every value of each name, in order."""


def many(item: dict[str, Any]) -> dict[str, Any]:
    """Schema of a query parameter given one or more times, each value matching ``item``."""
    return {"type": "array", "minItems": 1, "items": item}


def single(item: dict[str, Any]) -> dict[str, Any]:
    """Schema of a query parameter given at most once."""
    return {**many(item), "maxItems": 1}


def last(params: Params, name: str) -> str | None:
    """The last value given for ``name``, or None."""
    values = params.get(name)
    return values[-1] if values else None


def iso_time(params: Params, name: str) -> datetime.datetime | None:
    """The last ``name`` as a naive UTC time; ValueError when it is no ISO 8601 time."""
    value = last(params, name)
    if value is None:
        return None
    return timeutils.normalize_time(timeutils.parse_isotime(value))
