"""The image store: one directory holding a small SQLite database and the data files.

Why SQLite through SQLAlchemy Core rather than JSON files: listings filter, sort and
page (``?name=``, ``id=in:``, properties, tags, markers), which SQL does in one indexed
query while JSON files would be re-read and filtered in Python on every call; and a
transaction keeps a record and its properties and tags consistent after a crash.

Concurrency: reads run freely (WAL). Every write is a read-modify-write under one lock
that is both a thread lock and a file lock in the store's directory
(``oslo.concurrency``), so threads of one API server and several API worker processes
sharing the directory never interleave their changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from oslo_concurrency import lockutils
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from tessera.db.engines import create_engine
from tessera.image import listing
from tessera.image.blobs import BlobStore
from tessera.image.errors import ImageConflict, ImageNotFound
from tessera.image.records import (
    DataDigest,
    Image,
    ListQuery,
    Status,
    Viewer,
    Visibility,
    utcnow,
)
from tessera.image.tables import image_properties, image_tags, images, metadata

DATABASE_NAME = "images.sqlite"
DATA_DIRECTORY = "data"
_LOCK_NAME = "image-store"
_LOCK_PREFIX = "tessera-"

Change = Callable[[Image], Image]


class ImageStore:
    """Image records and their data files under one directory."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._directory = directory
        self._engine = create_engine(f"sqlite:///{directory / DATABASE_NAME}")
        # Our own semaphores: two stores in one process (tests) must not share a lock.
        self._semaphores = lockutils.Semaphores()
        with self._write_lock():
            metadata.create_all(self._engine)
        self.data = BlobStore(directory / DATA_DIRECTORY)

    def close(self) -> None:
        """Close the database connections."""
        self._engine.dispose()

    def insert(self, image: Image) -> None:
        """Add a new record; ImageConflict if its id is taken."""
        try:
            with self._write_lock(), self._engine.begin() as conn:
                conn.execute(images.insert().values(_columns(image)))
                _write_extras(conn, image)
        except IntegrityError:
            raise ImageConflict(f"An image with identifier {image.id} already exists") from None

    def get(self, image_id: str) -> Image:
        """The record of ``image_id``, whoever owns it; ImageNotFound if absent."""
        with self._engine.connect() as conn:
            return _load(conn, image_id)

    def find(self, query: ListQuery, viewer: Viewer) -> list[Image]:
        """One page of the images ``viewer`` may list that match ``query``."""
        with self._engine.connect() as conn:
            rows = conn.execute(listing.select_page(query, viewer)).mappings().all()
            return _with_extras(conn, rows)

    def modify(self, image_id: str, change: Change) -> Image:
        """Apply ``change`` to the current record atomically; return the stored result.

        ``change`` may raise to refuse (wrong state, not allowed); nothing is written then.
        """
        with self._write_lock(), self._engine.begin() as conn:
            current = _load(conn, image_id)
            changed = change(current)
            if changed == current:
                return current
            changed = dataclasses.replace(changed, updated_at=utcnow())
            conn.execute(images.update().where(images.c.id == image_id).values(_columns(changed)))
            _write_extras(conn, changed)
            return changed

    def delete(self, image_id: str, check: Callable[[Image], None]) -> Image:
        """Remove the record (after ``check`` allows it) and then its data file."""
        with self._write_lock(), self._engine.begin() as conn:
            image = _load(conn, image_id)
            check(image)
            _delete_extras(conn, image_id)
            conn.execute(images.delete().where(images.c.id == image_id))
        # After the commit: a crash in between leaves an orphan file, never a record
        # whose data is gone.
        self.data.remove(image_id)
        return image

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        with lockutils.lock(
            _LOCK_NAME,
            lock_file_prefix=_LOCK_PREFIX,
            external=True,
            lock_path=str(self._directory),
            semaphores=self._semaphores,
            do_log=False,
        ):
            yield


def _columns(image: Image) -> dict[str, Any]:
    digest = image.digest
    return {
        "id": image.id,
        "name": image.name,
        "status": image.status.value,
        "visibility": image.visibility.value,
        "owner": image.owner,
        "protected": image.protected,
        "hidden": image.hidden,
        "min_disk": image.min_disk,
        "min_ram": image.min_ram,
        "disk_format": image.disk_format,
        "container_format": image.container_format,
        "size": digest.size if digest else None,
        "checksum": digest.checksum if digest else None,
        "os_hash_value": digest.hash_value if digest else None,
        "created_at": image.created_at,
        "updated_at": image.updated_at,
    }


def _write_extras(conn: Connection, image: Image) -> None:
    # Rewritten whole: an image has a handful of each, and it keeps modify() simple.
    _delete_extras(conn, image.id)
    if image.properties:
        props = [{"image_id": image.id, "name": k, "value": v} for k, v in image.properties.items()]
        conn.execute(image_properties.insert(), props)
    if image.tags:
        tags = [{"image_id": image.id, "position": i, "value": t} for i, t in enumerate(image.tags)]
        conn.execute(image_tags.insert(), tags)


def _delete_extras(conn: Connection, image_id: str) -> None:
    conn.execute(image_properties.delete().where(image_properties.c.image_id == image_id))
    conn.execute(image_tags.delete().where(image_tags.c.image_id == image_id))


def _load(conn: Connection, image_id: str) -> Image:
    row = conn.execute(sa.select(images).where(images.c.id == image_id)).mappings().first()
    if row is None:
        raise ImageNotFound(f"No image found with ID {image_id}")
    return _with_extras(conn, [row])[0]


def _with_extras(conn: Connection, rows: Sequence[RowMapping]) -> list[Image]:
    ids = [row["id"] for row in rows]
    properties = _properties_of(conn, ids)
    tags = _tags_of(conn, ids)
    return [_image(row, properties.get(row["id"], {}), tags.get(row["id"], ())) for row in rows]


def _properties_of(conn: Connection, ids: list[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    statement = sa.select(image_properties).where(image_properties.c.image_id.in_(ids))
    for row in conn.execute(statement).mappings():
        found.setdefault(row["image_id"], {})[row["name"]] = row["value"]
    return found


def _tags_of(conn: Connection, ids: list[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    statement = (
        sa.select(image_tags)
        .where(image_tags.c.image_id.in_(ids))
        .order_by(image_tags.c.image_id, image_tags.c.position)
    )
    for row in conn.execute(statement).mappings():
        found[row["image_id"]] = (*found.get(row["image_id"], ()), row["value"])
    return found


def _image(row: RowMapping, properties: Mapping[str, str], tags: tuple[str, ...]) -> Image:
    digest = None
    if row["checksum"] is not None:
        digest = DataDigest(row["size"], row["checksum"], row["os_hash_value"])
    return Image(
        id=row["id"],
        name=row["name"],
        status=Status(row["status"]),
        visibility=Visibility(row["visibility"]),
        owner=row["owner"],
        protected=row["protected"],
        hidden=row["hidden"],
        min_disk=row["min_disk"],
        min_ram=row["min_ram"],
        disk_format=row["disk_format"],
        container_format=row["container_format"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        digest=digest,
        tags=tags,
        properties=properties,
    )
