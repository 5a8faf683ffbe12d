"""The image service: what the image API's handlers (and the all-in-one) call.

Uploads move an image ``queued -> saving -> active``. The ``saving`` step is taken
atomically before any byte is stored, so two concurrent uploads to one image cannot
both proceed (the second gets 409); a failed upload goes back to ``queued`` so the
client can retry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

from tessera.context import RequestContext, admin_context
from tessera.image import patch, policy
from tessera.image.errors import (
    ImageBadRequest,
    ImageConflict,
    ImageDataCorrupt,
    ImageForbidden,
    ImageNotFound,
    ImageTooLarge,
)
from tessera.image.patch import PatchOp
from tessera.image.records import (
    DataDigest,
    Download,
    Image,
    ImageSpec,
    ListQuery,
    SortKey,
    Status,
    Viewer,
    Visibility,
    utcnow,
)
from tessera.image.schemas import MAX_TAGS
from tessera.image.store import ImageStore

DEFAULT_MAX_IMAGE_SIZE = 16 * 2**30
"""Largest image accepted, in bytes (Glance's ``image_size_cap`` analogue)."""


class ImageService:
    """Images of one deployment, kept under one directory."""

    def __init__(
        self, directory: Path | str, *, max_image_size: int = DEFAULT_MAX_IMAGE_SIZE
    ) -> None:
        self._store = ImageStore(Path(directory))
        self.max_image_size = max_image_size

    def close(self) -> None:
        """Release the store's database connections."""
        self._store.close()

    def create(self, ctx: RequestContext, spec: ImageSpec) -> Image:
        """A new ``queued`` image record owned by the caller's project (or ``spec.owner``)."""
        viewer = policy.viewer_of(ctx)
        owner = spec.owner if spec.owner is not None else ctx.project_id
        policy.check_owner(viewer, owner)
        policy.check_visibility(viewer, spec.visibility)
        image = _new_image(spec, owner)
        self._store.insert(image)
        return image

    def get(self, ctx: RequestContext, image_id: str) -> Image:
        """The image, if the caller may see it; ImageNotFound otherwise."""
        return _visible(policy.viewer_of(ctx), self._store.get(image_id))

    def list(self, ctx: RequestContext, query: ListQuery) -> list[Image]:
        """One page of the images the caller may list that match ``query``."""
        viewer = policy.viewer_of(ctx)
        if query.marker is not None:
            self._check_marker(viewer, query.marker)
        return self._store.find(query, viewer)

    def update(self, ctx: RequestContext, image_id: str, ops: Sequence[PatchOp]) -> Image:
        """The image after applying a JSON patch atomically."""
        viewer = policy.viewer_of(ctx)
        return self._store.modify(image_id, partial(_patched, viewer, ops))

    def add_tag(self, ctx: RequestContext, image_id: str, tag: str) -> Image:
        """The image with ``tag`` added (adding a present tag changes nothing)."""
        viewer = policy.viewer_of(ctx)
        return self._store.modify(image_id, partial(_tagged, viewer, tag))

    def remove_tag(self, ctx: RequestContext, image_id: str, tag: str) -> Image:
        """The image without ``tag``; ImageNotFound if it does not carry it."""
        viewer = policy.viewer_of(ctx)
        return self._store.modify(image_id, partial(_untagged, viewer, tag))

    def delete(self, ctx: RequestContext, image_id: str) -> None:
        """Delete the record and its data; protected images are refused (403)."""
        self._store.delete(image_id, partial(_check_deletable, policy.viewer_of(ctx)))

    def upload(
        self,
        ctx: RequestContext,
        image_id: str,
        chunks: Iterable[bytes],
        length: int | None = None,
    ) -> Image:
        """Store the image's data and make it ``active``; ``length`` is the announced size."""
        _modifiable(policy.viewer_of(ctx), self._store.get(image_id))
        if length is not None and length > self.max_image_size:
            raise _too_large(self.max_image_size)
        self._store.modify(image_id, _start_saving)
        try:
            digest = self._store.data.write(image_id, chunks, self.max_image_size)
        except BaseException:
            self._back_to_queued(image_id)
            raise
        return self._activate(image_id, digest)

    def download(self, ctx: RequestContext, image_id: str) -> Download:
        """The image and its verified bytes (``None`` if nothing was uploaded yet)."""
        image = self.get(ctx, image_id)
        if image.status is not Status.ACTIVE or image.digest is None:
            return Download(image, None)
        try:
            return Download(image, self._store.data.read(image_id, image.digest))
        except ImageDataCorrupt:
            self.get(ctx, image_id)  # deleted meanwhile: report 404, not corruption
            raise

    def ensure_image(
        self,
        name: str,
        data: bytes,
        *,
        disk_format: str = "qcow2",
        container_format: str = "bare",
        visibility: Visibility = Visibility.PUBLIC,
        properties: Mapping[str, str] | None = None,
    ) -> Image:
        """An active image called ``name``: the existing one, or a new one holding ``data``.

        For seeding (the all-in-one's ``cirros``): calling it again changes nothing.
        """
        ctx = admin_context()
        existing = self._named(name, Status.ACTIVE) or self._named(name, Status.QUEUED)
        if existing is not None and existing.status is Status.ACTIVE:
            return existing
        spec = ImageSpec(
            name=name,
            disk_format=disk_format,
            container_format=container_format,
            visibility=visibility,
            properties=dict(properties or {}),
        )
        image = existing or self.create(ctx, spec)
        return self.upload(ctx, image.id, [data], len(data))

    def _named(self, name: str, status: Status) -> Image | None:
        query = ListQuery(
            matches={"name": (name,), "status": (status.value,)},
            visibility="all",
            sort=(SortKey("created_at", False),),
            limit=1,
        )
        found = self._store.find(query, Viewer(project_id=None, is_admin=True))
        return found[0] if found else None

    def _check_marker(self, viewer: Viewer, marker: str) -> None:
        try:
            _visible(viewer, self._store.get(marker))
        except ImageNotFound:
            raise ImageBadRequest(f"Marker {marker} could not be found.") from None

    def _activate(self, image_id: str, digest: DataDigest) -> Image:
        try:
            return self._store.modify(image_id, partial(_finish_saving, digest))
        except (ImageNotFound, ImageConflict):
            # Deleted while the bytes were arriving: the file must not outlive its record.
            self._store.data.remove(image_id)
            raise

    def _back_to_queued(self, image_id: str) -> None:
        with contextlib.suppress(ImageNotFound):
            self._store.modify(image_id, _abort_saving)


def _new_image(spec: ImageSpec, owner: str | None) -> Image:
    now = utcnow()
    return Image(
        # Canonical lowercase ids: "ABC..." and "abc..." must not be two images sharing a file.
        id=str(uuid.UUID(spec.id)) if spec.id else str(uuid.uuid4()),
        name=spec.name,
        status=Status.QUEUED,
        visibility=spec.visibility,
        owner=owner,
        protected=spec.protected,
        hidden=spec.hidden,
        min_disk=spec.min_disk,
        min_ram=spec.min_ram,
        disk_format=spec.disk_format,
        container_format=spec.container_format,
        created_at=now,
        updated_at=now,
        tags=patch.unique(spec.tags),
        properties=dict(spec.properties),
    )


def _too_large(limit: int) -> ImageTooLarge:
    return ImageTooLarge(f"Image exceeds the size limit of {limit} bytes.")


def _visible(viewer: Viewer, image: Image) -> Image:
    if not policy.can_see(viewer, image):
        raise ImageNotFound(f"No image found with ID {image.id}")
    return image


def _modifiable(viewer: Viewer, image: Image) -> Image:
    policy.check_can_modify(viewer, _visible(viewer, image))
    return image


def _patched(viewer: Viewer, ops: Sequence[PatchOp], image: Image) -> Image:
    return patch.apply(_modifiable(viewer, image), ops, viewer)


def _tagged(viewer: Viewer, tag: str, image: Image) -> Image:
    tags = patch.unique((*_modifiable(viewer, image).tags, tag))
    if len(tags) > MAX_TAGS:
        raise ImageTooLarge(f"An image may carry at most {MAX_TAGS} tags.")
    return dataclasses.replace(image, tags=tags)


def _untagged(viewer: Viewer, tag: str, image: Image) -> Image:
    if tag not in _modifiable(viewer, image).tags:
        raise ImageNotFound(f"Tag {tag} not found on image {image.id}.")
    return dataclasses.replace(image, tags=tuple(t for t in image.tags if t != tag))


def _check_deletable(viewer: Viewer, image: Image) -> None:
    _modifiable(viewer, image)
    if image.protected:
        raise ImageForbidden(f"Image {image.id} is protected and cannot be deleted.")


def _start_saving(image: Image) -> Image:
    if image.status is not Status.QUEUED:
        raise ImageConflict(f"Image status transition from {image.status} to saving not allowed")
    if not (image.disk_format and image.container_format):
        raise ImageBadRequest(
            "Properties disk_format, container_format must be set prior to saving data."
        )
    return dataclasses.replace(image, status=Status.SAVING)


def _finish_saving(digest: DataDigest, image: Image) -> Image:
    if image.status is not Status.SAVING:
        raise ImageConflict(f"Image {image.id} stopped saving while its data arrived.")
    return dataclasses.replace(image, status=Status.ACTIVE, digest=digest)


def _abort_saving(image: Image) -> Image:
    if image.status is not Status.SAVING:
        return image
    return dataclasses.replace(image, status=Status.QUEUED)
