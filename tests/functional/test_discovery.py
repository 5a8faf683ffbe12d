"""New compute hosts are mapped within seconds, with no operator step."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.db.engines import create_engine
from tessera.deploy.cloud import EmbeddedCloud
from tessera.objects import host_mapping
from tests.functional.conftest import StartCloud, wait_for


def _mapped_hosts(cloud: EmbeddedCloud) -> set[str]:
    engine = create_engine(cloud.layout.plan().api_database)
    with engine.connect() as conn:
        hosts = set(conn.execute(sa.select(host_mapping.TABLE.c.host)).scalars())
    engine.dispose()
    return hosts


def test_computes_announce_themselves_and_get_mapped(start_cloud: StartCloud) -> None:
    cloud = start_cloud(discover=False)
    expected = {f"cell{c}-compute{h}" for c in (1, 2) for h in (1, 2)}
    hosts = wait_for(
        lambda: _mapped_hosts(cloud) == expected and _mapped_hosts(cloud),
        30,
        "every compute to be mapped",
    )
    assert hosts == expected
