"""Placement as its own gunicorn process, and the URL and command it is given."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tessera.placement.client import HTTPTransport, Inventory, PlacementClient
from tessera.placement.dburl import placement_connection
from tessera.placement.errors import PlacementStartFailed
from tessera.placement.process import (
    PlacementServer,
    ServerSettings,
    free_port,
    group_members,
    gunicorn_command,
    write_config,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://u:p%40ss@127.0.0.1:5432/placement",
            "postgresql+psycopg2://u:p%40ss@127.0.0.1:5432/placement",
        ),
        ("postgresql://u@db/placement", "postgresql+psycopg2://u@db/placement"),
        ("mysql://root@127.0.0.1/placement", "mysql+pymysql://root@127.0.0.1/placement"),
        ("mysql+pymysql://root@127.0.0.1/placement", "mysql+pymysql://root@127.0.0.1/placement"),
        ("sqlite:////var/lib/tessera/placement.db", "sqlite:////var/lib/tessera/placement.db"),
    ],
)
def test_placement_connection_picks_drivers_placement_can_use(url: str, expected: str) -> None:
    assert placement_connection(url) == expected


def test_config_and_command(tmp_path: Path) -> None:
    settings = ServerSettings("postgresql+psycopg://pg@127.0.0.1/placement", tmp_path / "etc", 8778)
    text = write_config(settings).read_text()
    assert "auth_strategy = noauth2" in text
    assert "connection = postgresql+psycopg2://pg@127.0.0.1/placement" in text
    assert "sync_on_startup = true" in text
    command = gunicorn_command(settings)
    assert command[-1] == "placement.wsgi.api:application"
    assert "127.0.0.1:8778" in command and "--preload" in command


def test_start_fails_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = PlacementServer(ServerSettings("sqlite://", tmp_path, port))
        with pytest.raises(PlacementStartFailed, match="in use"):
            server.start()


@pytest.mark.parametrize("backend", ["mysql"], indirect=True)
def test_server_round_trip_on_mariadb(fresh_db: Callable[[str], str], tmp_path: Path) -> None:
    settings = ServerSettings(fresh_db("placement"), tmp_path / "placement", free_port())
    server = PlacementServer(settings)
    server.start()
    pid = server.pid
    assert pid is not None
    try:
        # The master and at least the worker that answered (others may still be forking).
        assert pid in group_members(pid) and len(group_members(pid)) >= 2
        transport = HTTPTransport(server.url)
        client = PlacementClient(transport)
        rp, consumer = str(uuid.uuid4()), str(uuid.uuid4())
        generation = client.ensure_resource_provider(rp, "compute1")
        client.set_inventory(rp, {"VCPU": Inventory(2), "MEMORY_MB": Inventory(2048)}, generation)
        assert client.claim(consumer, {rp: {"VCPU": 2, "MEMORY_MB": 512}}, "project", "user")
        assert not client.claim(str(uuid.uuid4()), {rp: {"VCPU": 1}}, "project", "user")
        assert client.get_usages("project") == {"VCPU": 2, "MEMORY_MB": 512}
        assert client.delete_allocations(consumer)
        transport.close()
    finally:
        server.stop()
    assert group_members(pid) == []
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    server.stop()  # idempotent
