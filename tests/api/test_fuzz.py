"""Schema-driven fuzzing of the whole API of a running embedded cloud.

schemathesis reads the document the API serves (``GET /v2.1/openapi.json``) and
generates requests for every operation, valid ones and invalid ones, which go
straight to the WSGI app of a real all-in-one (SQLite, in-process queues, fake
computes). The run is bounded in time (:data:`BUDGET`). Properties:

- no response is a 5xx;
- no body carries traceback text (but a server fault's ``details``, which admins see);
- every compute API error is ``{"<faultName>": {"code": <status>, "message": ...}}``,
  and every error conforms to the documented error schema;
- afterwards the API still serves: list, boot and delete work.

The 500s fuzzing has found are in :data:`FIXED`, each reproducer pinned to the answer it
gets now (``test_fixed_defect``), so none comes back unnoticed.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import schemathesis
from falcon import testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import response_schema_conformance

from tessera.api import openapi
from tessera.api.errors import FAULT_NAMES
from tessera.deploy.cloud import EmbeddedCloud
from tessera.deploy.embedded import EmbeddedLayout, prepare
from tests.functional.conftest import wait_for

BUDGET = 40.0
"""Seconds of fuzzing (rounds over every operation; at least one whole round)."""
PER_OPERATION = 5
"""Examples of one operation per round."""
TOKENS = ("admin:admin", "demo:demo", "alt:alt")
# As patterns, not plain strings: Hypothesis draws text from string constants of local
# modules, and a server named after a marker would come back in listings.
TRACEBACK = re.compile(r'Traceback \(most recent call last\)|File \\?"[^"]*\.py\\?", line [0-9]+')


@dataclass(frozen=True)
class Fixed:
    """A 500 fuzzing found, since fixed: the request, and the 4xx it gets now."""

    target: str
    """Path and query string (``{server_id}``: a server of the cloud)."""
    status: int
    """The answer's status code."""
    error: str
    """The error body's form: ``compute``, ``image`` or ``network``."""
    body: bytes | None = None
    """The raw body sent (JSON)."""


BIG = "99999999999999999999"
"""Beyond every integer column (and 64-bit ones)."""
DEEP = b"[" * 100_000 + b"]" * 100_000
"""JSON nested deeper than the decoder follows."""
_AGGREGATE = Fixed(f"/v2.1/os-aggregates/{BIG}", 404, "compute")
FIXED: dict[tuple[str, str], Fixed] = {
    ("POST", "/v2.1/os-keypairs"): Fixed(
        "/v2.1/os-keypairs",
        400,
        "compute",
        b'{"keypair": {"name": "fuzz-key", "public_key": "foo AAAAA3Zvbw=="}}',
    ),
    ("GET", "/v2.1/os-aggregates/{aggregate_id}"): _AGGREGATE,
    ("DELETE", "/v2.1/os-aggregates/{aggregate_id}"): _AGGREGATE,
    ("PUT", "/v2.1/os-aggregates/{aggregate_id}"): replace(
        _AGGREGATE, body=b'{"aggregate": {"name": "fuzz"}}'
    ),
    ("GET", "/v2.1/os-keypairs"): Fixed(f"/v2.1/os-keypairs?limit={BIG}", 200, "compute"),
    ("GET", "/v2.1/os-server-groups"): Fixed(
        f"/v2.1/os-server-groups?offset={BIG}", 200, "compute"
    ),
    ("GET", "/image/v2/images"): Fixed(f"/image/v2/images?size_min={BIG}", 400, "image"),
    ("POST", "/image/v2/images"): Fixed("/image/v2/images", 400, "image", DEEP),
    ("GET", "/network/v2.0/subnets"): Fixed(
        f"/network/v2.0/subnets?ip_version={BIG}", 400, "network"
    ),
    ("PUT", "/v2.1/servers/{server_id}/tags/{tag}"): Fixed(
        "/v2.1/servers/{server_id}/tags/fuzz", 400, "compute", DEEP
    ),
}

# Falcon's test client and schemathesis send this media type as JSON, as clients do.
schemathesis.serializer.alias("application/openstack-images-v2.1-json-patch", "application/json")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCloud]:
    """A running all-in-one: one cell, one compute."""
    layout = EmbeddedLayout(
        tmp_path_factory.mktemp("fuzz-cloud"), cells=1, computes_per_cell=1, api_port=0
    )
    prepare(layout)
    running = EmbeddedCloud(layout)
    running.start()
    running.discover_hosts()
    yield running
    running.stop()


def _app(cloud: EmbeddedCloud) -> Any:
    assert cloud.api_server is not None
    return cloud.api_server.app


def reproducer(case: Any) -> str:
    """The request of ``case``, enough to send it again."""
    path = case.path
    for name, value in (case.path_parameters or {}).items():
        path = path.replace(f"{{{name}}}", str(value))
    body = None if isinstance(case.body, NotSet) else case.body
    return (
        f"{case.method} {path} query={case.query!r} headers={dict(case.headers or {})!r} "
        f"media_type={case.media_type!r} body={body!r}"
    )


def check_compute_error(status: int, text: str) -> None:
    """``text`` is the compute API's error form for ``status``."""
    body = json.loads(text)
    assert isinstance(body, dict) and len(body) == 1, text
    [(name, detail)] = body.items()
    assert name == FAULT_NAMES.get(status, "computeFault"), text
    assert detail["code"] == status and isinstance(detail["message"], str), text


def _admin(case: Any) -> bool:
    return str((case.headers or {}).get("X-Auth-Token", "")).startswith("admin:")


def _without_fault_details(text: str) -> str:
    """``text`` less the ``details`` of server faults: admins see a fault's traceback there
    by design, as in the reference (everyone else must not)."""
    try:
        body = json.loads(text)
    except ValueError:
        return text

    def strip(value: Any) -> Any:
        if isinstance(value, list):
            return [strip(item) for item in value]
        if not isinstance(value, dict):
            return value
        found = {key: strip(item) for key, item in value.items()}
        if isinstance(found.get("fault"), dict):
            found["fault"] = {k: v for k, v in found["fault"].items() if k != "details"}
        return found

    return json.dumps(strip(body))


def _latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def check(case: Any, response: Any) -> None:
    """The fuzzing properties for one answer."""
    text = response.text
    where = f"{response.status_code} for {reproducer(case)}:\n{text[:2000]}"
    assert response.status_code < 500, where
    shown = _without_fault_details(text) if _admin(case) else text
    assert TRACEBACK.search(shown) is None, where
    for name, values in response.headers.items():  # a WSGI server sends latin-1 only
        assert all(value.isascii() or _latin1(value) for value in values), f"{name}: {where}"
    compute = case.path == "/" or case.path.startswith(("/v2.1", "/identity"))
    if compute and response.status_code >= 400:
        check_compute_error(response.status_code, text)
    if response.status_code >= 400:
        case.validate_response(response, checks=[response_schema_conformance])


def _fuzzer(operation: Any, seen: set[tuple[str, str]]) -> Any:
    """A run of :data:`PER_OPERATION` valid and invalid requests of one operation."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, token=st.sampled_from(TOKENS))
    def fuzz(case: Any, token: str) -> None:
        case.headers = {**(case.headers or {}), "X-Auth-Token": token}
        check(case, case.call())
        seen.add((case.method, case.path))

    return fuzz


def test_fuzz_every_operation(cloud: EmbeddedCloud) -> None:
    schema = schemathesis.openapi.from_wsgi(openapi.PATH, _app(cloud))
    operations = [result.ok() for result in schema.get_all_operations()]
    random.Random(7).shuffle(operations)
    seen: set[tuple[str, str]] = set()
    fuzzers = [_fuzzer(operation, seen) for operation in operations]
    # Round robin over the operations until the budget is spent, so every operation
    # is reached (one strategy over all of them favours a few); each round draws anew.
    stop_at = time.monotonic() + BUDGET
    for fuzz in itertools.cycle(fuzzers):
        fuzz()
        if time.monotonic() >= stop_at and len(seen) >= len(operations):
            break
        if time.monotonic() >= stop_at + BUDGET:  # a starved machine: stop anyway
            break
    every = {(op.method.upper(), op.path) for op in operations}
    assert seen == every, sorted(every - seen)
    assert_still_serves(cloud)


def assert_still_serves(cloud: EmbeddedCloud) -> None:
    """List, boot, show and delete a server; create and delete a keypair."""
    client = testing.TestClient(_app(cloud))
    headers = {"X-Auth-Token": "fuzz-user:fuzz-project"}
    listed = client.simulate_get("/v2.1/servers", headers=headers)
    assert listed.status_code == 200, listed.text
    # A flavor of its own: the fuzzing admin may have changed or deleted the defaults.
    admin = {"X-Auth-Token": "admin:admin"}
    size = {"name": "after-fuzz", "ram": 512, "vcpus": 1, "disk": 1, "id": "after-fuzz"}
    made = client.simulate_post("/v2.1/flavors", headers=admin, json={"flavor": size})
    assert made.status_code == 200, made.text
    body = {"server": {"name": "after-fuzz", "flavorRef": "after-fuzz", "imageRef": "cirros"}}
    body["server"]["networks"] = "none"
    created = client.simulate_post("/v2.1/servers", headers=headers, json=body)
    assert created.status_code == 202, created.text
    uuid = created.json["server"]["id"]

    def status() -> str:
        shown = client.simulate_get(f"/v2.1/servers/{uuid}", headers=headers)
        return str(shown.json["server"]["status"]) if shown.status_code == 200 else "GONE"

    def settled() -> str | None:
        now = status()
        return now if now in ("ACTIVE", "ERROR") else None

    assert wait_for(settled, 60, "boot") == "ACTIVE"
    deleted = client.simulate_delete(f"/v2.1/servers/{uuid}", headers=headers)
    assert deleted.status_code == 204, deleted.text
    wait_for(lambda: status() == "GONE", 60, "delete")
    key = client.simulate_post(
        "/v2.1/os-keypairs", headers=headers, json={"keypair": {"name": "after-fuzz"}}
    )
    assert key.status_code == 200, key.text
    gone = client.simulate_delete("/v2.1/os-keypairs/after-fuzz", headers=headers)
    assert gone.status_code == 202, gone.text


def check_error_form(error: str, status: int, text: str) -> None:
    """``text`` is an error of ``status`` in the form of its API (see :class:`Fixed`)."""
    if error == "compute":
        check_compute_error(status, text)
        return
    body = json.loads(text)
    if error == "image":
        assert body["code"] == status and isinstance(body["message"], str), text
    else:
        assert set(body["NeutronError"]) == {"type", "message", "detail"}, text


@pytest.mark.parametrize("operation", sorted(FIXED), ids=" ".join)
def test_fixed_defect(cloud: EmbeddedCloud, operation: tuple[str, str]) -> None:
    """Each request that once got a 500 gets its 4xx (or the reference's 200) now."""
    fixed = FIXED[operation]
    client = testing.TestClient(_app(cloud))
    headers = {
        "X-Auth-Token": "admin:admin",
        "OpenStack-API-Version": "compute latest",
        "Content-Type": "application/json",
    }
    server = None
    if "{server_id}" in fixed.target:
        body = {"server": {"name": "fuzz-tags", "flavorRef": "1", "imageRef": "cirros"}}
        body["server"]["networks"] = "none"
        created = client.simulate_post("/v2.1/servers", headers=headers, json=body)
        assert created.status_code == 202, created.text
        server = created.json["server"]["id"]
    path, _, query = fixed.target.format(server_id=server).partition("?")
    try:
        response = client.simulate_request(
            operation[0], path, query_string=query or None, headers=headers, body=fixed.body
        )
    finally:
        if server is not None:
            client.simulate_delete(f"/v2.1/servers/{server}", headers=headers)
    assert response.status_code == fixed.status, response.text
    if fixed.status >= 400:
        check_error_form(fixed.error, fixed.status, response.text)


@dataclass(frozen=True)
class _Answer:
    status_code: int
    text: str
    headers: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Case:
    method: str = "GET"
    path: str = "/v2.1/servers/{server_id}"
    path_parameters: dict[str, str] | None = None
    query: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    media_type: str | None = None
    body: Any = None


# In pieces, so that no constant of this module is a traceback line Hypothesis could draw.
_FRAME = "oops\n  File " + '"/srv/app.py", line 7, in handler'


@pytest.mark.parametrize(
    "answer",
    [
        _Answer(500, '{"computeFault": {"code": 500, "message": "Unexpected API Error."}}'),
        _Answer(404, json.dumps({"itemNotFound": {"code": 404, "message": _FRAME}})),
        _Answer(404, '{"error": {"code": 404, "message": "not found"}}'),
        _Answer(404, '{"badRequest": {"code": 404, "message": "wrong name"}}'),
        _Answer(400, '{"badRequest": {"code": 404, "message": "wrong code"}}'),
        _Answer(201, "{}", {"x-subject-token": ["\u7528"]}),
    ],
)
def test_check_refuses(answer: _Answer) -> None:
    """The properties catch what they are meant to (no 500, no traceback, compute form)."""
    with pytest.raises(AssertionError):
        check(_Case(path_parameters={"server_id": "x"}), answer)


def test_only_admins_may_see_a_fault_traceback() -> None:
    details = "Trace" + "back (most recent call last):\n" + _FRAME
    answer = _Answer(200, json.dumps({"server": {"fault": {"code": 500, "details": details}}}))
    check(_Case(headers={"X-Auth-Token": "admin:admin"}), answer)
    with pytest.raises(AssertionError):
        check(_Case(headers={"X-Auth-Token": "demo:demo"}), answer)
