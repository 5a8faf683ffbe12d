"""The embedded placement app: one open database per process, reusable after close."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from placement import db_api

from tessera.placement.client import Inventory, PlacementClient
from tessera.placement.embedded import EmbeddedPlacement, open_embedded
from tessera.placement.errors import EmbeddedPlacementBusy


def test_a_second_open_is_refused_while_one_is_open(
    embedded: EmbeddedPlacement, tmp_path: Path
) -> None:
    with pytest.raises(EmbeddedPlacementBusy, match="already open"):
        open_embedded(f"sqlite:///{tmp_path / 'other.db'}")


def test_databases_are_isolated_across_reopen(tmp_path: Path) -> None:
    with open_embedded(f"sqlite:///{tmp_path / 'a.db'}") as first:
        PlacementClient(first.transport()).ensure_resource_provider(
            "11111111-1111-1111-1111-111111111111", "host-a"
        )
    with open_embedded(f"sqlite:///{tmp_path / 'b.db'}") as second:
        client = PlacementClient(second.transport())
        listed = second.transport().request("GET", "/resource_providers").json or {}
        assert listed["resource_providers"] == []
        # Standard resource classes were synced into this database too.
        rp = "22222222-2222-2222-2222-222222222222"
        client.ensure_resource_provider(rp, "host-b")
        assert client.set_inventory(rp, {"VCPU": Inventory(1), "DISK_GB": Inventory(1)}) == 1


def test_close_is_idempotent(tmp_path: Path) -> None:
    placement = open_embedded(f"sqlite:///{tmp_path / 'p.db'}")
    placement.close()
    placement.close()
    open_embedded(f"sqlite:///{tmp_path / 'p.db'}").close()


def test_reads_run_while_a_write_holds_the_lock(client: PlacementClient) -> None:
    # Many threads mixing reads and writes on one SQLite file: no "database is locked".
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            rp = f"{index:08d}-0000-0000-0000-000000000000"
            client.ensure_resource_provider(rp, f"host{index}")
            client.set_inventory(rp, {"VCPU": Inventory(4)})
            client.get_allocation_candidates({"VCPU": 1})
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(client.get_allocation_candidates({"VCPU": 1}).requests) == 8


def test_sqlite_runs_in_wal_mode_without_a_sync_per_commit(embedded: EmbeddedPlacement) -> None:
    engine = db_api.placement_context_manager.writer.get_engine()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
