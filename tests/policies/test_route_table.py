"""Policy tests: every compute route and method, called by an admin, the owning project's
member and another project's member, against the table in :mod:`tests.policies.route_table`.

One embedded cloud serves the module; its full API app (every resource
:func:`tessera.api.wiring.build_api_server` installs) is driven in-process.
"""

from __future__ import annotations

import dataclasses
import re
import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon
import pytest
from falcon import inspect, testing

from tessera import policies
from tessera.deploy.cloud import EmbeddedCloud
from tessera.deploy.embedded import EmbeddedLayout, prepare
from tessera.policies import aggregates
from tests.policies.route_table import ALLOWED, EVERYONE, FORBIDDEN, ROWS, Row
from tests.policies.route_world import PREFIX, Caller, World, app_with_policy, build_world, send

CALLERS = (Caller.OTHER, Caller.MEMBER, Caller.ADMIN)
SERVER_ACTION = "/servers/{server_id}/action"
_PARAM = re.compile(r"{[^}]*}")
# The reference's sample policy file spells this call so; the route is /detail.
_DOCUMENTED_AS = {"/os-hypervisors/details": "/os-hypervisors/detail"}
# An authorization failure, whatever a row tolerates.
_REFUSALS = (401, 403)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    layout = EmbeddedLayout(
        tmp_path_factory.mktemp("route-table") / "cloud",
        cells=1,
        computes_per_cell=1,
        api_port=0,
        fake_driver={"vcpus": "8", "memory_mb": "16384", "disk_gb": "200"},
    )
    prepare(layout)
    cloud = EmbeddedCloud(layout)
    try:
        cloud.start()
        cloud.discover_hosts()
        built = build_world(cloud)
        try:
            yield built
        finally:
            built.cell.dispose()
    finally:
        cloud.stop()


def compute_routes(app: falcon.App[Any, Any]) -> set[tuple[str, str]]:
    """``(METHOD, route)`` of every compute call the app serves."""
    return {
        (method.method, route.path)
        for route in inspect.inspect_routes(app)
        if route.path == PREFIX or route.path.startswith(f"{PREFIX}/")
        for method in route.methods
        if not method.internal
    }


def forbidden(rule: str | None) -> dict[str, Any]:
    """The compute API's 403 body for a denied ``rule``."""
    message = f"Policy doesn't allow {rule} to be performed."
    return {"forbidden": {"code": 403, "message": message}}


def problem(row: Row, caller: Caller, result: testing.Result) -> str | None:
    """What is wrong with ``caller``'s answer to ``row``'s call, or None."""
    outcome, status = row.expect.of(caller), result.status_code
    if outcome is ALLOWED:
        tolerated = status in row.tolerates and status not in _REFUSALS
        if row.scoped and status == 404:
            tolerated = False  # the caller's own resource exists: hiding it is a refusal
        passed = status < 300 or tolerated
        return None if passed else f"expected authorization to pass, got {status}"
    if outcome is FORBIDDEN:
        passed = status == 403 and result.json == forbidden(row.rule)
    else:
        passed = status == 404 and "itemNotFound" in (result.json or {})
    return None if passed else f"expected {outcome.value}, got {status}"


def run(world: World, row: Row, client: testing.TestClient) -> list[str]:
    """``row``'s call by each caller through ``client``; what went wrong."""
    problems: list[str] = []
    for caller in CALLERS:
        params = {**world.params, **(row.prepare(world) if row.prepare else {})}
        query = row.admin_query if caller is Caller.ADMIN and row.admin_query else row.query
        body = row.request_body(world)
        result = send(
            client, caller, row.method, row.route.format(**params), body, query, row.version
        )
        try:
            found = problem(row, caller, result)
        finally:
            if row.cleanup is not None:
                row.cleanup(world, params, result)
        if found is not None:
            problems.append(f"{caller.name}: {found}: {result.text[:300]}")
    return problems


def _row(method: str, route: str) -> Row:
    (found,) = [
        r for r in ROWS if (r.method, r.route) == (method, route) and not (r.query or r.case)
    ]
    return found


def _operations(default: Any) -> set[tuple[str, str]]:
    """The calls the sample policy file lists under a rule, parameters unnamed."""
    return {
        (op["method"], _DOCUMENTED_AS.get(op["path"], _PARAM.sub("{}", op["path"])))
        for op in getattr(default, "operations", [])
    }


def _documented(rule: str) -> set[tuple[str, str]]:
    (default,) = [r for r in policies.list_rules() if r.name == rule]
    return _operations(default)


def _documented_actions(route: str) -> set[str]:
    """The actions of ``POST route`` the sample policy file lists."""
    pattern = re.compile(re.escape(_PARAM.sub("{}", route)) + r" \((\w[\w-]*)\)")
    return {
        found.group(1)
        for default in policies.list_rules()
        for method, path in _operations(default)
        if method == "POST" and (found := pattern.fullmatch(path))
    }


def test_every_compute_route_has_a_row(world: World) -> None:
    served = compute_routes(world.client.app)
    tabled = {(row.method, f"{PREFIX}{row.route}") for row in ROWS}
    assert served - tabled == set(), "routes without a row in the policy table"
    assert tabled - served == set(), "rows of routes the app does not serve"


def test_every_server_action_served_has_a_row(world: World) -> None:
    # On a server that does not exist, an action the API serves is looked up and
    # answers 404; one it does not serve is refused with 400 first. Nothing changes.
    nowhere = f"/servers/{uuidlib.uuid4()}/action"

    def served(action: str) -> bool:
        status: int = world.send(Caller.ADMIN, "POST", nowhere, {action: None}).status_code
        assert status in (400, 404), (action, status)
        return status == 404

    assert not served("policyTableNoSuchAction")
    tabled = {row.action for row in ROWS if row.route == SERVER_ACTION}
    assert all(served(str(action)) for action in tabled)
    untabled = _documented_actions(SERVER_ACTION) - tabled
    assert {action for action in untabled if served(action)} == set()


def test_every_documented_action_of_the_other_action_routes_has_a_row() -> None:
    for route in ("/flavors/{flavor_id}/action", "/os-aggregates/{aggregate_id}/action"):
        tabled = {row.action for row in ROWS if row.route == route}
        assert tabled == _documented_actions(route), route


def test_rows_are_distinct() -> None:
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("row", [r for r in ROWS if r.rule], ids=lambda r: r.id)
def test_the_rule_documents_the_call(row: Row) -> None:
    """The sample policy file lists the call under the rule the table says decides it."""
    assert row.rule is not None
    call = _PARAM.sub("{}", row.route) + (f" ({row.action})" if row.action else "")
    assert (row.method, call) in _documented(row.rule)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_route(world: World, row: Row) -> None:
    assert run(world, row, world.client) == []


def test_a_policy_file_opens_an_admin_rule_to_members(world: World, tmp_path: Path) -> None:
    listing = _row("GET", "/os-aggregates")
    assert listing.rule == aggregates.INDEX and listing.expect.member is FORBIDDEN
    app = app_with_policy(world.cloud, f'"{aggregates.INDEX}": "role:member"\n', tmp_path)
    client = testing.TestClient(app)
    assert run(world, dataclasses.replace(listing, expect=EVERYONE), client) == []
    # Rules the file does not name keep their defaults.
    assert run(world, _row("POST", "/os-aggregates"), client) == []
    assert run(world, _row("GET", "/os-services"), client) == []
