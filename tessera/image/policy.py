"""Who may see and change which image (Glance's default rules, without image members).

- ``public`` and ``community`` images exist for everyone; ``private`` and ``shared``
  ones only for their owner (there is no member API, so a shared image has no members
  yet) and admins. Anyone else gets 404, so ids of private images do not leak.
- Only the owner or an admin may change, upload to or delete an image (403 otherwise).
- Only admins may make an image public or give it to another project, as in Glance.
"""

from __future__ import annotations

from tessera.context import RequestContext
from tessera.image.errors import ImageForbidden
from tessera.image.records import Image, Viewer, Visibility

_VISIBLE_TO_ALL = (Visibility.PUBLIC, Visibility.COMMUNITY)


def viewer_of(ctx: RequestContext) -> Viewer:
    """The part of a request context that decides visibility."""
    return Viewer(project_id=ctx.project_id, is_admin=ctx.is_admin)


def can_see(viewer: Viewer, image: Image) -> bool:
    """Whether ``image`` exists for ``viewer`` (mirrors ``listing.visible_to``)."""
    return viewer.is_admin or image.visibility in _VISIBLE_TO_ALL or _owns(viewer, image)


def check_can_modify(viewer: Viewer, image: Image) -> None:
    """Refuse changes by anyone but the owner or an admin."""
    if not (viewer.is_admin or _owns(viewer, image)):
        raise ImageForbidden(f"You are not permitted to modify image {image.id}.")


def check_visibility(viewer: Viewer, visibility: Visibility) -> None:
    """Refuse ``public`` to non-admins (Glance's ``publicize_image`` rule)."""
    if visibility is Visibility.PUBLIC and not viewer.is_admin:
        raise ImageForbidden("You are not permitted to publicize images.")


def check_owner(viewer: Viewer, owner: str | None) -> None:
    """Refuse setting an owner other than one's own project to non-admins."""
    if owner != viewer.project_id and not viewer.is_admin:
        raise ImageForbidden("You are not permitted to set the owner of an image.")


def _owns(viewer: Viewer, image: Image) -> bool:
    return viewer.project_id is not None and image.owner == viewer.project_id
