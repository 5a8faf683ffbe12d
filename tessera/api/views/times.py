"""Timestamps as the admin resources render them."""

from __future__ import annotations

import datetime


def timestamp(value: datetime.datetime | None) -> str | None:
    """``2026-01-02T03:04:05.000000`` (UTC, always with microseconds), or None."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%f")
