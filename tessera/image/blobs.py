"""Image data files: written atomically, hashed on the way in, verified on the way out.

One file per image, named by its UUID, in one directory. A write goes to a temporary
file in the same directory, is fsynced, renamed over the final name and the directory
fsynced, so a crash leaves either the old state or the complete new file, never a
partial image under a real name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from tessera.image.errors import ImageDataCorrupt, ImageTooLarge
from tessera.image.records import DataDigest

CHUNK_SIZE = 64 * 1024
_ZEROS = bytes(CHUNK_SIZE)


class _Digester:
    """Running size and hashes of bytes seen so far."""

    def __init__(self) -> None:
        self.size = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha512 = hashlib.sha512()

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._md5.update(chunk)
        self._sha512.update(chunk)

    def result(self) -> DataDigest:
        return DataDigest(self.size, self._md5.hexdigest(), self._sha512.hexdigest())


class VerifiedStream:
    """An image file checked once before sending, and re-checked (MD5) while sent.

    The second check catches a file changed in place after the first; by then the
    status line is out, so raising makes the WSGI server abort the response and the
    client sees a broken transfer instead of silently wrong bytes.
    """

    def __init__(self, handle: BinaryIO, expected: DataDigest, image_id: str) -> None:
        self._handle = handle
        self._expected = expected
        self._image_id = image_id

    def __iter__(self) -> Iterator[bytes]:
        md5 = hashlib.md5(usedforsecurity=False)
        while chunk := self._handle.read(CHUNK_SIZE):
            md5.update(chunk)
            yield chunk
        if md5.hexdigest() != self._expected.checksum:
            raise _corrupt(self._image_id, "changed while being sent")

    def close(self) -> None:
        """Release the file (WSGI servers call this after the response)."""
        self._handle.close()


def _corrupt(image_id: str, why: str) -> ImageDataCorrupt:
    return ImageDataCorrupt(f"Data of image {image_id} failed verification: {why}.")


class BlobStore:
    """The directory holding every image's data file."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)

    def path(self, image_id: str) -> Path:
        """Where the image's data lives; the id must be a UUID (no path tricks)."""
        return self._dir / str(uuid.UUID(image_id))

    def write(self, image_id: str, chunks: Iterable[bytes], limit: int) -> DataDigest:
        """Store ``chunks`` as the image's data; ImageTooLarge past ``limit`` bytes."""
        final = self.path(image_id)
        fd, tmp_name = tempfile.mkstemp(dir=self._dir, prefix=f".{final.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                digest = _copy(chunks, out, limit)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, final)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_directory(self._dir)
        return digest

    def read(self, image_id: str, expected: DataDigest) -> VerifiedStream:
        """The image's bytes, after checking size, MD5 and SHA-512 against ``expected``."""
        try:
            handle = self.path(image_id).open("rb")
        except FileNotFoundError:
            raise _corrupt(image_id, "the data file is missing") from None
        try:
            _verify(handle, expected, image_id)
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        return VerifiedStream(handle, expected, image_id)

    def remove(self, image_id: str) -> None:
        """Forget the image's data (nothing happens if there is none)."""
        self.path(image_id).unlink(missing_ok=True)


def _copy(chunks: Iterable[bytes], out: BinaryIO, limit: int) -> DataDigest:
    digester = _Digester()
    for chunk in chunks:
        digester.update(chunk)
        if digester.size > limit:
            raise ImageTooLarge(f"Image exceeds the size limit of {limit} bytes.")
        if chunk == _ZEROS[: len(chunk)]:
            # Left as a hole: a snapshot of a sparse guest disk stays sparse on disk.
            out.seek(len(chunk), os.SEEK_CUR)
        else:
            out.write(chunk)
    out.truncate(digester.size)  # a trailing hole still counts toward the size
    return digester.result()


def _verify(handle: BinaryIO, expected: DataDigest, image_id: str) -> None:
    # Size first: a truncated file is the common failure and costs no read to spot.
    if os.fstat(handle.fileno()).st_size != expected.size:
        raise _corrupt(image_id, "its size changed")
    digester = _Digester()
    while chunk := handle.read(CHUNK_SIZE):
        digester.update(chunk)
    if digester.result() != expected:
        raise _corrupt(image_id, "its checksum does not match")


def _fsync_directory(directory: Path) -> None:
    # The rename is only durable once the directory entry itself reaches the disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
