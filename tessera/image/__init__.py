"""The built-in image service: a Glance v2 subset with its own store.

``install(app, service, prefix)`` mounts the API on a Falcon app; ``ImageService`` is
what the handlers (and the all-in-one, to seed ``cirros``) call.
"""

from __future__ import annotations

from tessera.image.routes import install
from tessera.image.service import DEFAULT_MAX_IMAGE_SIZE, ImageService

__all__ = ["DEFAULT_MAX_IMAGE_SIZE", "ImageService", "install"]
