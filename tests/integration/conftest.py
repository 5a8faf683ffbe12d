"""A devstack of real processes on MariaDB and RabbitMQ, shared by a test module.

These tests start every service as its own OS process (and placement under
gunicorn). They need MariaDB, PostgreSQL and RabbitMQ on 127.0.0.1
(``scripts/services``) and fail, never skip, when those are missing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tessera.deploy.devstack import Devstack, DevstackSettings
from tessera.deploy.provision import Servers
from tessera.placement.process import free_port
from tests.integration.rest import Cloud

# The compute of test (c): slow enough to be killed in the middle of a spawn.
SLOW_HOST = "cell1-compute1"
SLOW_SPAWN_SECONDS = 3
# Short enough that the killed compute counts as down during test (c); long
# enough that heartbeats (every 2 s) delayed by a busy machine do not.
SERVICE_DOWN_SECONDS = 10
# Builds on the killed compute end in ERROR this long after its last heartbeat.
DOWN_HOST_BUILD_TIMEOUT = 15


def unique_prefix() -> str:
    """Names of this run's databases and vhosts start with it (``it_<hex>``)."""
    return f"it_{secrets.token_hex(4)}"


@pytest.fixture(scope="module")
def devstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devstack]:
    """2 cells x 2 computes on MariaDB + RabbitMQ, placement as its own process."""
    settings = DevstackSettings(
        data_dir=tmp_path_factory.mktemp("devstack"),
        prefix=unique_prefix(),
        servers=Servers(backend="mysql"),
        cells=2,
        computes_per_cell=2,
        api_port=free_port(),
        host_fake_driver={SLOW_HOST: {"spawn_seconds": str(SLOW_SPAWN_SECONDS)}},
        options={
            "DEFAULT": {"service_down_time": str(SERVICE_DOWN_SECONDS)},
            "conductor": {
                "down_host_build_timeout": str(DOWN_HOST_BUILD_TIMEOUT),
                "stuck_build_check_interval": "2",
            },
        },
        stop_timeout=15,
    )
    stack = Devstack(settings)
    try:
        stack.start()
        stack.wait_ready()
        yield stack
    finally:
        left = stack.stop()
        stack.cleanup()
        assert not left, f"processes of group {stack.pgid} outlived the stop: {left}"


@pytest.fixture(scope="module")
def cloud(devstack: Devstack) -> Cloud:
    """HTTP access to the devstack."""
    cloud = Cloud(f"{devstack.api_url}/v2.1", devstack.placement_url, devstack.plan.api_database)
    for project in ("it-boot", "it-kill"):  # the tests boot more than the default quota
        cloud.lift_quota(project)
    return cloud
