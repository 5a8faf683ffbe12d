"""A compute's part of ``createImage``: read the guest's root disk, upload it, settle.

The API created the image (``queued``) and set ``image_snapshot_pending``; here
the task state steps through ``image_snapshot``, ``image_pending_upload`` and
``image_uploading`` (each a compare-and-set through the cell conductor, so a
delete that starts meanwhile stops the snapshot) and is cleared at the end.

Outcomes, as the reference has them:

* success: the image is ``active`` and the server idle again;
* the server was deleted meanwhile: an image not yet active is deleted;
* the image was deleted meanwhile: the server goes idle, nothing else to undo;
* any other failure: the image is deleted, the task state cleared, and a fault
  recorded; the caller records the action event with the traceback.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from tessera.conductor.rpcapi import CellConductorAPI
from tessera.context import RequestContext
from tessera.image.client import ImageClient, ImageServiceUnavailable
from tessera.image.errors import ImageNotFound
from tessera.virt.driver import VirtDriver

LOG = logging.getLogger(__name__)

EVENT_SNAPSHOT = "compute_snapshot_instance"
PENDING = "image_snapshot_pending"
SNAPSHOT = "image_snapshot"
PENDING_UPLOAD = "image_pending_upload"
UPLOADING = "image_uploading"
STATES: list[str | None] = [PENDING, SNAPSHOT, PENDING_UPLOAD, UPLOADING]
"""Every task state a snapshot passes through."""


class InstanceGone(Exception):
    """The server was deleted, or another task replaced ours, during the snapshot."""


@dataclass(frozen=True)
class Snapshot:
    """One ``snapshot_instance`` request on one host."""

    host: str
    """This compute host."""
    driver: VirtDriver
    """The hypervisor holding the guest."""
    conductor: CellConductorAPI
    """Where the instance's state is stored."""
    images: ImageClient | None
    """The image service; None when the host has none configured."""

    def run(self, ctxt: RequestContext, uuid: str, image_id: str) -> str | None:
        """Do the snapshot; the traceback of a failure, or None when it succeeded."""
        # Image calls run elevated, as the reference does: an admin may snapshot
        # another project's server, and the image belongs to that project.
        admin = ctxt.elevated()
        try:
            self._capture_and_upload(ctxt, uuid, image_id)
        except InstanceGone:
            LOG.info("Server %s went away during its snapshot to %s", uuid, image_id)
            self._drop_unfinished(admin, image_id)
        except ImageNotFound:
            LOG.warning("Image %s was deleted during the snapshot of %s", image_id, uuid)
            self._idle(ctxt, uuid)
        except Exception as exc:
            LOG.warning("Snapshot of %s to image %s failed: %s", uuid, image_id, exc)
            return self._failed(ctxt, uuid, image_id, exc)
        return None

    def _capture_and_upload(self, ctxt: RequestContext, uuid: str, image_id: str) -> None:
        if self.images is None:
            raise ImageServiceUnavailable(
                f"Compute host {self.host} has no image service ([image] api_servers is empty)"
            )
        self._advance(ctxt, uuid, PENDING, SNAPSHOT)
        disk = self.driver.snapshot(uuid)
        try:
            self._advance(ctxt, uuid, SNAPSHOT, PENDING_UPLOAD)
            formats = {"disk_format": disk.disk_format, "container_format": disk.container_format}
            self.images.update(ctxt.elevated(), image_id, formats)
            self._advance(ctxt, uuid, PENDING_UPLOAD, UPLOADING)
            self.images.upload(ctxt.elevated(), image_id, disk.data, disk.size)
        finally:
            disk.close()
        self._advance(ctxt, uuid, UPLOADING, None)
        LOG.info("Server %s snapshotted to image %s (%d bytes)", uuid, image_id, disk.size)

    def _advance(
        self, ctxt: RequestContext, uuid: str, expected: str, task_state: str | None
    ) -> None:
        values = {"task_state": task_state}
        if self.conductor.instance_update(ctxt, uuid, values, [expected]) is None:
            raise InstanceGone(uuid)

    def _idle(self, ctxt: RequestContext, uuid: str) -> None:
        """Clear our task state (a deleted server, or another task's state, is left alone)."""
        self.conductor.instance_update(ctxt, uuid, {"task_state": None}, STATES)

    def _drop_unfinished(self, admin: RequestContext, image_id: str) -> None:
        """Delete the image unless its upload completed (a finished snapshot is kept)."""
        assert self.images is not None
        try:
            if self.images.get(admin, image_id).status != "active":
                self.images.delete(admin, image_id)
        except ImageNotFound:
            pass
        except Exception:
            LOG.exception("Could not clean up image %s", image_id)

    def _failed(self, ctxt: RequestContext, uuid: str, image_id: str, error: Exception) -> str:
        details = "".join(traceback.format_exception(error))
        if self.images is not None:
            try:
                self.images.delete(ctxt.elevated(), image_id)
            except Exception:
                LOG.exception("Could not delete image %s of a failed snapshot", image_id)
        self._idle(ctxt, uuid)
        message = str(error) or type(error).__name__
        try:
            self.conductor.instance_fault(ctxt, uuid, 500, message, details, self.host)
        except Exception:
            LOG.exception("Could not record the fault of server %s", uuid)
        return details
