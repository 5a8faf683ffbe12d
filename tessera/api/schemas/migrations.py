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
from oslo_utils import strutils

from tessera.api import validation
from tessera.api.errors import bad_request
from tessera.api.microversions import Version
from tessera.api.schemas.query import Params, iso_time, last, many, single
from tessera.objects.migration import MigrationFilters

_TEXT = many({"type": "string"})
_FILTERS = ("hidden", "host", "instance_uuid", "source_compute", "status", "migration_type")
_TIME = single({"type": "string", "minLength": 1})


def query_schema(version: Version) -> dict[str, Any]:
    """The schema of the query at ``version``."""
    properties: dict[str, Any] = {name: _TEXT for name in _FILTERS}
    if version.at_least("2.59"):
        properties["limit"] = single({"type": "string", "pattern": "^[0-9]+$"})
        properties["marker"] = single({"type": "string"})
        properties["changes-since"] = _TIME
    if version.at_least("2.66"):
        properties["changes-before"] = _TIME
    if version.at_least("2.80"):
        properties["user_id"] = single({"type": "string"})
        properties["project_id"] = single({"type": "string"})
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
    limit = last(params, "limit")
    filters = MigrationFilters(
        status=last(params, "status"),
        host=last(params, "host"),
        source_compute=last(params, "source_compute"),
        instance_uuid=last(params, "instance_uuid"),
        migration_type=last(params, "migration_type"),
        user_id=last(params, "user_id"),
        project_id=last(params, "project_id"),
        changes_since=since,
        changes_before=before,
        hidden=_hidden(params),
    )
    return MigrationQuery(
        filters, None if limit is None else validation.query_int(limit), last(params, "marker")
    )


def _hidden(params: Params) -> bool:
    value = last(params, "hidden")
    return value is not None and strutils.bool_from_string(value, default=False)


def _time(params: Params, name: str) -> datetime.datetime | None:
    try:
        return iso_time(params, name)
    except ValueError:
        value = last(params, name)
        raise bad_request(f"Invalid input for query parameters {name}. Value: {value!r}.") from None
