"""The OpenAPI document: built from the app's routes, served, committed, and valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import falcon
import jsonschema
import pytest
import schemathesis
from falcon import testing
from schemathesis.core.result import Err

from tessera.api import openapi
from tessera.api.microversions import MAX_VERSION
from tessera.api.openapi import document, generate, registry
from tessera.api.schemas import keypairs, server_tags
from tessera.deploy.cloud import EmbeddedCloud
from tests.api.openapi.cloud import app_of, operations


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method != "parameters"
    }


def test_committed_file_is_current() -> None:
    """docs/openapi.json is what the all-in-one serves (else: python -m ...generate)."""
    assert generate.main(["--check"]) == 0, "run: python -m tessera.api.openapi.generate"


def test_generate_writes_what_check_accepts(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    assert generate.main(["--check", "--output", str(out)]) == 1  # missing
    assert generate.main(["--output", str(out)]) == 0
    assert generate.main(["--check", "--output", str(out)]) == 0
    out.write_text(out.read_text().replace('"Tessera"', '"Other"'))
    assert generate.main(["--check", "--output", str(out)]) == 1


def test_served_document_is_the_apps(cloud: EmbeddedCloud, doc: dict[str, Any]) -> None:
    assert doc == json.loads(openapi.render(document.build(app_of(cloud))))
    assert doc["openapi"] == "3.1.0" and doc["info"]["version"] == MAX_VERSION


def test_every_route_and_method_is_documented(cloud: EmbeddedCloud, doc: dict[str, Any]) -> None:
    assert _documented(doc) == operations(app_of(cloud))
    for path, item in doc["paths"].items():
        names = {p["name"] for p in item.get("parameters", [])}
        assert names == set(document._PARAM.findall(path)), path


def test_document_is_valid_openapi(doc: dict[str, Any]) -> None:
    loaded = schemathesis.openapi.from_dict(doc)
    loaded.validate()
    results = loaded.get_all_operations()
    failures = [str(result.err()) for result in results if isinstance(result, Err)]
    assert failures == []


def test_microversioned_bodies_document_the_newest(doc: dict[str, Any]) -> None:
    op = doc["paths"]["/v2.1/os-keypairs"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == keypairs.CREATE_V210
    ranges = [(v["min_version"], v["max_version"]) for v in op["x-openstack-microversions"]]
    assert ranges == [("2.1", "2.1"), ("2.2", "2.9"), ("2.10", MAX_VERSION)]
    assert op["x-openstack-microversions"][0]["requestBody"] == keypairs.CREATE


def test_server_action_body_follows_the_microversion(doc: dict[str, Any]) -> None:
    op = doc["paths"]["/v2.1/servers/{server_id}/action"]["post"]
    newest = op["requestBody"]["content"]["application/json"]["schema"]
    oldest = op["x-openstack-microversions"][0]["requestBody"]
    with_reason = {"lock": {"locked_reason": "maintenance"}}
    jsonschema.validate(with_reason, newest)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(with_reason, oldest)
    valid: tuple[dict[str, Any], ...] = (
        {"lock": None},
        {"reboot": {"type": "HARD"}},
        {"os-start": None},
    )
    for body in (*valid, {"createImage": {"name": "snap"}}, {"forceDelete": None}):
        jsonschema.validate(body, newest)
    invalid: tuple[dict[str, Any], ...] = (
        {"reboot": {}},
        {"no-such-action": None},
        {"lock": None, "unlock": None},
    )
    for body in (*invalid, {"createImage": {"name": " snap"}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(body, newest)


def test_operations_of_some_microversions_say_which(doc: dict[str, Any]) -> None:
    """One form, yet not from 2.1 to the newest: its range is documented too."""
    tags = doc["paths"]["/v2.1/servers/{server_id}/tags"]["get"]
    assert tags["x-openstack-microversions"] == [
        {"min_version": "2.26", "max_version": MAX_VERSION}
    ]
    statistics = doc["paths"]["/v2.1/os-hypervisors/statistics"]["get"]
    assert statistics["x-openstack-microversions"] == [
        {"min_version": "2.1", "max_version": "2.87"}
    ]
    assert "x-openstack-microversions" not in doc["paths"]["/v2.1/flavors/{flavor_id}"]["get"]


def test_checked_path_parameters_carry_their_schema(doc: dict[str, Any]) -> None:
    item = doc["paths"]["/v2.1/servers/{server_id}/tags/{tag}"]
    assert {p["name"]: p["schema"] for p in item["parameters"]}["tag"] == {"type": "string"}
    [tag] = [p for p in item["put"]["parameters"] if p.get("in") == "path"]
    assert tag == {"name": "tag", "in": "path", "required": True, "schema": server_tags.TAG}
    assert "requestBody" not in item["put"]
    assert not [p for p in item["get"].get("parameters", []) if p.get("in") == "path"]


def test_query_strings_and_headers(doc: dict[str, Any]) -> None:
    listing = doc["paths"]["/v2.1/servers/detail"]["get"]
    params = {p.get("name", p.get("$ref")): p for p in listing["parameters"]}
    assert params["limit"]["in"] == "query" and params["limit"]["schema"]["type"] == "array"
    assert "locked" in params  # the newest form (2.73+)
    assert "locked" not in listing["x-openstack-microversions"][0]["query"]["properties"]
    assert "#/components/parameters/Microversion" in params
    assert {p["name"] for p in doc["paths"]["/v2.1/os-keypairs"]["get"]["parameters"][:3]} == {
        "user_id",
        "limit",
        "marker",
    }
    assert doc["paths"]["/"]["get"]["security"] == []
    assert "security" not in doc["paths"]["/v2.1/servers"]["get"]
    image_patch = doc["paths"]["/image/v2/images/{image_id}"]["patch"]["requestBody"]
    assert list(image_patch["content"]) == [registry.IMAGE_PATCH]


class _Widget:
    def on_get(self, req: falcon.Request, resp: falcon.Response, widget_id: str) -> None:
        resp.media = {}

    def on_post(self, req: falcon.Request, resp: falcon.Response, widget_id: str) -> None:
        resp.media = {}


def test_a_new_route_shows_up_without_registration() -> None:
    app = falcon.App()
    app.add_route("/v2.1/widgets/{widget_id:int}", _Widget())
    openapi.install(app)
    served = testing.TestClient(app).simulate_get(openapi.PATH).json
    item = served["paths"]["/v2.1/widgets/{widget_id}"]
    assert item["parameters"][0]["name"] == "widget_id"
    assert item["post"]["x-tessera-unregistered"] is True
    assert item["post"]["requestBody"]["content"]["application/json"]["schema"] == {}
    assert "requestBody" not in item["get"]
    assert item["get"]["x-tessera-resource"] == "_Widget"
    assert document.unregistered(app) == [
        ("GET", "/v2.1/widgets/{widget_id:int}"),
        ("POST", "/v2.1/widgets/{widget_id:int}"),
    ]
