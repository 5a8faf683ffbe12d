"""Keypair representations of ``/os-keypairs`` by microversion."""

from __future__ import annotations

from typing import Any

from tessera.api.microversions import Version
from tessera.api.views.times import timestamp
from tessera.objects.keypair import KeyPair


def _common(kp: KeyPair, version: Version) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": kp.name,
        "public_key": kp.public_key,
        "fingerprint": kp.fingerprint,
    }
    if version.at_least("2.2"):
        body["type"] = kp.type
    return body


def created(kp: KeyPair, version: Version, private_key: str | None) -> dict[str, Any]:
    """The create answer; ``private_key`` only when the key was generated here."""
    body = {**_common(kp, version), "user_id": kp.user_id}
    if private_key is not None:
        body["private_key"] = private_key
    return body


def listed(kp: KeyPair, version: Version) -> dict[str, Any]:
    """One item of the listing (each wrapped in its own ``keypair`` key)."""
    return {"keypair": _common(kp, version)}


def shown(kp: KeyPair, version: Version) -> dict[str, Any]:
    """``GET /os-keypairs/{name}``."""
    return {
        **_common(kp, version),
        "id": kp.id,
        "user_id": kp.user_id,
        "created_at": timestamp(kp.created_at),
        "updated_at": None,
        # API database rows are deleted outright; the keys stay for old clients.
        "deleted": False,
        "deleted_at": None,
    }
