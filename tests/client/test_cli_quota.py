"""``openstack quota show/set/delete`` (the real CLI) against the embedded cloud.

The CLI finds the project through the identity API (``GET /v3/projects/{id}``, then
``?name=``) before it asks compute; without a project it takes the token's own.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import yaml

from tessera.objects.quota import DEFAULTS
from tests.client.cli import osc

COUNTED = ("instances", "cores", "ram")


def _limits(rows: list[dict[str, Any]]) -> dict[str, Any]:
    found = {row["Resource"]: row["Limit"] for row in rows}
    return {name: found[name] for name in COUNTED}


def _api_quota(clouds: Path, project: str) -> dict[str, Any]:
    """The project's quota set as the compute API returns it (admin)."""
    admin = yaml.safe_load(clouds.read_text())["clouds"]["tessera-admin"]
    request = urllib.request.Request(
        f"{admin['compute_endpoint_override']}/os-quota-sets/{project}",
        headers={"X-Auth-Token": admin["auth"]["token"]},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        found: dict[str, Any] = json.load(answer)["quota_set"]
    return {name: found[name] for name in COUNTED}


def test_quota_show_of_the_token_project(cloud: Path) -> None:
    shown = osc(cloud, "quota", "show", "-f", "json", cloud="tessera-password")
    assert _limits(shown) == _api_quota(cloud, "demo")


def test_quota_show_default(cloud: Path) -> None:
    shown = osc(cloud, "quota", "show", "--default", "-f", "json", cloud="tessera-password")
    assert _limits(shown) == {name: DEFAULTS[name] for name in COUNTED}


def test_quota_show_of_a_named_project(cloud: Path) -> None:
    shown = osc(cloud, "quota", "show", "--compute", "demo", "-f", "json")
    assert _limits(shown) == _api_quota(cloud, "demo")


def test_admin_sets_and_deletes_a_project_quota(cloud: Path) -> None:
    project = f"quota-{uuid.uuid4().hex[:8]}"
    osc(cloud, "quota", "set", "--instances", "7", project, cloud="tessera-admin")
    try:
        shown = osc(
            cloud, "quota", "show", "--compute", project, "-f", "json", cloud="tessera-admin"
        )
        assert _limits(shown)["instances"] == 7 == _api_quota(cloud, project)["instances"]
    finally:
        osc(cloud, "quota", "delete", "--compute", project, cloud="tessera-admin")
    assert _api_quota(cloud, project)["instances"] == DEFAULTS["instances"]


def test_a_member_may_not_set_quotas(cloud: Path) -> None:
    refused = osc(cloud, "quota", "set", "--instances", "3", "demo", check=False)
    assert refused.returncode != 0
    assert "os-quota-sets:update" in refused.stderr
    assert _api_quota(cloud, "demo")["instances"] != 3


def test_a_member_may_not_look_up_another_project(cloud: Path) -> None:
    refused = osc(cloud, "quota", "show", "--compute", "someone-else", check=False)
    assert refused.returncode != 0
    assert "403" in refused.stderr


NETWORK = ("subnets", "ports", "routers")
"""Rows only the network quotas give (``openstack quota show`` shows openstacksdk's names)."""


def test_plain_quota_show_reads_the_network_quotas_too(cloud: Path) -> None:
    """Without ``--compute`` the CLI also asks ``GET /network/v2.0/quotas/{project}``.

    A project is named: with a bare token the CLI knows no project of its own.
    """
    shown = osc(cloud, "quota", "show", "demo", "-f", "json")
    assert _limits(shown) == _api_quota(cloud, "demo")
    found = {row["Resource"]: row["Limit"] for row in shown}
    assert {name: found[name] for name in NETWORK} == dict.fromkeys(NETWORK, -1)


def test_plain_quota_show_with_usage(cloud: Path) -> None:
    """``--usage`` reads ``GET /network/v2.0/quotas/{project}/details``."""
    shown = osc(cloud, "quota", "show", "--usage", "demo", "-f", "json")
    used = {row["Resource"]: row for row in shown}
    assert all(used[name]["Limit"] == -1 for name in NETWORK)
    assert all(isinstance(used[name]["In Use"], int) for name in NETWORK)


def test_plain_quota_show_of_another_project_is_refused(cloud: Path) -> None:
    refused = osc(cloud, "quota", "show", "someone-else", check=False)
    assert refused.returncode != 0
    assert "403" in refused.stderr
