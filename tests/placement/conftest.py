"""Fixtures: a fresh in-process placement on a SQLite file per test, and a client of it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tessera.placement.client import Inventory, PlacementClient
from tessera.placement.embedded import EmbeddedPlacement, open_embedded

# A compute node as the benchmarks and the reference figures size it.
HOST_INVENTORY = {
    "VCPU": Inventory(16, allocation_ratio=4.0),
    "MEMORY_MB": Inventory(65536),
    "DISK_GB": Inventory(1000),
}


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedPlacement]:
    """Placement in-process on its own SQLite file, closed after the test."""
    with open_embedded(f"sqlite:///{tmp_path / 'placement.db'}") as placement:
        yield placement


@pytest.fixture
def client(embedded: EmbeddedPlacement) -> PlacementClient:
    """A client of the embedded placement over the WSGI transport."""
    return PlacementClient(embedded.transport())


@pytest.fixture
def make_host(client: PlacementClient) -> Callable[..., str]:
    """``make_host(name, inventory=HOST_INVENTORY) -> provider uuid``."""

    def make(name: str, inventory: dict[str, Inventory] | None = None) -> str:
        rp_uuid = str(uuid.uuid4())
        generation = client.ensure_resource_provider(rp_uuid, name)
        client.set_inventory(rp_uuid, inventory or HOST_INVENTORY, generation)
        return rp_uuid

    return make
