"""One running all-in-one for the package, and the document it serves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from falcon import testing

from tessera.api import openapi
from tessera.deploy.cloud import EmbeddedCloud
from tests.api.openapi.cloud import all_in_one, app_of


@pytest.fixture(scope="package")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCloud]:
    with all_in_one(tmp_path_factory.mktemp("openapi-cloud")) as running:
        yield running


@pytest.fixture(scope="package")
def doc(cloud: EmbeddedCloud) -> dict[str, Any]:
    """The document as served, without a token."""
    served = testing.TestClient(app_of(cloud)).simulate_get(openapi.PATH)
    assert served.status_code == 200, served.text
    assert served.headers["Content-Type"] == "application/json"
    found: dict[str, Any] = served.json
    return found
