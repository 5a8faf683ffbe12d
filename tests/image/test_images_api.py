"""Create, upload, download, show, delete and the errors around them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import falcon.testing

from tests.image.conftest import ALICE, MAX_SIZE, create, md5, upload

DATA = bytes(range(256)) * 40  # 10 KiB
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_new_image_is_queued_with_glance_fields(client: falcon.testing.TestClient) -> None:
    image = create(client, ALICE, name="img", min_disk=1, tags=["a", "b", "a"], os_distro="cirros")
    assert image["status"] == "queued"
    assert image["owner"] == "project-a"
    assert image["visibility"] == "shared"
    assert image["tags"] == ["a", "b"]
    assert image["os_distro"] == "cirros"
    assert image["min_disk"] == 1 and image["min_ram"] == 0
    assert image["protected"] is False
    assert image["checksum"] is None and image["size"] is None and image["virtual_size"] is None
    assert image["self"] == f"/v2/images/{image['id']}"
    assert image["file"] == f"/v2/images/{image['id']}/file"
    assert image["schema"] == "/v2/schemas/image"
    assert ISO_Z.match(image["created_at"]) and ISO_Z.match(image["updated_at"])


def test_upload_and_download_round_trip(client: falcon.testing.TestClient) -> None:
    image = create(client, ALICE, name="img")
    assert upload(client, ALICE, image["id"], DATA).status_code == 204

    shown = client.simulate_get(f"/image/v2/images/{image['id']}", headers=ALICE).json
    assert shown["status"] == "active"
    assert shown["size"] == len(DATA)
    assert shown["checksum"] == md5(DATA)
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(DATA).hexdigest()

    got = client.simulate_get(f"/image/v2/images/{image['id']}/file", headers=ALICE)
    assert got.status_code == 200
    assert got.content == DATA
    assert got.headers["Content-MD5"] == md5(DATA)
    assert got.headers["Content-Type"] == "application/octet-stream"


def test_download_before_upload_is_204(client: falcon.testing.TestClient) -> None:
    image = create(client, ALICE)
    got = client.simulate_get(f"/image/v2/images/{image['id']}/file", headers=ALICE)
    assert got.status_code == 204


def test_second_upload_conflicts(client: falcon.testing.TestClient) -> None:
    image = create(client, ALICE)
    assert upload(client, ALICE, image["id"], DATA).status_code == 204
    again = upload(client, ALICE, image["id"], b"other")
    assert again.status_code == 409
    assert again.json["code"] == 409


def test_upload_over_the_limit_is_413_and_image_stays_queued(
    client: falcon.testing.TestClient,
) -> None:
    image = create(client, ALICE)
    too_big = upload(client, ALICE, image["id"], b"x" * (MAX_SIZE + 1))
    assert too_big.status_code == 413
    shown = client.simulate_get(f"/image/v2/images/{image['id']}", headers=ALICE).json
    assert shown["status"] == "queued"
    assert upload(client, ALICE, image["id"], DATA).status_code == 204


def test_upload_needs_formats(client: falcon.testing.TestClient) -> None:
    result = client.simulate_post("/image/v2/images", json={"name": "bare-record"}, headers=ALICE)
    assert upload(client, ALICE, result.json["id"], DATA).status_code == 400


def test_upload_with_wrong_media_type_is_415(client: falcon.testing.TestClient) -> None:
    image = create(client, ALICE)
    result = client.simulate_put(
        f"/image/v2/images/{image['id']}/file",
        body=DATA,
        headers={**ALICE, "Content-Type": "text/plain"},
    )
    assert result.status_code == 415


def test_create_rejects_bad_json_and_bad_fields(client: falcon.testing.TestClient) -> None:
    def post(body: bytes) -> int:
        headers = {**ALICE, "Content-Type": "application/json"}
        return client.simulate_post("/image/v2/images", body=body, headers=headers).status_code

    assert post(b"{not json") == 400
    assert post(b"[]") == 400
    assert post(b'{"disk_format": "floppy"}') == 400
    assert post(b'{"min_ram": -1}') == 400
    assert post(b'{"os_distro": 7}') == 400
    assert post(b'{"id": "not-a-uuid"}') == 400
    # Nested deeper than the JSON decoder follows.
    assert post(b"[" * 100_000 + b"]" * 100_000) == 400


def test_an_announced_size_beyond_any_limit_is_413(client: falcon.testing.TestClient) -> None:
    image = create(client, ALICE)
    headers = {**ALICE, "Content-Type": "application/octet-stream"}
    for size in (str(MAX_SIZE + 1), "9" * 5000):
        result = client.simulate_put(
            f"/image/v2/images/{image['id']}/file",
            body=DATA,
            headers={**headers, "X-OpenStack-Image-Size": size},
        )
        assert result.status_code == 413, result.text
    # Not a number: the body's own length counts.
    result = client.simulate_put(
        f"/image/v2/images/{image['id']}/file",
        body=DATA,
        headers={**headers, "X-OpenStack-Image-Size": "lots"},
    )
    assert result.status_code == 204, result.text


def test_create_refuses_computed_attributes(client: falcon.testing.TestClient) -> None:
    result = client.simulate_post(
        "/image/v2/images", json={"name": "x", "status": "active"}, headers=ALICE
    )
    assert result.status_code == 403
    assert "read-only" in result.json["message"]


def test_create_with_a_chosen_id_twice_conflicts(client: falcon.testing.TestClient) -> None:
    chosen = "6f1b7a52-3d0e-4c1b-9f0e-0d7c2a9b1e11"
    assert create(client, ALICE, id=chosen)["id"] == chosen
    again = client.simulate_post("/image/v2/images", json={"id": chosen.upper()}, headers=ALICE)
    assert again.status_code == 409


def test_delete_removes_record_and_data(client: falcon.testing.TestClient, tmp_path: Path) -> None:
    image = create(client, ALICE)
    upload(client, ALICE, image["id"], DATA)
    data_dir = tmp_path / "images" / "data"
    assert [p.name for p in data_dir.iterdir()] == [image["id"]]

    url = f"/image/v2/images/{image['id']}"
    assert client.simulate_delete(url, headers=ALICE).status_code == 204
    assert client.simulate_get(url, headers=ALICE).status_code == 404
    assert client.simulate_delete(url, headers=ALICE).status_code == 404
    assert list(data_dir.iterdir()) == []


def test_protected_image_cannot_be_deleted(client: falcon.testing.TestClient) -> None:
    image = create(client, ALICE, protected=True)
    refused = client.simulate_delete(f"/image/v2/images/{image['id']}", headers=ALICE)
    assert refused.status_code == 403
    assert refused.json == {
        "code": 403,
        "title": "Forbidden",
        "message": f"Image {image['id']} is protected and cannot be deleted.",
    }
    assert client.simulate_get(f"/image/v2/images/{image['id']}", headers=ALICE).status_code == 200


def test_unknown_image_is_404_in_glance_error_shape(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/image/v2/images/no-such-image", headers=ALICE)
    assert result.status_code == 404
    assert result.json["code"] == 404
    assert result.json["title"] == "Not Found"


def test_tags_can_be_added_and_removed(client: falcon.testing.TestClient) -> None:
    image = create(client, ALICE, tags=["a"])
    url = f"/image/v2/images/{image['id']}/tags"
    assert client.simulate_put(f"{url}/b", headers=ALICE).status_code == 204
    assert client.simulate_delete(f"{url}/a", headers=ALICE).status_code == 204
    assert client.simulate_delete(f"{url}/a", headers=ALICE).status_code == 404
    shown = client.simulate_get(f"/image/v2/images/{image['id']}", headers=ALICE).json
    assert shown["tags"] == ["b"]


def test_schema_documents(client: falcon.testing.TestClient) -> None:
    image_schema = client.simulate_get("/image/v2/schemas/image", headers=ALICE).json
    assert image_schema["name"] == "image"
    assert "disk_format" in image_schema["properties"]
    listing = client.simulate_get("/image/v2/schemas/images", headers=ALICE).json
    assert listing["name"] == "images"
