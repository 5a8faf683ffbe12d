"""Image properties for server views: read from the image service, remembered a while."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tessera.compute.server_parts import ImageProperties
from tessera.context import RequestContext
from tessera.image import ImageService
from tessera.image.records import Image, ImageSpec, ListQuery

OWNER = RequestContext(user_id="u", project_id="p", roles=("member",))


class Counting:
    """The image service, counting the listings asked of it."""

    def __init__(self, service: ImageService) -> None:
        self.service = service
        self.calls = 0

    def list(self, ctx: RequestContext, query: ListQuery) -> list[Image]:
        self.calls += 1
        return self.service.list(ctx, query)


@pytest.fixture
def images(tmp_path: Path) -> Iterator[Counting]:
    service = ImageService(tmp_path / "images")
    yield Counting(service)
    service.close()


def _image(images: Counting, **properties: str) -> str:
    return images.service.create(OWNER, ImageSpec(name="i", properties=properties)).id


def test_properties_are_read_once_within_the_time_to_live(images: Counting) -> None:
    first = _image(images, hw_disk_bus="virtio")
    cache = ImageProperties(images, ttl=3600)
    assert cache.of([first, None]) == {first: {"hw_disk_bus": "virtio"}}
    reads = images.calls
    assert cache.of([first]) == {first: {"hw_disk_bus": "virtio"}}
    assert images.calls == reads  # remembered
    second = _image(images, os_type="linux")
    assert cache.of([first, second])[second] == {"os_type": "linux"}
    assert images.calls > reads  # only the new one was asked for


def test_expired_answers_are_read_again(images: Counting) -> None:
    image = _image(images, hw_disk_bus="virtio")
    cache = ImageProperties(images, ttl=0)
    cache.of([image])
    reads = images.calls
    cache.of([image])
    assert images.calls > reads


def test_a_missing_image_has_no_properties_and_no_service_means_none(images: Counting) -> None:
    gone = "5b0e6f0e-1111-4c4c-8888-000000000000"
    assert ImageProperties(images).of([gone]) == {gone: {}}
    assert ImageProperties(None).of([gone]) == {}
