"""Database URLs as placement needs them.

Tessera's own engines use PyMySQL and psycopg 3, but placement (through
oslo.db) breaks on psycopg 3 (``PUT /allocations`` fails on ``lastrowid``),
so PostgreSQL URLs are rewritten to psycopg2 here.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError

from tessera.placement.errors import PlacementError
from tessera.urls.mask import mask_password

# Driver names placement cannot use (or that name no driver) -> the ones it can.
_PLACEMENT_DRIVERS = {
    "postgresql": "postgresql+psycopg2",
    "postgresql+psycopg": "postgresql+psycopg2",
    "postgresql+psycopg3": "postgresql+psycopg2",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "mariadb+pymysql": "mysql+pymysql",
}


def placement_connection(url: str) -> str:
    """Rewrite ``url`` to a driver placement works with; other URLs pass unchanged."""
    try:
        parsed = sa.make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise PlacementError(f"Malformed database URL {mask_password(url)!r}: {exc}") from exc
    driver = _PLACEMENT_DRIVERS.get(parsed.drivername)
    if driver is None:
        return url
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    """Whether ``url`` names a SQLite database."""
    return url.startswith("sqlite")
