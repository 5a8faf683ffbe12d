"""The schema registry: complete, in step with the handlers, by microversion."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import jsonschema
import pytest
from falcon import inspect, testing

from tessera.api.microversions import MAX_VERSION, MIN_VERSION, Version
from tessera.api.openapi import document, registry
from tessera.api.schemas import flavors, migrations, server_list, server_update, servers
from tessera.deploy.cloud import EmbeddedCloud
from tests.api.openapi.cloud import app_of, operations

ADMIN = "admin:admin"
# What a handler answers for an operation the asked microversion does not have.
ABSENT = "The resource could not be found."


def _client(cloud: EmbeddedCloud) -> testing.TestClient:
    return testing.TestClient(app_of(cloud))


def _call(
    cloud: EmbeddedCloud,
    method: str,
    path: str,
    version: str,
    body: Any = None,
    query: str | None = None,
) -> testing.Result:
    headers = {"X-Auth-Token": ADMIN, "OpenStack-API-Version": f"compute {version}"}
    return _client(cloud).simulate_request(
        method, path, headers=headers, json=body, query_string=query
    )


def _message(answer: testing.Result) -> str:
    body = answer.json if answer.text else {}
    [(_, detail)] = body.items() if isinstance(body, dict) and len(body) == 1 else [("", {})]
    return str(detail.get("message", "")) if isinstance(detail, dict) else ""


def _step(version: str, by: int) -> str:
    parsed = Version.parse(version)
    return str(Version(parsed.major, parsed.minor + by))


def _form_at(forms: tuple[registry.RequestSchema, ...], version: str) -> registry.RequestSchema:
    [form] = [f for f in forms if f.covers(Version.parse(version))]
    return form


# --------------------------------------------------------------------------- completeness


def test_every_operation_is_registered(cloud: EmbeddedCloud, doc: dict[str, Any]) -> None:
    """A route without an entry fails here: add it to tessera/api/openapi/registry.py."""
    missing = document.unregistered(app_of(cloud))
    assert missing == [], "operations without a registry entry:\n" + "\n".join(
        f"  {method} {route}" for method, route in missing
    )
    for method, path in operations(app_of(cloud)):
        assert "x-tessera-unregistered" not in doc["paths"][path][method.lower()], (method, path)


def test_registry_names_only_routes_the_app_has(cloud: EmbeddedCloud) -> None:
    """A stale entry (a route renamed or removed) must be fixed in the registry."""
    routes = {(method, registry.route_key(path)) for method, path in operations(app_of(cloud))}
    assert set(registry.REGISTRY) - routes == set()


def test_every_server_action_is_registered(cloud: EmbeddedCloud) -> None:
    """Actions are keys of one body, not routes: the handler's table and the registry agree."""
    found = app_of(cloud)._router.find("/v2.1/servers/x/action")
    assert found is not None
    assert set(found[0]._handlers) - set(registry.SERVER_ACTIONS) == set()
    # Each registered action is one the API takes (forceDelete is dispatched apart).
    path = f"/v2.1/servers/{uuid.uuid4()}/action"
    for name in registry.SERVER_ACTIONS:
        answer = _call(cloud, "POST", path, MAX_VERSION, {name: None})
        assert answer.status_code == 404, (name, answer.text)
    unknown = _call(cloud, "POST", path, MAX_VERSION, {"no-such-action": None})
    assert unknown.status_code == 400 and "no such action" in unknown.text


def test_every_flavor_action_is_registered(cloud: EmbeddedCloud) -> None:
    path = f"/v2.1/flavors/{uuid.uuid4()}/action"
    for name, schema in registry.FLAVOR_ACTIONS.items():
        body = {name: {"tenant": "some-project"}}
        jsonschema.validate(body, schema)
        answer = _call(cloud, "POST", path, MAX_VERSION, body)
        assert answer.status_code == 404 and "Flavor" in _message(answer), (name, answer.text)
    unknown = _call(cloud, "POST", path, MAX_VERSION, {"addTenant": {"tenant": "p"}})
    assert unknown.status_code == 400 and "no such action" in unknown.text


# --------------------------------------------------------------------------- microversions


def test_registered_schemas_are_valid_json_schemas() -> None:
    for operation, forms in registry.REGISTRY.items():
        for form in forms:
            for schema in (form.body, form.query, *form.path.values()):
                if schema is not None:
                    jsonschema.validators.validator_for(schema).check_schema(schema)
            assert form.covers(Version.parse(form.min_version)), operation


def test_forms_cover_one_range_without_gaps_or_overlaps() -> None:
    for operation, forms in registry.REGISTRY.items():
        ordered = sorted(forms, key=lambda form: Version.parse(form.min_version))
        for older, newer in itertools.pairwise(ordered):
            assert older.max_version == _step(newer.min_version, -1), operation
        assert all(f.max_version is not None for f in ordered[:-1]), operation


def test_registry_holds_the_handlers_own_schemas() -> None:
    """The very objects the handlers validate with, at the versions they pick them."""
    expected = {
        ("POST", "/v2.1/servers", "body"): {
            "2.51": servers.CREATE,
            "2.52": servers.CREATE_V252,
        },
        ("PUT", "/v2.1/servers/{}", "body"): {
            "2.18": server_update.UPDATE,
            "2.19": server_update.UPDATE_V219,
            "2.90": server_update.UPDATE_V290,
            "2.94": server_update.UPDATE_V294,
        },
        ("POST", "/v2.1/flavors", "body"): {"2.54": flavors.CREATE, "2.55": flavors.CREATE_V255},
        ("PUT", "/v2.1/flavors/{}", "body"): {"2.55": flavors.UPDATE_V255},
        ("POST", "/v2.1/flavors/{}/os-extra_specs", "body"): {"2.1": flavors.EXTRA_SPECS_CREATE},
        ("PUT", "/v2.1/flavors/{}/os-extra_specs/{}", "body"): {"2.1": flavors.EXTRA_SPEC_UPDATE},
        ("GET", "/v2.1/flavors", "query"): {
            "2.74": flavors.LIST_QUERY,
            "2.75": flavors.LIST_QUERY_V275,
        },
        ("GET", "/v2.1/flavors/detail", "query"): {"2.75": flavors.LIST_QUERY_V275},
    }
    for (method, route, key), by_version in expected.items():
        forms = registry.REGISTRY[(method, route)]
        for version, schema in by_version.items():
            assert getattr(_form_at(forms, version), key) is schema, (method, route, version)
    # Schemas built per request: equal to what the handler builds at every version.
    built = {
        ("GET", "/v2.1/servers"): server_list.query_schema,
        ("GET", "/v2.1/servers/detail"): server_list.query_schema,
        ("GET", "/v2.1/os-migrations"): migrations.query_schema,
    }
    for operation, schema_at in built.items():
        for minor in range(1, Version.parse(MAX_VERSION).minor + 1):
            version = f"2.{minor}"
            form = _form_at(registry.REGISTRY[operation], version)
            assert form.query == schema_at(Version.parse(version)), (operation, version)


def _concrete(route: str) -> str:
    return document._PARAM.sub(lambda _: str(uuid.uuid4()), route)


def _exists(cloud: EmbeddedCloud, method: str, route: str, version: str) -> bool:
    answer = _call(cloud, method, _concrete(route), version)
    return not (answer.status_code == 404 and _message(answer) == ABSENT)


def _ranged_operations(app: Any) -> list[tuple[str, str]]:
    """Compute operations safe to call bare (reads), and those of limited microversions."""
    found = []
    for route in inspect.inspect_routes(app):
        for method in {m.method for m in route.methods if not m.internal}:
            forms = registry.lookup(method, route.path)
            if forms is None or not route.path.startswith("/v2.1"):
                continue
            limited = any(document._limited(f) for f in forms) and len(forms) == 1
            if method == "GET" or limited:
                found.append((method, route.path))
    return sorted(found)


def test_operations_exist_at_exactly_their_documented_microversions(
    cloud: EmbeddedCloud,
) -> None:
    """Before (after) the documented range the handler says the resource does not exist."""
    checked = _ranged_operations(app_of(cloud))
    assert ("PUT", "/v2.1/flavors/{flavor_id}") in checked
    for method, route in checked:
        forms = registry.lookup(method, route)
        assert forms is not None
        first = min(Version.parse(f.min_version) for f in forms)
        last = max(Version.parse(f.max_version or MAX_VERSION) for f in forms)
        assert _exists(cloud, method, route, str(first)), (method, route, first)
        assert _exists(cloud, method, route, str(last)), (method, route, last)
        if str(first) != MIN_VERSION:
            assert not _exists(cloud, method, route, _step(str(first), -1)), (method, route)
        if str(last) != MAX_VERSION:
            assert not _exists(cloud, method, route, _step(str(last), 1)), (method, route)


@dataclass(frozen=True)
class Sample:
    """A request whose verdict the documented form and the handler must share."""

    method: str
    path: str
    version: str
    body: Any = None
    query: str | None = None


# A fixed id: test ids must be the same in every pytest-xdist worker.
_SERVER = "/v2.1/servers/5d6f4bd0-2b9c-4f3e-9a55-1c0f0e3c7a21"
_NEW_SERVER = {"name": "s", "flavorRef": "no-such-flavor", "imageRef": "x", "networks": "none"}
_NEW_FLAVOR = {"name": "dup", "ram": 1, "vcpus": 1, "disk": 0, "id": "1"}
SAMPLES = (
    Sample("POST", "/v2.1/servers", "2.51", {"server": {**_NEW_SERVER, "tags": ["a"]}}),
    Sample("POST", "/v2.1/servers", "2.52", {"server": {**_NEW_SERVER, "tags": ["a"]}}),
    Sample("POST", "/v2.1/servers", "2.52", {"server": {**_NEW_SERVER, "tags": ["a,b"]}}),
    Sample("PUT", _SERVER, "2.18", {"server": {"description": "d"}}),
    Sample("PUT", _SERVER, "2.19", {"server": {"description": "d"}}),
    Sample("PUT", _SERVER, "2.93", {"server": {"hostname": "a.example"}}),
    Sample("PUT", _SERVER, "2.94", {"server": {"hostname": "a.example"}}),
    Sample("POST", "/v2.1/flavors", "2.54", {"flavor": {**_NEW_FLAVOR, "description": "d"}}),
    Sample("POST", "/v2.1/flavors", "2.55", {"flavor": {**_NEW_FLAVOR, "description": "d"}}),
    Sample("PUT", "/v2.1/flavors/no-such", "2.55", {"flavor": {"description": "d"}}),
    Sample("PUT", "/v2.1/flavors/no-such", "2.55", {"flavor": {}}),
    Sample("POST", "/v2.1/flavors/no-such/os-extra_specs", "2.1", {"extra_specs": {"k": "v"}}),
    Sample("POST", "/v2.1/flavors/no-such/os-extra_specs", "2.1", {"extra_specs": {"k/": "v"}}),
    Sample("PUT", "/v2.1/flavors/no-such/os-extra_specs/k", "2.1", {"k": "v"}),
    Sample("PUT", "/v2.1/flavors/no-such/os-extra_specs/k", "2.1", {"k": "v", "j": "w"}),
    Sample("POST", "/v2.1/flavors/no-such/action", "2.1", {"removeTenantAccess": {"tenant": ""}}),
    Sample("GET", "/v2.1/flavors", "2.74", query="bogus=1"),
    Sample("GET", "/v2.1/flavors/detail", "2.75", query="bogus=1"),
    Sample("GET", "/v2.1/flavors", "2.75", query="sort_key=memory_mb"),
    Sample("GET", "/v2.1/flavors", "2.75", query="sort_key=no_such_key"),
    Sample("GET", "/v2.1/os-migrations", "2.58", query="bogus=1"),
    Sample("GET", "/v2.1/os-migrations", "2.59", query="bogus=1"),
    Sample("GET", "/v2.1/os-migrations", "2.59", query="changes-before=2024-01-01T00:00:00Z"),
    Sample("GET", "/v2.1/os-migrations", "2.66", query="changes-before=2024-01-01T00:00:00Z"),
    Sample("GET", "/v2.1/servers/detail", "2.74", query="bogus=1"),
    Sample("GET", "/v2.1/servers/detail", "2.75", query="bogus=1"),
)


def _matches(route: str, path: str) -> bool:
    parts, wanted = route.split("/"), path.split("/")
    if len(parts) != len(wanted):
        return False
    return all(part in ("{}", given) for part, given in zip(parts, wanted, strict=True))


def _forms_of(method: str, path: str) -> tuple[registry.RequestSchema, ...]:
    exact = registry.REGISTRY.get((method, path))
    if exact is not None:
        return exact
    [forms] = [f for (m, r), f in registry.REGISTRY.items() if m == method and _matches(r, path)]
    return forms


def _documented_verdict(sample: Sample) -> bool:
    """Whether the form documented at the sample's version accepts it."""
    form = _form_at(_forms_of(sample.method, sample.path), sample.version)
    if sample.query is not None:
        schema, data = form.query, parse_qs(sample.query)
    else:
        schema, data = form.body, sample.body
    assert schema is not None, sample
    return bool(jsonschema.validators.validator_for(schema)(schema).is_valid(data))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s.method} {s.path} {s.version}")
def test_documented_form_and_handler_agree(cloud: EmbeddedCloud, sample: Sample) -> None:
    """The form documented for the version refuses a request exactly when the handler's
    validation does (it answers 400 "Invalid input for ...")."""
    answer = _call(cloud, sample.method, sample.path, sample.version, sample.body, sample.query)
    assert answer.status_code < 500, answer.text
    refused = answer.status_code == 400 and _message(answer).startswith("Invalid input for")
    assert _documented_verdict(sample) is not refused, answer.text
