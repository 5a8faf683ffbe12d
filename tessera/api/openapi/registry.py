"""What each operation accepts: (method, route) -> the schemas its handler validates with.

The routes themselves come from the running app (:mod:`tessera.api.openapi.document`);
this table adds what routing cannot tell: the JSON Schemas of bodies and query
strings, by microversion range. The schemas are the very objects the handlers
validate with (``tessera/api/schemas``, the image and identity modules), never
copies. An operation missing here is still documented, with a permissive body,
but ``tests/api/openapi`` fails: every operation of the app must have an entry.

Routes are written as the app adds them; the names of path parameters do not
matter when matching (``/servers/{id}`` and ``/servers/{server_id}`` are one route).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tessera.api import identity
from tessera.api.microversions import MAX_VERSION, MIN_VERSION, Version
from tessera.api.schemas import (
    aggregates,
    flavors,
    keypairs,
    migrations,
    quotas,
    server_actions,
    server_groups,
    server_list,
    server_tags,
    server_update,
    servers,
    services,
)
from tessera.image import parsing as image_parsing
from tessera.image import schemas as image_schemas
from tessera.network import queries as network_queries

Schema = dict[str, Any]
Operation = tuple[str, str]
"""``(METHOD, route)``, e.g. ``("POST", "/v2.1/servers")``."""

JSON = "application/json"
IMAGE_PATCH = "application/openstack-images-v2.1-json-patch"
OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True)
class RequestSchema:
    """What an operation accepts within one range of microversions."""

    body: Schema | None = None
    """JSON Schema of the body; None: the operation takes no body."""
    query: Schema | None = None
    """JSON Schema of the query string, an object of parameter -> list of strings."""
    params: tuple[str, ...] = ()
    """Query parameters the handler reads without a schema (documented as strings)."""
    min_version: str = MIN_VERSION
    """First compute microversion of this form."""
    max_version: str | None = None
    """Last microversion of this form; None: up to the newest."""
    media_type: str = JSON
    """Content type of the body."""
    path: Mapping[str, Schema] = field(default_factory=dict)
    """JSON Schemas of the path parameters the handler validates, by name."""

    def covers(self, version: Version) -> bool:
        """Whether this form is the one accepted at ``version``."""
        top = Version.parse(self.max_version or MAX_VERSION)
        return Version.parse(self.min_version) <= version <= top


NONE = RequestSchema()
"""No body, no query parameters."""


def since(version: str, form: RequestSchema = NONE) -> tuple[RequestSchema, ...]:
    """``form`` for an operation that exists from ``version`` on (404 before)."""
    return (replace(form, min_version=version),)


def _before(version: str) -> str:
    """The microversion just before ``version`` (``2.53`` -> ``2.52``)."""
    parsed = Version.parse(version)
    return str(Version(parsed.major, parsed.minor - 1))


def _ranged(forms: Iterable[tuple[str, Schema]], key: str = "body") -> tuple[RequestSchema, ...]:
    """Forms each valid from its version to the next one's (``key``: body or query)."""
    ordered = sorted(forms, key=lambda form: Version.parse(form[0]))
    found = []
    for index, (since, schema) in enumerate(ordered):
        until = _before(ordered[index + 1][0]) if index + 1 < len(ordered) else None
        form = RequestSchema(min_version=since, max_version=until)
        found.append(replace(form, body=schema) if key == "body" else replace(form, query=schema))
    return tuple(found)


def _per_version(
    schema_at: Callable[[Version], Schema], key: str = "body"
) -> tuple[RequestSchema, ...]:
    """The forms of a handler that picks its schema with ``schema_at(version)``.

    Every microversion is asked, and a new form starts where the answer changes,
    so the ranges cannot drift from the handler's own choice.
    """
    low, high = Version.parse(MIN_VERSION), Version.parse(MAX_VERSION)
    changes: list[tuple[str, Schema]] = []
    for minor in range(low.minor, high.minor + 1):
        schema = schema_at(Version(low.major, minor))
        if not changes or changes[-1][1] != schema:
            changes.append((f"{low.major}.{minor}", schema))
    return _ranged(changes, key)


# --------------------------------------------------------------------------- server actions

SERVER_ACTIONS: dict[str, tuple[RequestSchema, ...]] = {
    "os-stop": (RequestSchema(body=server_actions.NO_ARGS),),
    "os-start": (RequestSchema(body=server_actions.NO_ARGS),),
    "reboot": (RequestSchema(body=server_actions.REBOOT),),
    "lock": _ranged([("2.1", server_actions.NO_ARGS), ("2.73", server_actions.LOCK_273)]),
    "unlock": (RequestSchema(body=server_actions.NO_ARGS),),
    "createImage": (RequestSchema(body=server_actions.CREATE_IMAGE),),
    "forceDelete": (RequestSchema(body=server_actions.ANY_ARGS),),
}
"""``POST /servers/{id}/action``: each action's argument (the value of its single key)."""


def actions_body(actions: Mapping[str, tuple[RequestSchema, ...]], version: Version) -> Schema:
    """The action body at ``version``: exactly one of the actions known then."""
    choices = []
    for name, forms in sorted(actions.items()):
        for form in forms:
            if form.covers(version) and form.body is not None:
                choices.append(
                    {
                        "type": "object",
                        "properties": {name: form.body},
                        "required": [name],
                        "additionalProperties": False,
                    }
                )
    return {"oneOf": choices}


def _action_forms(actions: Mapping[str, tuple[RequestSchema, ...]]) -> tuple[RequestSchema, ...]:
    """One form per range of versions in which the set of action schemas is constant."""
    starts = {MIN_VERSION}
    for forms in actions.values():
        for form in forms:
            starts.add(form.min_version)
            if form.max_version is not None and form.max_version != MAX_VERSION:
                parsed = Version.parse(form.max_version)
                starts.add(str(Version(parsed.major, parsed.minor + 1)))
    return _ranged((since, actions_body(actions, Version.parse(since))) for since in starts)


FLAVOR_ACTIONS: dict[str, Schema] = {
    "addTenantAccess": flavors.ADD_TENANT_ACCESS,
    "removeTenantAccess": flavors.REMOVE_TENANT_ACCESS,
}
"""``POST /flavors/{id}/action``: each action's whole body (its single key is the name)."""


def _flavor_action() -> tuple[RequestSchema, ...]:
    return (RequestSchema(body={"oneOf": [FLAVOR_ACTIONS[n] for n in sorted(FLAVOR_ACTIONS)]}),)


# --------------------------------------------------------------------------- query strings

_IMAGE_LIST_PARAMS = (*image_parsing.MATCH_FILTERS, *image_parsing.CONTROL_PARAMS)


def _legacy_services() -> tuple[RequestSchema, ...]:
    # Before 2.53 the path's last segment names the action, and the body follows from it.
    legacy = {
        "oneOf": [services.HOST_BINARY, services.DISABLE_LOG_REASON, services.FORCE_DOWN],
        "description": "enable, disable: host and binary; disable-log-reason: and a reason; "
        "force-down (2.11+): and forced_down",
    }
    return (
        RequestSchema(body=legacy, max_version="2.52"),
        RequestSchema(body=services.UPDATE, min_version="2.53"),
    )


# --------------------------------------------------------------------------- the table

_COMPUTE: dict[Operation, tuple[RequestSchema, ...]] = {
    ("GET", "/"): (NONE,),
    ("GET", "/v2.1"): (NONE,),
    ("GET", "/v2.1/openapi.json"): (NONE,),
    ("GET", "/v2.1/servers"): _per_version(server_list.query_schema, key="query"),
    ("POST", "/v2.1/servers"): _ranged([("2.1", servers.CREATE), ("2.52", servers.CREATE_V252)]),
    ("GET", "/v2.1/servers/detail"): _per_version(server_list.query_schema, key="query"),
    ("GET", "/v2.1/servers/{server_id}"): (NONE,),
    ("PUT", "/v2.1/servers/{server_id}"): _per_version(server_update.for_version),
    ("DELETE", "/v2.1/servers/{server_id}"): (NONE,),
    ("POST", "/v2.1/servers/{server_id}/action"): _action_forms(SERVER_ACTIONS),
    ("GET", "/v2.1/servers/{server_id}/metadata"): (NONE,),
    ("POST", "/v2.1/servers/{server_id}/metadata"): (RequestSchema(body=server_actions.METADATA),),
    ("PUT", "/v2.1/servers/{server_id}/metadata"): (RequestSchema(body=server_actions.METADATA),),
    ("GET", "/v2.1/servers/{server_id}/metadata/{key}"): (NONE,),
    ("PUT", "/v2.1/servers/{server_id}/metadata/{key}"): (
        RequestSchema(body=server_actions.META_ITEM),
    ),
    ("DELETE", "/v2.1/servers/{server_id}/metadata/{key}"): (NONE,),
    ("GET", "/v2.1/servers/{server_id}/os-instance-actions"): (NONE,),
    ("GET", "/v2.1/servers/{server_id}/os-instance-actions/{request_id}"): (NONE,),
    ("GET", "/v2.1/servers/{server_id}/tags"): since("2.26"),
    ("PUT", "/v2.1/servers/{server_id}/tags"): since(
        "2.26", RequestSchema(body=server_tags.UPDATE_ALL)
    ),
    ("DELETE", "/v2.1/servers/{server_id}/tags"): since("2.26"),
    ("GET", "/v2.1/servers/{server_id}/tags/{tag}"): since("2.26"),
    # No body (JSON null at most); the tag itself is what is checked.
    ("PUT", "/v2.1/servers/{server_id}/tags/{tag}"): since(
        "2.26", RequestSchema(path={"tag": server_tags.TAG})
    ),
    ("DELETE", "/v2.1/servers/{server_id}/tags/{tag}"): since("2.26"),
    ("GET", "/v2.1/servers/{server_id}/migrations"): since("2.23"),
    ("GET", "/v2.1/servers/{server_id}/migrations/{migration_id}"): since("2.23"),
    ("GET", "/v2.1/os-migrations"): _per_version(migrations.query_schema, key="query"),
    ("GET", "/v2.1/flavors"): _per_version(flavors.list_query, key="query"),
    ("POST", "/v2.1/flavors"): _ranged([("2.1", flavors.CREATE), ("2.55", flavors.CREATE_V255)]),
    ("GET", "/v2.1/flavors/detail"): _per_version(flavors.list_query, key="query"),
    ("GET", "/v2.1/flavors/{flavor_id}"): (NONE,),
    ("PUT", "/v2.1/flavors/{flavor_id}"): since("2.55", RequestSchema(body=flavors.UPDATE_V255)),
    ("DELETE", "/v2.1/flavors/{flavor_id}"): (NONE,),
    ("POST", "/v2.1/flavors/{flavor_id}/action"): _flavor_action(),
    ("GET", "/v2.1/flavors/{flavor_id}/os-flavor-access"): (NONE,),
    ("GET", "/v2.1/flavors/{flavor_id}/os-extra_specs"): (NONE,),
    ("POST", "/v2.1/flavors/{flavor_id}/os-extra_specs"): (
        RequestSchema(body=flavors.EXTRA_SPECS_CREATE),
    ),
    ("GET", "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}"): (NONE,),
    ("PUT", "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}"): (
        RequestSchema(body=flavors.EXTRA_SPEC_UPDATE),
    ),
    ("DELETE", "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}"): (NONE,),
    ("GET", "/v2.1/os-services"): (RequestSchema(params=("host", "binary")),),
    ("PUT", "/v2.1/os-services/{service_id}"): _legacy_services(),
    ("DELETE", "/v2.1/os-services/{service_id}"): (NONE,),
    **{
        ("GET", f"/v2.1/os-hypervisors{tail}"): (
            RequestSchema(params=("limit", "marker", "hypervisor_hostname_pattern")),
        )
        for tail in ("", "/detail")
    },
    ("GET", "/v2.1/os-hypervisors/statistics"): (RequestSchema(max_version="2.87"),),
    ("GET", "/v2.1/os-hypervisors/{hypervisor_id}"): (RequestSchema(params=("with_servers",)),),
    ("GET", "/v2.1/os-aggregates"): (NONE,),
    ("POST", "/v2.1/os-aggregates"): (RequestSchema(body=aggregates.CREATE),),
    ("GET", "/v2.1/os-aggregates/{aggregate_id}"): (NONE,),
    ("PUT", "/v2.1/os-aggregates/{aggregate_id}"): (RequestSchema(body=aggregates.UPDATE),),
    ("DELETE", "/v2.1/os-aggregates/{aggregate_id}"): (NONE,),
    ("POST", "/v2.1/os-aggregates/{aggregate_id}/action"): (RequestSchema(body=aggregates.ACTION),),
    ("GET", "/v2.1/os-availability-zone"): (NONE,),
    ("GET", "/v2.1/os-availability-zone/detail"): (NONE,),
    ("GET", "/v2.1/os-keypairs"): (RequestSchema(params=("user_id", "limit", "marker")),),
    ("POST", "/v2.1/os-keypairs"): _ranged(
        [("2.1", keypairs.CREATE), ("2.2", keypairs.CREATE_V22), ("2.10", keypairs.CREATE_V210)]
    ),
    ("GET", "/v2.1/os-keypairs/{name}"): (RequestSchema(params=("user_id",)),),
    ("DELETE", "/v2.1/os-keypairs/{name}"): (RequestSchema(params=("user_id",)),),
    ("GET", "/v2.1/os-server-groups"): (RequestSchema(params=("all_projects", "limit", "offset")),),
    ("POST", "/v2.1/os-server-groups"): _ranged(
        [("2.1", server_groups.CREATE), ("2.64", server_groups.CREATE_V264)]
    ),
    ("GET", "/v2.1/os-server-groups/{group_id}"): (NONE,),
    ("DELETE", "/v2.1/os-server-groups/{group_id}"): (NONE,),
    ("GET", "/v2.1/limits"): (RequestSchema(params=("tenant_id",)),),
    ("GET", "/v2.1/os-quota-sets/{project_id}"): (NONE,),
    ("PUT", "/v2.1/os-quota-sets/{project_id}"): (RequestSchema(body=quotas.UPDATE),),
    ("DELETE", "/v2.1/os-quota-sets/{project_id}"): (NONE,),
    ("GET", "/v2.1/os-quota-sets/{project_id}/defaults"): (NONE,),
    ("GET", "/v2.1/os-quota-sets/{project_id}/detail"): (NONE,),
}

_IDENTITY: dict[Operation, tuple[RequestSchema, ...]] = {
    ("GET", "/identity"): (NONE,),
    ("GET", "/identity/v3"): (NONE,),
    ("POST", "/identity/v3/auth/tokens"): (RequestSchema(body=identity.AUTH_SCHEMA),),
    ("GET", "/identity/v3/auth/tokens"): (NONE,),
    ("GET", "/identity/v3/projects"): (RequestSchema(query=identity.PROJECT_QUERY),),
    ("GET", "/identity/v3/projects/{project_id}"): (NONE,),
}

_IMAGE: dict[Operation, tuple[RequestSchema, ...]] = {
    ("GET", "/image"): (NONE,),
    ("GET", "/image/"): (NONE,),
    ("GET", "/image/versions"): (NONE,),
    ("GET", "/image/v2/images"): (RequestSchema(params=_IMAGE_LIST_PARAMS),),
    ("POST", "/image/v2/images"): (RequestSchema(body=image_schemas.CREATE),),
    ("GET", "/image/v2/images/{image_id}"): (NONE,),
    ("PATCH", "/image/v2/images/{image_id}"): (
        RequestSchema(body=image_schemas.PATCH, media_type=IMAGE_PATCH),
    ),
    ("DELETE", "/image/v2/images/{image_id}"): (NONE,),
    ("GET", "/image/v2/images/{image_id}/file"): (NONE,),
    ("PUT", "/image/v2/images/{image_id}/file"): (
        RequestSchema(body={"type": "string", "format": "binary"}, media_type=OCTET_STREAM),
    ),
    ("PUT", "/image/v2/images/{image_id}/tags/{tag}"): (NONE,),
    ("DELETE", "/image/v2/images/{image_id}/tags/{tag}"): (NONE,),
    ("GET", "/image/v2/schemas/image"): (NONE,),
    ("GET", "/image/v2/schemas/images"): (NONE,),
}

_NETWORK: dict[Operation, tuple[RequestSchema, ...]] = {
    ("GET", "/network"): (NONE,),
    ("GET", "/network/v2.0"): (NONE,),
    ("GET", "/network/v2.0/networks"): (
        RequestSchema(params=tuple(network_queries.NETWORK_FILTERS)),
    ),
    ("GET", "/network/v2.0/networks/{network_id}"): (NONE,),
    ("GET", "/network/v2.0/subnets"): (
        RequestSchema(params=tuple(network_queries.SUBNET_FILTERS)),
    ),
    ("GET", "/network/v2.0/subnets/{subnet_id}"): (NONE,),
    ("GET", "/network/v2.0/ports"): (RequestSchema(params=tuple(network_queries.PORT_FILTERS)),),
    ("GET", "/network/v2.0/ports/{port_id}"): (NONE,),
    ("GET", "/network/v2.0/quotas/{project_id}"): (NONE,),
    ("GET", "/network/v2.0/quotas/{project_id}/default"): (NONE,),
    ("GET", "/network/v2.0/quotas/{project_id}/details"): (NONE,),
}

_PARAM = re.compile(r"{[^}]*}")


def route_key(route: str) -> str:
    """``route`` with its parameters unnamed: how routes are matched."""
    return _PARAM.sub("{}", route)


REGISTRY: dict[Operation, tuple[RequestSchema, ...]] = {
    (method, route_key(route)): forms
    for table in (_COMPUTE, _IDENTITY, _IMAGE, _NETWORK)
    for (method, route), forms in table.items()
}
"""Every registered operation, keyed by :func:`route_key`."""


def lookup(method: str, route: str) -> tuple[RequestSchema, ...] | None:
    """The forms registered for ``method`` on ``route``; None when not registered."""
    return REGISTRY.get((method.upper(), route_key(route)))
