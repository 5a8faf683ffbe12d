"""Fixtures for messaging tests: private configs, unique vhosts, RabbitMQ vhosts, a harness.

The RabbitMQ fixtures need the broker at 127.0.0.1:5672 (guest/guest) and a local
``rabbitmqctl``; when either is missing the tests fail rather than skip, as the
database tests do.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator

import pytest
from oslo_config import cfg

from tessera.rpc.inproc_broker import PROCESS_REGISTRY
from tessera.rpc.transports import messaging_conf
from tests.rpc.helpers import Messaging

RABBIT_SERVER = "rabbit://guest:guest@127.0.0.1:5672"


@pytest.fixture
def conf() -> cfg.ConfigOpts:
    """A private ``ConfigOpts`` ready for oslo.messaging (never the global ``cfg.CONF``)."""
    return messaging_conf()


@pytest.fixture(autouse=True)
def _fresh_brokers() -> Iterator[None]:
    """Forget the in-process brokers after each test, so no test sees another's queues."""
    yield
    PROCESS_REGISTRY.reset()


@pytest.fixture
def messaging(conf: cfg.ConfigOpts) -> Iterator[Messaging]:
    """The test's transports, servers and listeners, all torn down at the end."""
    harness = Messaging(conf)
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
def vhost() -> Callable[[str], str]:
    """``vhost("cell1")`` -> a name unique to this test, e.g. ``t3f9a1c2e-cell1``."""
    token = secrets.token_hex(4)
    return lambda label: f"t{token}-{label}"


@pytest.fixture
def inproc_url(vhost: Callable[[str], str]) -> Callable[[str], str]:
    """``inproc_url("cell1")`` -> ``inproc:///<unique vhost>``."""
    return lambda label: f"inproc:///{vhost(label)}"


def _rabbitmqctl(*args: str) -> None:
    if shutil.which("rabbitmqctl") is None:
        pytest.fail("rabbitmqctl is not installed; the RabbitMQ tests need it.", pytrace=False)
    done = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        pytest.fail(
            f"rabbitmqctl {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}\n"
            "Is RabbitMQ running at 127.0.0.1:5672?",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def rabbit_urls() -> Iterator[tuple[str, str]]:
    """Transport URLs of two fresh RabbitMQ vhosts (``cell1``, ``cell2``), deleted at the end."""
    token = secrets.token_hex(4)
    names = (f"tessera-test-{token}-cell1", f"tessera-test-{token}-cell2")
    created: list[str] = []
    try:
        for name in names:
            _rabbitmqctl("add_vhost", name)
            created.append(name)
            _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        yield (f"{RABBIT_SERVER}/{names[0]}", f"{RABBIT_SERVER}/{names[1]}")
    finally:
        for name in created:
            _rabbitmqctl("delete_vhost", name)
