"""Database errors an operator can act on, each with a one-line message."""

from __future__ import annotations


class DatabaseError(Exception):
    """A database could not be used; ``str()`` is a one-line explanation."""


class BadDatabaseURL(DatabaseError):
    """The URL does not parse, or names a driver that is not installed."""


class DatabaseUnreachable(DatabaseError):
    """No connection could be opened after the configured retries."""


class SchemaMissing(DatabaseError):
    """The database exists but its schema has not been created (not synced)."""
