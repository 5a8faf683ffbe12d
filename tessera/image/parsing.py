"""Request input turned into records: a create body into an ImageSpec, a query into a ListQuery.

Unknown query parameters filter on custom properties, as in Glance (``?os_distro=x``);
a filter on a computed attribute we cannot match is refused rather than silently
matching nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from typing import Any

from tessera.image.errors import ImageBadRequest
from tessera.image.listing import SORT_KEYS
from tessera.image.records import ImageSpec, ListQuery, SortKey, Visibility
from tessera.image.schemas import (
    ATTRIBUTES,
    CREATE,
    READ_ONLY,
    check_property_name,
    validate,
)

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
MAX_SIZE = 2**63 - 1
"""The largest image size the ``size`` column (64-bit) holds: the bound of size filters."""
# Exact-match filters (``images`` columns); each also takes ``in:a,b``.
MATCH_FILTERS = (
    "id",
    "name",
    "status",
    "owner",
    "disk_format",
    "container_format",
    "checksum",
    "os_hash_value",
)
CONTROL_PARAMS = (
    "limit",
    "marker",
    "sort",
    "sort_key",
    "sort_dir",
    "visibility",
    "size_min",
    "size_max",
    "protected",
    "os_hidden",
    "tag",
    "member_status",  # there are no members; every image is "accepted" for its viewers
)
"""Query parameters of the image list that page, sort or select rather than match a field."""
_VISIBILITY_FILTERS = (*(v.value for v in Visibility), "all")

QueryParams = Mapping[str, str | list[str]]


def image_spec(body: object) -> ImageSpec:
    """The ImageSpec a ``POST /v2/images`` body asks for (403 for computed attributes)."""
    if not isinstance(body, dict):
        raise ImageBadRequest("The request body must be a JSON object.")
    for key in body:
        check_property_name(str(key))
    validate(body, CREATE)
    return _spec(body)


def _spec(body: dict[str, Any]) -> ImageSpec:
    return ImageSpec(
        name=body.get("name"),
        disk_format=body.get("disk_format"),
        container_format=body.get("container_format"),
        visibility=Visibility(body.get("visibility", Visibility.SHARED)),
        min_disk=body.get("min_disk", 0),
        min_ram=body.get("min_ram", 0),
        protected=body.get("protected", False),
        hidden=body.get("os_hidden", False),
        tags=tuple(body.get("tags", ())),
        properties={k: v for k, v in body.items() if k not in ATTRIBUTES},
        id=body.get("id"),
        owner=body.get("owner"),
    )


def list_query(params: QueryParams) -> ListQuery:
    """The ListQuery of a ``GET /v2/images`` query string."""
    return ListQuery(
        matches=_matches(params),
        properties=_property_filters(params),
        tags=tuple(_all(params, "tag")),
        visibility=_visibility(params),
        size_min=_count(params, "size_min"),
        size_max=_count(params, "size_max"),
        protected=_flag(params, "protected"),
        hidden=_flag(params, "os_hidden") or False,
        sort=_sort(params),
        limit=_limit(params),
        marker=_one(params, "marker"),
    )


def _one(params: QueryParams, key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, list):
        raise ImageBadRequest(f"Parameter {key} may be given only once.")
    return value


def _all(params: QueryParams, key: str) -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(params: QueryParams) -> dict[str, tuple[str, ...]]:
    found = {key: _one(params, key) for key in MATCH_FILTERS}
    return {key: _accepted_values(value) for key, value in found.items() if value is not None}


def _accepted_values(value: str) -> tuple[str, ...]:
    # ``in:a,b`` lists alternatives; csv honours quotes around values holding commas.
    if not value.startswith("in:"):
        return (value,)
    return tuple(next(csv.reader([value[3:]], skipinitialspace=True), []))


def _property_filters(params: QueryParams) -> dict[str, str]:
    filters: dict[str, str] = {}
    for key in params:
        if key in MATCH_FILTERS or key in CONTROL_PARAMS:
            continue
        if key in READ_ONLY:
            raise ImageBadRequest(f"Filtering on {key} is not supported.")
        check_property_name(key)
        value = _one(params, key)
        assert value is not None
        filters[key] = value
    return filters


def _visibility(params: QueryParams) -> str | None:
    value = _one(params, "visibility")
    if value is not None and value not in _VISIBILITY_FILTERS:
        raise ImageBadRequest(f"Invalid visibility value: {value}")
    return value


def bounded_count(text: str, ceiling: int) -> int | None:
    """``text`` as a non-negative integer, None unless it is ASCII digits; every number
    above ``ceiling`` is ``ceiling + 1`` (told by length first: int() refuses numbers of
    thousands of digits)."""
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(ceiling)) or int(digits) > ceiling:
        return ceiling + 1
    return int(digits)


def _count(params: QueryParams, key: str) -> int | None:
    """A size bound: refused beyond the ``size`` column's range, so that no database is
    asked to compare with a number it cannot hold."""
    value = _one(params, key)
    if value is None:
        return None
    found = bounded_count(value, MAX_SIZE)
    if found is None or found > MAX_SIZE:
        raise ImageBadRequest(f"{key} param must be an integer from 0 to {MAX_SIZE}")
    return found


def _limit(params: QueryParams) -> int:
    # Larger requests are capped, not refused, as Glance's api_limit_max does.
    value = _one(params, "limit")
    if value is None:
        return DEFAULT_LIMIT
    found = bounded_count(value, MAX_LIMIT)
    if found is None:
        raise ImageBadRequest("limit param must be a non-negative integer")
    return min(found, MAX_LIMIT)


def _flag(params: QueryParams, key: str) -> bool | None:
    value = _one(params, key)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise ImageBadRequest(f"{key} param must be true or false")
    return value.lower() == "true"


def _sort(params: QueryParams) -> tuple[SortKey, ...]:
    combined = _one(params, "sort")
    keys, directions = _all(params, "sort_key"), _all(params, "sort_dir")
    if combined is not None:
        if keys or directions:
            raise ImageBadRequest("sort cannot be combined with sort_key or sort_dir.")
        return tuple(_sort_term(term) for term in combined.split(","))
    keys = keys or ["created_at"]
    directions = directions or ["desc"]
    if len(directions) == 1:
        directions = directions * len(keys)
    if len(directions) != len(keys):
        raise ImageBadRequest("Give one sort_dir, or one per sort_key.")
    return tuple(_sort_key(k, d) for k, d in zip(keys, directions, strict=True))


def _sort_term(term: str) -> SortKey:
    key, _, direction = term.strip().partition(":")
    return _sort_key(key, direction or "desc")


def _sort_key(key: str, direction: str) -> SortKey:
    if key not in SORT_KEYS:
        raise ImageBadRequest(f"Invalid sort key: {key}")
    if direction not in ("asc", "desc"):
        raise ImageBadRequest(f"Invalid sort direction: {direction}")
    return SortKey(key, direction == "desc")
