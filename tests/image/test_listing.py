"""``GET /v2/images``: filters, ordering and marker paging."""

from __future__ import annotations

from typing import Any

import falcon.testing
import pytest

from tessera.image.parsing import MAX_SIZE
from tests.image.conftest import ALICE, create, names, upload


def _list(client: falcon.testing.TestClient, **params: Any) -> falcon.testing.Result:
    return client.simulate_get("/image/v2/images", params=params, headers=ALICE)


@pytest.fixture
def three(client: falcon.testing.TestClient) -> list[dict[str, Any]]:
    images = [
        create(client, ALICE, name="alpha", os_distro="cirros", tags=["small"]),
        create(client, ALICE, name="beta", os_distro="ubuntu"),
        create(client, ALICE, name="gamma", visibility="private", tags=["small", "x"]),
    ]
    upload(client, ALICE, images[1]["id"], b"beta-bytes")
    return images


def test_filter_by_name(client: falcon.testing.TestClient, three: list[dict[str, Any]]) -> None:
    assert names(_list(client, name="beta")) == ["beta"]
    assert names(_list(client, name="nothing")) == []


def test_filter_by_id_in(client: falcon.testing.TestClient, three: list[dict[str, Any]]) -> None:
    wanted = f"in:{three[0]['id']},{three[2]['id']}"
    assert sorted(names(_list(client, id=wanted))) == ["alpha", "gamma"]


def test_filter_by_name_in_with_quotes(
    client: falcon.testing.TestClient, three: list[dict[str, Any]]
) -> None:
    create(client, ALICE, name="with,comma")
    assert sorted(names(_list(client, name='in:"with,comma",beta'))) == ["beta", "with,comma"]


def test_filter_by_status_visibility_owner(
    client: falcon.testing.TestClient, three: list[dict[str, Any]]
) -> None:
    assert names(_list(client, status="active")) == ["beta"]
    assert names(_list(client, visibility="private")) == ["gamma"]
    assert len(names(_list(client, owner="project-a"))) == 3
    assert names(_list(client, owner="someone-else")) == []


def test_filter_by_property_and_tags(
    client: falcon.testing.TestClient, three: list[dict[str, Any]]
) -> None:
    assert names(_list(client, os_distro="cirros")) == ["alpha"]
    assert sorted(names(_list(client, tag="small"))) == ["alpha", "gamma"]
    assert names(_list(client, tag=["small", "x"])) == ["gamma"]


def test_filter_by_size(client: falcon.testing.TestClient, three: list[dict[str, Any]]) -> None:
    assert names(_list(client, size_min="1")) == ["beta"]
    assert names(_list(client, size_max="3")) == []


def test_sort_key_and_dir(client: falcon.testing.TestClient, three: list[dict[str, Any]]) -> None:
    assert names(_list(client, sort_key="name", sort_dir="asc")) == ["alpha", "beta", "gamma"]
    assert names(_list(client, sort_key="name", sort_dir="desc")) == ["gamma", "beta", "alpha"]
    assert names(_list(client, sort="name:asc")) == ["alpha", "beta", "gamma"]


def test_pages_follow_next_links(
    client: falcon.testing.TestClient, three: list[dict[str, Any]]
) -> None:
    first = _list(client, sort_key="name", sort_dir="asc", limit="2")
    assert names(first) == ["alpha", "beta"]
    assert first.json["first"] == "/v2/images?sort_key=name&sort_dir=asc&limit=2"
    path, _, query = first.json["next"].partition("?")
    assert path == "/v2/images"
    second = client.simulate_get("/image/v2/images", query_string=query, headers=ALICE)
    assert names(second) == ["gamma"]
    assert "next" not in second.json


def test_paging_in_default_order_with_equal_timestamps(
    client: falcon.testing.TestClient,
) -> None:
    created = {create(client, ALICE, name=f"n{i}")["id"] for i in range(7)}
    seen: list[str] = []
    marker: dict[str, str] = {}
    while True:
        page = _list(client, limit="3", **marker).json
        seen += [image["id"] for image in page["images"]]
        if "next" not in page:
            break
        marker = {"marker": page["images"][-1]["id"]}
    assert len(seen) == 7 and set(seen) == created


def test_paging_over_null_names(client: falcon.testing.TestClient) -> None:
    ids = [create(client, ALICE)["id"] for _ in range(3)] + [create(client, ALICE, name="z")["id"]]
    page1 = _list(client, sort_key="name", sort_dir="asc", limit="2").json
    page2 = _list(
        client, sort_key="name", sort_dir="asc", limit="2", marker=page1["images"][-1]["id"]
    ).json
    listed = [i["id"] for i in page1["images"] + page2["images"]]
    assert sorted(listed) == sorted(ids)
    assert page2["images"][-1]["name"] == "z"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "-1"},
        {"limit": "many"},
        {"marker": "00000000-0000-0000-0000-000000000000"},
        {"sort_key": "secret"},
        {"sort_dir": "sideways"},
        {"visibility": "everyone"},
        {"protected": "maybe"},
        {"created_at": "2020-01-01"},
        {"sort": "name", "sort_key": "name"},
    ],
)
def test_bad_list_parameters_are_400(
    client: falcon.testing.TestClient, params: dict[str, str]
) -> None:
    assert _list(client, **params).status_code == 400


def test_limit_is_capped_not_refused(client: falcon.testing.TestClient) -> None:
    create(client, ALICE, name="one")
    assert names(_list(client, limit="100000")) == ["one"]
    # Even beyond what int() reads from text (4300 digits).
    assert names(_list(client, limit="9" * 5000)) == ["one"]


@pytest.mark.parametrize("key", ["size_min", "size_max"])
@pytest.mark.parametrize("value", [str(MAX_SIZE + 1), "9" * 5000, "\u00b2"])
def test_size_bounds_beyond_the_column_are_400(
    client: falcon.testing.TestClient, key: str, value: str
) -> None:
    """No store is asked to compare sizes with a number a 64-bit column cannot hold."""
    result = _list(client, **{key: value})
    assert result.status_code == 400, result.text
    assert result.json == {
        "code": 400,
        "title": "Bad Request",
        "message": f"{key} param must be an integer from 0 to {MAX_SIZE}",
    }


def test_size_bounds_at_the_column_limit(
    client: falcon.testing.TestClient, three: list[dict[str, Any]]
) -> None:
    assert names(_list(client, size_min=str(MAX_SIZE))) == []
    assert names(_list(client, size_max=str(MAX_SIZE))) == ["beta"]
    assert names(_list(client, size_min="000001")) == ["beta"]


def test_hidden_images_are_listed_only_on_request(client: falcon.testing.TestClient) -> None:
    create(client, ALICE, name="shown")
    create(client, ALICE, name="hidden", os_hidden=True)
    assert names(_list(client)) == ["shown"]
    assert names(_list(client, os_hidden="true")) == ["hidden"]
