"""Fixtures of the ``tessera-manage`` tests: the API host's config and mapped cells."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CloudDBs
from tests.manage.helpers import conf_sections, map_cells


@pytest.fixture
def conf(cloud: CloudDBs, write_conf: Callable[..., str]) -> str:
    """Config of an API host of ``cloud``: API DB, cell1 as ``[database]``, a transport URL."""
    return write_conf(conf_sections(cloud))


@pytest.fixture
def cells(cloud: CloudDBs) -> CloudDBs:
    """``cloud`` with cell0, cell1 and cell2 mapped (uuids CELL0_UUID, CELL1_UUID, ...)."""
    map_cells(cloud)
    return cloud
