"""What the REST handlers call: the server API and the API database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from tessera.compute.api import ServerAPI


@dataclass(frozen=True)
class APIDeps:
    """Shared by every resource of one app."""

    servers: ServerAPI
    """Server operations across cells."""
    api_engine: Engine
    """The API database (flavors, keypairs, ...)."""
    max_limit: int = 1000
    """``[api] max_limit``: the largest page a listing returns."""
