"""SSH keypairs in the API database: public keys owned by a user, by name.

Only the public half is stored; a generated private key is handed to the
caller once and never kept.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy.exc import IntegrityError

from tessera.db.api import models
from tessera.db.types import table_of
from tessera.objects.errors import NotFound

KEY_PAIRS = table_of(models.KeyPair)


class KeyPairNotFound(NotFound):
    def __init__(self, user_id: str, name: str) -> None:
        super().__init__(f"Keypair {name} not found for user {user_id}")


class KeyPairExists(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"Key pair '{name}' already exists.")


class InvalidPublicKey(ValueError):
    """The text is not an OpenSSH public key."""


@dataclass(frozen=True)
class KeyPair:
    """One stored public key."""

    id: int
    """Row id (the listing's stable order)."""
    name: str
    """Unique per user."""
    user_id: str
    """The owner."""
    fingerprint: str
    """MD5 of the key blob, colon-separated hex, as ``ssh-keygen -E md5`` prints it."""
    public_key: str
    """OpenSSH public key line."""
    type: str
    """``ssh`` (the only type supported)."""
    created_at: datetime.datetime | None
    """When it was created or imported."""


@dataclass(frozen=True)
class Generated:
    """A freshly generated key: the public line to store and the private key to return once."""

    public_key: str
    """OpenSSH public key line."""
    private_key: str
    """OpenSSH private key (PEM-like), unencrypted."""


def generate(comment: str) -> Generated:
    """A new ed25519 key; ``comment`` ends the public line (the key's name, conventionally)."""
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    return Generated(f"{public.decode()} {comment}", private.decode())


def fingerprint(public_key: str) -> str:
    """The MD5 fingerprint of an OpenSSH public key line (InvalidPublicKey if it is not one)."""
    parts = public_key.strip().split()
    if len(parts) < 2:
        raise InvalidPublicKey("Keypair data is invalid: not an OpenSSH public key")
    try:
        # Parsing first rejects well-formed base64 that is not a key of a known type
        # (UnsupportedAlgorithm when the blob names a type cryptography does not know).
        serialization.load_ssh_public_key(" ".join(parts[:2]).encode())
        blob = base64.b64decode(parts[1], validate=True)
    except (ValueError, binascii.Error, UnicodeError, UnsupportedAlgorithm) as exc:
        raise InvalidPublicKey(f"Keypair data is invalid: {exc}") from None
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _from_row(row: sa.Row[tuple[object, ...]]) -> KeyPair:
    m = row._mapping
    return KeyPair(
        id=m["id"],
        name=m["name"],
        user_id=m["user_id"],
        fingerprint=m["fingerprint"] or "",
        public_key=m["public_key"] or "",
        type=m["type"] or "ssh",
        created_at=m["created_at"],
    )


def create(conn: sa.Connection, user_id: str, name: str, public_key: str) -> KeyPair:
    """Store ``public_key`` as ``name`` of ``user_id`` (KeyPairExists if the name is taken)."""
    values = {
        "name": name,
        "user_id": user_id,
        "public_key": public_key,
        "fingerprint": fingerprint(public_key),
        "type": "ssh",
    }
    try:
        # A savepoint, so the unique-key violation leaves the caller's transaction usable.
        with conn.begin_nested():
            conn.execute(sa.insert(KEY_PAIRS).values(**values))
    except IntegrityError:
        raise KeyPairExists(name) from None
    return get(conn, user_id, name)


def get(conn: sa.Connection, user_id: str, name: str) -> KeyPair:
    """The keypair ``name`` of ``user_id``."""
    stmt = sa.select(KEY_PAIRS).where(KEY_PAIRS.c.user_id == user_id, KEY_PAIRS.c.name == name)
    row = conn.execute(stmt).first()
    if row is None:
        raise KeyPairNotFound(user_id, name)
    return _from_row(row)


def get_all(
    conn: sa.Connection, user_id: str, limit: int | None = None, marker: str | None = None
) -> list[KeyPair]:
    """``user_id``'s keypairs by name; after the keypair named ``marker`` if given."""
    stmt = sa.select(KEY_PAIRS).where(KEY_PAIRS.c.user_id == user_id)
    if marker is not None:
        get(conn, user_id, marker)  # an unknown marker is an error, not an empty page
        stmt = stmt.where(KEY_PAIRS.c.name > marker)
    stmt = stmt.order_by(KEY_PAIRS.c.name)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_from_row(r) for r in conn.execute(stmt)]


def count(conn: sa.Connection, user_id: str) -> int:
    """How many keypairs ``user_id`` has (the ``key_pairs`` quota counts per user)."""
    stmt = sa.select(sa.func.count()).select_from(KEY_PAIRS).where(KEY_PAIRS.c.user_id == user_id)
    return int(conn.execute(stmt).scalar_one())


def delete(conn: sa.Connection, user_id: str, name: str) -> None:
    """Remove keypair ``name`` of ``user_id`` (KeyPairNotFound if absent)."""
    stmt = sa.delete(KEY_PAIRS).where(KEY_PAIRS.c.user_id == user_id, KEY_PAIRS.c.name == name)
    if conn.execute(stmt).rowcount == 0:
        raise KeyPairNotFound(user_id, name)
