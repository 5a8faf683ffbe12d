"""The test cloud the cross-cell API suites build on: a client over cells 0-2, mapped.

Each suite's cloud adds the rows its resources read; this holds what they share:
the databases, the client, a scratch folder and the mapped cells' ids.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from falcon import testing

from tessera.db.engines import Databases
from tests.api.cloud_rows import map_cells, map_down_cell
from tests.api.stub_api import CallsAPI
from tests.conftest import CloudDBs


@dataclass
class MappedCloud(CallsAPI):
    """The client, and the ids of the mapped cells by name (``cell3`` once it is added)."""

    dbs: CloudDBs
    client: testing.TestClient
    tmp: Path
    cell_ids: dict[str, int]

    def add_down_cell(self) -> None:
        """cell3: mapped, but its database cannot be reached."""
        self.cell_ids["cell3"] = map_down_cell(self.dbs, self.tmp)


Cloud = TypeVar("Cloud", bound=MappedCloud)

BuildClient = Callable[[CloudDBs], tuple[testing.TestClient, Databases]]


@contextlib.contextmanager
def mapped_cloud(
    kind: type[Cloud], dbs: CloudDBs, tmp: Path, build: BuildClient
) -> Iterator[Cloud]:
    """Cells 0-2 of ``dbs`` mapped, then ``kind`` over the client ``build`` makes;
    the client's engines are disposed of after."""
    cell_ids = map_cells(dbs)
    client, databases = build(dbs)
    try:
        yield kind(dbs, client, tmp, cell_ids)
    finally:
        databases.dispose()


class OpenMapped(Protocol):
    """The ``open_mapped`` fixture: a cloud of ``kind`` over the client ``build`` makes."""

    def __call__(self, kind: type[Cloud], build: BuildClient) -> Cloud: ...
