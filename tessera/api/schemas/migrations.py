"""Query strings of ``GET /os-migrations``: their schema per microversion and meaning.

Every parameter arrives as a list of strings (a name may repeat). Before 2.59
unknown parameters are accepted and ignored, and the paging and time filters do
not exist yet; from 2.59 an unknown parameter is a 400.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import jsonschema
from oslo_utils import strutils, timeutils

from tessera.api import validation
from tessera.api.errors import bad_request
from tessera.api.microversions import Version
from tessera.objects.migration import MigrationFilters

Params = dict[str, list[str]]


def _many(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "items": item}


def _single(item: dict[str, Any]) -> dict[str, Any]:
    return {**_many(item), "maxItems": 1}


_TEXT = _many({"type": "string"})
_FILTERS = ("hidden", "host", "instance_uuid", "source_compute", "status", "migration_type")
_TIME = _single({"type": "string", "minLength": 1})


def query_schema(version: Version) -> dict[str, Any]:
    """The schema of the query at ``version``."""
    properties: dict[str, Any] = {name: _TEXT for name in _FILTERS}
    if version.at_least("2.59"):
        properties["limit"] = _single({"type": "string", "pattern": "^[0-9]+$"})
        properties["marker"] = _single({"type": "string"})
        properties["changes-since"] = _TIME
    if version.at_least("2.66"):
        properties["changes-before"] = _TIME
    if version.at_least("2.80"):
        properties["user_id"] = _single({"type": "string"})
        properties["project_id"] = _single({"type": "string"})
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": not version.at_least("2.59"),
    }


@dataclass(frozen=True)
class MigrationQuery:
    """What a listing asks for."""

    filters: MigrationFilters
    """Which migrations."""
    limit: int | None = None
    """Page size asked for (2.59); None: every migration (before 2.59) or the largest page."""
    marker: str | None = None
    """Uuid of the last migration of the previous page (2.59)."""


def parse(params: Params, version: Version) -> MigrationQuery:
    """The validated query of ``params`` at ``version`` (400 for a bad one)."""
    schema = query_schema(version)
    try:
        validation.validate(params, schema)
    except jsonschema.ValidationError as exc:
        if not exc.absolute_path:  # an unknown parameter
            raise bad_request(f"Invalid input for query parameters. {exc.message}") from None
        name = str(exc.absolute_path[0])
        raise bad_request(
            f"Invalid input for query parameters {name}. Value: {exc.instance!r}. {exc.message}"
        ) from None
    # What a microversion does not know is ignored (before 2.59 it is not refused).
    params = {name: values for name, values in params.items() if name in schema["properties"]}
    since, before = _time(params, "changes-since"), _time(params, "changes-before")
    if since is not None and before is not None and before < since:
        raise bad_request(
            "The value of changes-since must be less than or equal to changes-before."
        )
    limit = _last(params, "limit")
    filters = MigrationFilters(
        status=_last(params, "status"),
        host=_last(params, "host"),
        source_compute=_last(params, "source_compute"),
        instance_uuid=_last(params, "instance_uuid"),
        migration_type=_last(params, "migration_type"),
        user_id=_last(params, "user_id"),
        project_id=_last(params, "project_id"),
        changes_since=since,
        changes_before=before,
        hidden=_hidden(params),
    )
    return MigrationQuery(
        filters, None if limit is None else validation.query_int(limit), _last(params, "marker")
    )


def _last(params: Params, name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _hidden(params: Params) -> bool:
    value = _last(params, "hidden")
    return value is not None and strutils.bool_from_string(value, default=False)


def _time(params: Params, name: str) -> datetime.datetime | None:
    value = _last(params, name)
    if value is None:
        return None
    try:
        return timeutils.normalize_time(timeutils.parse_isotime(value))
    except ValueError:
        raise bad_request(f"Invalid input for query parameters {name}. Value: {value!r}.") from None
