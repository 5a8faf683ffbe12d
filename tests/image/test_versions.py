"""The version list answers without a token; the API behind it needs one."""

from __future__ import annotations

import falcon
import falcon.testing
import pytest

from tessera.api import errors as compute_errors
from tessera.api.auth import NoAuthMiddleware
from tessera.image import ImageService, install
from tests.image.conftest import ADMIN, ALICE, create, upload


@pytest.mark.parametrize(("path", "status"), [("/image", 300), ("/image/", 300)])
def test_root_lists_versions_without_a_token(
    client: falcon.testing.TestClient, path: str, status: int
) -> None:
    result = client.simulate_get(path)
    assert result.status_code == status
    current = result.json["versions"][0]
    assert current["id"] == "v2.16"
    assert current["status"] == "CURRENT"
    assert current["links"] == [{"rel": "self", "href": "http://falconframework.org/image/v2/"}]


def test_versions_path_answers_200(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/image/versions")
    assert result.status_code == 200
    ids = [v["id"] for v in result.json["versions"]]
    assert ids[0] == "v2.16" and ids[-1] == "v2.0"
    assert {v["status"] for v in result.json["versions"][1:]} == {"SUPPORTED"}


def test_trailing_slash_in_an_app_that_strips_it(service: ImageService) -> None:
    app = falcon.App()
    app.req_options.strip_url_path_trailing_slash = True
    install(app, service)
    result = falcon.testing.TestClient(app).simulate_get("/image/")
    assert result.status_code == 300


def test_custom_prefix_is_in_the_links(service: ImageService) -> None:
    app = falcon.App()
    install(app, service, prefix="/glance/")
    result = falcon.testing.TestClient(app).simulate_get("/glance")
    assert result.json["versions"][0]["links"][0]["href"].endswith("/glance/v2/")


def test_images_need_a_token(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/image/v2/images")
    assert result.status_code == 401
    assert result.json["code"] == 401
    assert result.json["title"] == "Unauthorized"


def test_openstackclient_name_lookup_sequence(client: falcon.testing.TestClient) -> None:
    """``openstack server create --image cirros``: discovery, id lookup, name lookup."""
    image = create(client, ADMIN, name="cirros", visibility="public")
    assert upload(client, ADMIN, image["id"], b"cirros-bytes").status_code == 204
    token = {"X-Auth-Token": "notused"}  # what auth_type none sends

    assert client.simulate_get("/image").status_code == 300
    missing = client.simulate_get("/image/v2/images/cirros", headers=token)
    assert missing.status_code == 404
    found = client.simulate_get("/image/v2/images", params={"name": "cirros"}, headers=token)
    assert found.status_code == 200
    assert [i["id"] for i in found.json["images"]] == [image["id"]]
    assert found.json["images"][0]["status"] == "active"
    by_id = client.simulate_get(f"/image/v2/images/{image['id']}", headers=ALICE)
    assert by_id.json["name"] == "cirros"


def test_beside_the_compute_api_middleware_and_error_handlers(service: ImageService) -> None:
    """Mounted in an app with the compute API's auth and error handling, as deployed."""
    app = falcon.App(middleware=[NoAuthMiddleware()])
    app.req_options.strip_url_path_trailing_slash = True
    compute_errors.install(app)
    install(app, service)
    client = falcon.testing.TestClient(app)

    assert client.simulate_get("/image").status_code == 300
    assert client.simulate_get("/image/versions").status_code == 200
    assert client.simulate_get("/image/v2/images").json["code"] == 401
    missing = client.simulate_get("/image/v2/images/nope", headers=ALICE)
    assert missing.json == {
        "code": 404,
        "title": "Not Found",
        "message": "No image found with ID nope",
    }
