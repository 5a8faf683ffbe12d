"""The listing order in Python, comparing exactly as every cell's SQL sorts.

NULL is the smallest value of every column (first ascending, last descending)
and strings compare by code point; :mod:`tessera.compute.list_sql` makes each
backend sort the same way, so the merge and the cells' keyset conditions agree
and no server is skipped or repeated between pages.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import total_ordering
from typing import Any

from tessera.compute.api import ServerView
from tessera.compute.list_query import SortKey

Position = tuple[Any, ...]


@total_ordering
class _Reversed:
    """Wraps a value so that it sorts in the opposite direction."""

    __slots__ = ("inner",)

    def __init__(self, inner: tuple[Any, ...]) -> None:
        self.inner = inner

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.inner == other.inner

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _Reversed):
            return NotImplemented
        return bool(other.inner < self.inner)

    def __hash__(self) -> int:
        return hash(self.inner)

    def __repr__(self) -> str:
        return f"desc{self.inner!r}"


def _ascending(value: Any) -> tuple[Any, ...]:
    # A leading flag puts NULL before every value without comparing None to it.
    return (0,) if value is None else (1, value)


def position(values: Mapping[str, Any], order: Sequence[SortKey]) -> Position:
    """Where a server with ``values`` stands in ``order`` (smaller comes first)."""
    return tuple(
        _Reversed(_ascending(values.get(k.column)))
        if k.descending
        else _ascending(values.get(k.column))
        for k in order
    )


@dataclass(frozen=True)
class Listed:
    """One server found for a page, with its place in the order."""

    position: Position
    """Where it stands (see :func:`position`)."""
    view: ServerView
    """The server as the API shows it."""
    cell_uuid: str | None
    """The cell it was read from; None for a build request."""

    @property
    def uuid(self) -> str:
        """The server's uuid."""
        return str(self.view.instance.uuid)


def by_position(item: Listed) -> Position:
    """Sort key of a listed server."""
    return item.position


def merge(streams: Iterable[Sequence[Listed]]) -> list[Listed]:
    """K-way merge of sorted streams; a uuid seen before is dropped (first one wins)."""
    seen: set[str] = set()
    merged: list[Listed] = []
    for item in heapq.merge(*streams, key=by_position):
        if item.uuid not in seen:
            seen.add(item.uuid)
            merged.append(item)
    return merged
