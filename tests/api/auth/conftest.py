"""A Keystone stand-in and an all-in-one whose API validates tokens against it.

The stand-in is the built-in identity API with :class:`IssuedTokens`: named accounts
with passwords, random tokens valid only once issued. keystonemiddleware talks to it
over HTTP exactly as to a Keystone (version discovery, service token, validation).
"""

from __future__ import annotations

import configparser
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tessera.api import identity
from tessera.api.server import APIServer
from tessera.deploy.cloud import EmbeddedCloud
from tessera.deploy.embedded import EmbeddedLayout, prepare

ACCOUNTS = (
    identity.Account("tessera", "service-secret", "service", ("service",)),
    identity.Account("demo", "demo-secret", "demo"),
    identity.Account("alt", "alt-secret", "alt"),
    identity.Account("boss", "boss-secret", "admin", ("admin", "member", "reader")),
)


@dataclass
class Keystone:
    """The running stand-in."""

    server: APIServer
    url: str
    """Its ``/v3`` endpoint."""

    def token(self, user: str, password: str | None = None) -> str:
        """A token for ``user``, scoped to its project (its password by default)."""
        account = next(a for a in ACCOUNTS if a.name == user)
        auth = {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": user,
                        "password": account.password if password is None else password,
                        "domain": {"name": "Default"},
                    }
                },
            },
            "scope": {"project": {"name": account.project, "domain": {"name": "Default"}}},
        }
        answer = requests.post(f"{self.url}/auth/tokens", json={"auth": auth}, timeout=10)
        assert answer.status_code == 201, answer.text
        return str(answer.headers["X-Subject-Token"])


@pytest.fixture(scope="module")
def keystone() -> Iterator[Keystone]:
    server = APIServer(
        identity.standalone_app(identity.IssuedTokens(ACCOUNTS)), "127.0.0.1", 0, threads=4
    )
    server.start()
    yield Keystone(server, f"http://127.0.0.1:{server.port}{identity.PREFIX}/v3")
    server.stop()


def authtoken_options(url: str) -> dict[str, str]:
    """``[keystone_authtoken]`` of a service account ``tessera`` at ``url``."""
    return {
        "www_authenticate_uri": url,
        "auth_url": url,
        "auth_type": "password",
        "username": "tessera",
        "password": "service-secret",
        "project_name": "service",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
        "service_token_roles_required": "true",
        # A stopped Keystone is noticed at once, not after retries.
        "http_request_max_retries": "0",
        "http_connect_timeout": "2",
    }


def with_keystone(config_file: Path, url: str) -> None:
    """Switch an API configuration file to ``auth_strategy = keystone`` at ``url``."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(config_file)
    parser["api"]["auth_strategy"] = "keystone"
    parser["keystone_authtoken"] = authtoken_options(url)
    with config_file.open("w") as out:
        parser.write(out)


@pytest.fixture(scope="module")
def keystone_cloud(
    keystone: Keystone, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedCloud]:
    """An all-in-one (1 cell, 1 compute) with ``[api] auth_strategy = keystone``."""
    layout = EmbeddedLayout(
        tmp_path_factory.mktemp("keystone-cloud"), cells=1, computes_per_cell=1, api_port=0
    )
    prepare(layout)
    with_keystone(layout.config_file, keystone.url)
    running = EmbeddedCloud(layout)
    running.start()
    running.discover_hosts()
    yield running
    running.stop()


def app_of(cloud: EmbeddedCloud) -> Any:
    """The WSGI app the cloud's API server serves."""
    assert cloud.api_server is not None
    return cloud.api_server.app
