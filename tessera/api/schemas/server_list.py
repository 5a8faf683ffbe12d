"""Query strings of ``GET /servers`` and ``/servers/detail``: their schema and meaning.

Every parameter arrives as a list of strings (a name may repeat). The JSON
Schema checks names and shapes; :func:`parse` turns the result into a
:class:`~tessera.compute.list_query.ListQuery`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import jsonschema
from oslo_utils import strutils

from tessera.api import validation
from tessera.api.errors import APIError, bad_request
from tessera.api.microversions import Version
from tessera.api.schemas.query import Params, iso_time, last, many
from tessera.api.views.status import _BY_TASK_STATE, _BY_VM_STATE, server_status
from tessera.compute.list_query import (
    IGNORED_SORT_KEYS,
    SORT_KEYS,
    ListQuery,
    ServerFilters,
    SortKey,
    StateMatch,
    TagTest,
)
from tessera.context import RequestContext

# Filters policy ``allow_all_filters`` guards (admins by default); dropped for others.
ADMIN_PARAMS = frozenset(
    {"host", "node", "deleted", "user_id", "availability_zone", "project_id", "tenant_id"}
)
# Accepted but not applied yet: servers carry no addresses in listings.
UNAPPLIED_PARAMS = frozenset({"ip", "ip6"})
# Tag filters (2.26): comma-separated tags, by parameter -> TagTest field.
TAG_PARAMS = {
    "tags": "all_of",
    "tags-any": "any_of",
    "not-tags": "not_all_of",
    "not-tags-any": "not_any_of",
}
PAGING_PARAMS = frozenset({"sort_key", "sort_dir", "limit", "marker"})
# Equality filters by parameter -> ``instances`` column.
EQUAL_PARAMS = {
    "image": "image_ref",
    "reservation_id": "reservation_id",
    "host": "host",
    "node": "node",
    "user_id": "user_id",
    "availability_zone": "availability_zone",
}


_TEXT = many({"type": "string", "maxLength": 255})
_BOOL = many({"type": "string"})
_BASE_PROPERTIES: dict[str, Any] = {
    "limit": many({"type": "string", "pattern": "^[0-9]+$"}),
    "marker": _TEXT,
    "sort_dir": many({"type": "string", "enum": ["asc", "desc"]}),
    "all_tenants": _BOOL,
    "deleted": _BOOL,
    "name": _TEXT,
    "status": _TEXT,
    "changes-since": _TEXT,
    "project_id": _TEXT,
    "tenant_id": _TEXT,
    "flavor": _TEXT,
    **{name: _TEXT for name in EQUAL_PARAMS},
    **{name: many({"type": "string"}) for name in UNAPPLIED_PARAMS},
}


def query_schema(version: Version) -> dict[str, Any]:
    """The schema of the query at ``version`` (strict about names from 2.75)."""
    strict = version.at_least("2.75")
    sort_item: dict[str, Any] = {"type": "string"}
    if strict:
        sort_item["enum"] = sorted(SORT_KEYS | IGNORED_SORT_KEYS)
    properties = {**_BASE_PROPERTIES, "sort_key": many(sort_item)}
    if version.at_least("2.26"):
        properties.update({name: many({"type": "string"}) for name in TAG_PARAMS})
    if version.at_least("2.66"):
        properties["changes-before"] = _TEXT
    if version.at_least("2.73"):
        properties["locked"] = _BOOL
    return {"type": "object", "properties": properties, "additionalProperties": not strict}


def validate(params: Params, version: Version) -> None:
    """400 for a parameter the schema refuses."""
    try:
        validation.validate(params, query_schema(version))
    except jsonschema.ValidationError as exc:
        name = str(exc.absolute_path[0]) if exc.absolute_path else "query"
        raise bad_request(
            f"Invalid input for query parameters {name}. Value: {exc.instance!r}. {exc.message}"
        ) from None


def usable(params: Params, version: Version, every_filter: bool) -> Params:
    """The parameters that take effect: known at ``version`` and allowed to the caller.

    ``every_filter``: the caller may use the admin filters (policy
    ``os_compute_api:servers:allow_all_filters``).
    """
    known = query_schema(version)["properties"]
    return {
        name: values
        for name, values in params.items()
        if name in known and (every_filter or name not in ADMIN_PARAMS)
    }


# --------------------------------------------------------------------------- meaning


def parse(params: Params, version: Version, ctx: RequestContext) -> ListQuery:
    """The listing ``params`` (validated, :func:`usable`) ask for."""
    all_tenants = _flag(params, "all_tenants", blank=True)
    project = last(params, "project_id") or last(params, "tenant_id")
    return ListQuery(
        filters=_filters(params, version, ctx),
        sort=_sort(params.get("sort_key", []), params.get("sort_dir", [])),
        limit=None if "limit" not in params else validation.query_int(params["limit"][-1]),
        marker=last(params, "marker"),
        all_tenants=bool(all_tenants),
        project_id=project if all_tenants else None,
    )


def _flag(params: Params, name: str, blank: bool = False) -> bool | None:
    value = last(params, name)
    if value is None:
        return None
    if value == "" and blank:
        return True  # ``?all_tenants`` alone asks for it
    try:
        return strutils.bool_from_string(value, strict=True)
    except ValueError:
        raise bad_request(f"Invalid value for {name}: {value!r}; expected a boolean.") from None


def _sort(keys: Sequence[str], dirs: Sequence[str]) -> tuple[SortKey, ...]:
    """Pair keys with directions; ignored and (before 2.75) unknown keys are dropped."""
    keys = keys or (["created_at"] if dirs else [])  # a direction alone orders the default key
    if len(dirs) > len(keys):
        raise bad_request("The number of sort_dir values exceeds the number of sort_key values.")
    filled = [*dirs, *[dirs[0] if dirs else "desc"] * (len(keys) - len(dirs))]
    return tuple(
        SortKey(key, direction == "desc")
        for key, direction in zip(keys, filled, strict=True)
        if key in SORT_KEYS
    )


def _filters(params: Params, version: Version, ctx: RequestContext) -> ServerFilters:
    states, deleted = _status(params.get("status"), version, ctx)
    since = _time(params, "changes-since")
    before = _time(params, "changes-before")
    if since is not None and before is not None and since > before:
        raise bad_request(
            "The value of changes-since must be less than or equal to changes-before."
        )
    explicit = _flag(params, "deleted")
    return ServerFilters(
        equal=tuple(
            (col, params[name][-1]) for name, col in EQUAL_PARAMS.items() if name in params
        ),
        name=last(params, "name"),
        states=states,
        flavor_id=last(params, "flavor"),
        changes_since=since,
        changes_before=before,
        deleted=explicit if explicit is not None else deleted,
        tags=_tags(params),
    )


def _tags(params: Params) -> TagTest | None:
    """The tag filters given (each the last value of its parameter, split at commas)."""
    given = {
        field: tuple(value.split(","))
        for name, field in TAG_PARAMS.items()
        if (value := last(params, name)) is not None
    }
    return TagTest(**given) if given else None


def _time(params: Params, name: str) -> datetime.datetime | None:
    try:
        return iso_time(params, name)
    except ValueError:
        value = last(params, name)
        raise bad_request(f"Invalid {name} value: {value!r}; expected an ISO 8601 time.") from None


# --------------------------------------------------------------------------- status


# Task states that can change a server's status; any other reads as "no task".
_TASK_STATES = frozenset({*_BY_TASK_STATE, "resize_reverting"})
KNOWN_STATUSES = frozenset(
    server_status(vm, task) for vm in _BY_VM_STATE for task in (None, *_TASK_STATES)
)


def _status(
    values: list[str] | None, version: Version, ctx: RequestContext
) -> tuple[tuple[StateMatch, ...] | None, bool | None]:
    """State tests for the requested statuses, and the deleted filter DELETED implies."""
    if not values:
        return None, None
    wanted = {v.upper() for v in values}
    unknown = wanted - KNOWN_STATUSES
    if unknown and version.at_least("2.38"):
        raise bad_request(f"Invalid status value: {sorted(unknown)[0]}")
    if "DELETED" in wanted and not ctx.is_admin:
        raise APIError(403, "Only administrators may list deleted instances")
    states = tuple(m for status in sorted(wanted) for m in states_for(status))
    # Deleted servers are soft-deleted rows: asking for them alone means reading those.
    return states, (True if wanted == {"DELETED"} else None)


def states_for(status: str) -> tuple[StateMatch, ...]:
    """Tests selecting exactly the servers :func:`server_status` shows as ``status``."""
    found = []
    for vm_state in _BY_VM_STATE:
        base = server_status(vm_state, None)
        changed = {t: server_status(vm_state, t) for t in _TASK_STATES}
        changing = frozenset(t for t, s in changed.items() if s != base)
        if base == status:
            found.append(StateMatch(vm_state, changing, task_in=False))
        into = frozenset(t for t in changing if changed[t] == status)
        if into:
            found.append(StateMatch(vm_state, into, task_in=True))
    return tuple(found)
