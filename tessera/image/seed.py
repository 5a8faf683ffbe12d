"""Seeding a deployment with a tiny bootable-looking image for first boots and demos."""

from __future__ import annotations

import hashlib

from tessera.image.records import Image
from tessera.image.service import ImageService

CIRROS_NAME = "cirros"
CIRROS_SIZE = 8 * 1024
# The qcow2 magic, so tools that sniff the format see what disk_format claims.
_QCOW2_MAGIC = b"QFI\xfb"


def fake_disk(size: int = CIRROS_SIZE, seed: str = CIRROS_NAME) -> bytes:
    """``size`` deterministic bytes: the same seed always gives the same checksum."""
    blocks = bytearray(_QCOW2_MAGIC)
    counter = 0
    while len(blocks) < size:
        blocks += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(blocks[:size])


def seed_cirros(service: ImageService) -> Image:
    """The public ``cirros`` image, uploaded on first call and reused afterwards."""
    return service.ensure_image(CIRROS_NAME, fake_disk(), properties={"os_distro": "cirros"})
