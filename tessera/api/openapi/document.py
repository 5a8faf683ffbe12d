"""The OpenAPI 3.1 document of an app, from its routes and the schema registry.

Routes, methods and path parameters are read from the Falcon app itself
(``falcon.inspect``), so a route added anywhere shows up without further work;
what each operation accepts comes from :mod:`tessera.api.openapi.registry`.
Where an operation's input changes with the compute microversion, the newest
form is documented as the operation's own and every form is listed under
``x-openstack-microversions``; so is the one form of an operation that exists
only from some microversion on.
"""

from __future__ import annotations

import re
from typing import Any

import falcon
from falcon import inspect

from tessera.api import auth
from tessera.api.microversions import MAX_VERSION, MIN_VERSION, NEW_HEADER, Version
from tessera.api.openapi import registry
from tessera.api.openapi.registry import RequestSchema, Schema

OPENAPI_VERSION = "3.1.0"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
PERMISSIVE = RequestSchema(body={})
"""What an unregistered operation that takes a body is documented with."""
_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")
# Public besides the unauthenticated paths of the auth middleware: version documents, token issue.
_PUBLIC = frozenset(
    {
        ("GET", "/identity"),
        ("GET", "/identity/v3"),
        ("POST", "/identity/v3/auth/tokens"),
        *(("GET", path) for path in (*auth.UNAUTHENTICATED_PATHS, *auth.IMAGE_VERSION_PATHS)),
    }
)

_FAULT_DETAIL: Schema = {
    "type": "object",
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
    "required": ["code", "message"],
}
COMPONENTS: Schema = {
    "schemas": {
        "ComputeFault": {
            "description": 'The compute API\'s error form: {"<faultName>": {"code", "message"}}.',
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": _FAULT_DETAIL,
        },
        "ImageError": {
            "type": "object",
            "properties": {
                "code": {"type": "integer"},
                "title": {"type": "string"},
                "message": {"type": "string"},
            },
            "required": ["code", "message"],
        },
        "NeutronError": {
            "type": "object",
            "properties": {
                "NeutronError": {
                    "type": "object",
                    "properties": {"type": {"type": "string"}, "message": {"type": "string"}},
                    "required": ["type", "message"],
                }
            },
            "required": ["NeutronError"],
        },
    },
    "parameters": {
        "Microversion": {
            "name": NEW_HEADER,
            "in": "header",
            "required": False,
            "description": f"The compute microversion asked for; {MIN_VERSION} when absent.",
            "schema": {
                "type": "string",
                "enum": [
                    *(
                        f"compute 2.{minor}"
                        for minor in range(1, Version.parse(MAX_VERSION).minor + 1)
                    ),
                    "compute latest",
                ],
            },
        }
    },
    "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}},
}


def _api(path: str) -> str:
    """Which API a path belongs to (the operation's tag)."""
    for prefix, name in (("/identity", "identity"), ("/image", "image"), ("/network", "network")):
        if path == prefix or path.startswith(f"{prefix}/"):
            return name
    return "compute"


def _errors(api: str) -> Schema:
    fault = {"$ref": "#/components/schemas/ComputeFault"}
    own = {"image": "ImageError", "network": "NeutronError"}.get(api)
    # Errors raised by routing or by Falcon itself are in the compute form everywhere.
    schema = fault if own is None else {"anyOf": [{"$ref": f"#/components/schemas/{own}"}, fault]}
    return {"description": "An error.", "content": {"application/json": {"schema": schema}}}


def path_parameters(route: str) -> list[Schema]:
    """The path parameters of a Falcon route template."""
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(route)
    ]


def openapi_path(route: str) -> str:
    """A Falcon route template as an OpenAPI path (converters dropped)."""
    return _PARAM.sub(lambda found: "{" + found.group(1) + "}", route)


def _checked_path_parameters(form: RequestSchema) -> list[Schema]:
    # At the operation's level they replace the path item's plain strings.
    return [
        {"name": name, "in": "path", "required": True, "schema": schema}
        for name, schema in sorted(form.path.items())
    ]


def _query_parameters(form: RequestSchema) -> list[Schema]:
    found: list[Schema] = []
    if form.query is not None:
        required = set(form.query.get("required", []))
        for name, schema in sorted(form.query.get("properties", {}).items()):
            found.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": schema,
                    "style": "form",
                    "explode": True,
                }
            )
    found.extend(
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in form.params
    )
    return found


def _body(form: RequestSchema) -> Schema:
    return {"required": True, "content": {form.media_type: {"schema": form.body}}}


def _latest(forms: tuple[RequestSchema, ...]) -> RequestSchema:
    return max(forms, key=lambda form: Version.parse(form.min_version))


def _limited(form: RequestSchema) -> bool:
    """Whether ``form`` is not the operation's from the oldest microversion to the newest."""
    return form.min_version != MIN_VERSION or form.max_version not in (None, MAX_VERSION)


def _variations(forms: tuple[RequestSchema, ...]) -> list[Schema]:
    """Every form with its range of microversions, oldest first."""
    ordered = sorted(forms, key=lambda form: Version.parse(form.min_version))
    found = []
    for form in ordered:
        entry: Schema = {
            "min_version": form.min_version,
            "max_version": form.max_version or MAX_VERSION,
        }
        if form.body is not None:
            entry["requestBody"] = form.body
        if form.query is not None:
            entry["query"] = form.query
        found.append(entry)
    return found


def operation(method: str, route: str, resource: str) -> Schema:
    """The OpenAPI operation of ``method`` on ``route`` (served by class ``resource``)."""
    forms = registry.lookup(method, route)
    api = _api(route)
    op: Schema = {
        "operationId": f"{method.lower()} {openapi_path(route)}",
        "tags": [api],
        "x-tessera-resource": resource,
    }
    if forms is None:
        op["x-tessera-unregistered"] = True
        forms = (PERMISSIVE if method in BODY_METHODS else registry.NONE,)
    latest = _latest(forms)
    parameters = [*_checked_path_parameters(latest), *_query_parameters(latest)]
    if api == "compute" and route.startswith("/v2.1/"):
        parameters.append({"$ref": "#/components/parameters/Microversion"})
    if parameters:
        op["parameters"] = parameters
    if latest.body is not None:
        op["requestBody"] = _body(latest)
    if len(forms) > 1 or _limited(forms[0]):
        op["x-openstack-microversions"] = _variations(forms)
    op["responses"] = {"2XX": {"description": "Success."}, "default": _errors(api)}
    if (method, route) in _PUBLIC:
        op["security"] = []
    return op


def build(app: falcon.App[Any, Any]) -> Schema:
    """The OpenAPI document of every route ``app`` has now."""
    paths: dict[str, Schema] = {}
    for route in inspect.inspect_routes(app):
        methods = sorted({m.method for m in route.methods if not m.internal})
        if not methods:
            continue
        item: Schema = {}
        if parameters := path_parameters(route.path):
            item["parameters"] = parameters
        for method in methods:
            item[method.lower()] = operation(method, route.path, route.class_name)
        paths[openapi_path(route.path)] = item
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Tessera",
            "description": "The compute API v2.1 with its image, identity and network subsets.",
            "version": MAX_VERSION,
            "x-openstack-compute-microversions": {"min": MIN_VERSION, "max": MAX_VERSION},
        },
        "tags": [{"name": name} for name in ("compute", "identity", "image", "network")],
        "security": [{"token": []}],
        "paths": dict(sorted(paths.items())),
        "components": COMPONENTS,
    }


def unregistered(app: falcon.App[Any, Any]) -> list[tuple[str, str]]:
    """``(METHOD, route)`` of the app's operations the registry lacks."""
    return sorted(
        (method, route.path)
        for route in inspect.inspect_routes(app)
        for method in {m.method for m in route.methods if not m.internal}
        if registry.lookup(method, route.path) is None
    )
