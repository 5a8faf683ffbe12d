"""The SQL behind ``GET /v2/images``: visibility, filters, ordering and keyset paging.

Paging is by marker: the page starts after the marker image in the requested order.
Nullable sort columns are ordered through ``COALESCE`` with a sentinel below every real
value, and the marker's position is read with the same expressions in a subquery, so
``NULL`` names or sizes page correctly without comparing ``NULL``s.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from tessera.image.records import ListQuery, SortKey, Viewer, Visibility
from tessera.image.tables import image_properties, image_tags, images

SORT_KEYS = (
    "name",
    "status",
    "container_format",
    "disk_format",
    "size",
    "id",
    "created_at",
    "updated_at",
    "visibility",
    "min_disk",
    "min_ram",
    "owner",
)
_NULL_SENTINELS: dict[str, str | int] = {
    "name": "",
    "container_format": "",
    "disk_format": "",
    "owner": "",
    "size": -1,
}


def select_page(query: ListQuery, viewer: Viewer) -> sa.Select[tuple[object, ...]]:
    """The rows of one page of images, in order."""
    keys = _with_tiebreaker(query.sort)
    statement = sa.select(images).where(*_conditions(query, viewer))
    if query.marker is not None:
        statement = statement.where(_after_marker(keys, query.marker))
    order = [_order(key) for key in keys]
    return statement.order_by(*order).limit(query.limit)


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """Images that exist for ``viewer`` (mirrors ``policy.can_see``)."""
    if viewer.is_admin:
        return sa.true()
    return sa.or_(
        images.c.visibility.in_([Visibility.PUBLIC, Visibility.COMMUNITY]),
        images.c.owner == viewer.project_id,
    )


def _listed_for(viewer: Viewer, visibility: str | None) -> ColumnElement[bool]:
    # Glance leaves other projects' community images out unless asked for by name.
    if visibility is None:
        if viewer.is_admin:
            return sa.true()
        return sa.or_(images.c.visibility == Visibility.PUBLIC, images.c.owner == viewer.project_id)
    if visibility == "all":
        return visible_to(viewer)
    return sa.and_(images.c.visibility == visibility, visible_to(viewer))


def _conditions(query: ListQuery, viewer: Viewer) -> list[ColumnElement[bool]]:
    conditions = [_listed_for(viewer, query.visibility), images.c.hidden == query.hidden]
    conditions += [images.c[name].in_(values) for name, values in query.matches.items()]
    conditions += [_has_property(name, value) for name, value in query.properties.items()]
    conditions += [_has_tag(tag) for tag in query.tags]
    if query.size_min is not None:
        conditions.append(images.c.size >= query.size_min)
    if query.size_max is not None:
        conditions.append(images.c.size <= query.size_max)
    if query.protected is not None:
        conditions.append(images.c.protected == query.protected)
    return conditions


def _has_property(name: str, value: str) -> ColumnElement[bool]:
    props = image_properties.c
    return sa.exists().where(
        props.image_id == images.c.id, props.name == name, props.value == value
    )


def _has_tag(tag: str) -> ColumnElement[bool]:
    return sa.exists().where(image_tags.c.image_id == images.c.id, image_tags.c.value == tag)


def _with_tiebreaker(sort: Sequence[SortKey]) -> tuple[SortKey, ...]:
    # The id makes the order total, which keyset paging needs to never skip or repeat.
    if any(key.key == "id" for key in sort):
        return tuple(sort)
    descending = sort[-1].descending if sort else True
    return (*sort, SortKey("id", descending))


def _expression(key: str) -> ColumnElement[object]:
    column: ColumnElement[object] = images.c[key]
    sentinel = _NULL_SENTINELS.get(key)
    return column if sentinel is None else sa.func.coalesce(column, sentinel)


def _order(key: SortKey) -> ColumnElement[object]:
    expression = _expression(key.key)
    return expression.desc() if key.descending else expression.asc()


def _marker_value(key: str, marker: str) -> ColumnElement[object]:
    return sa.select(_expression(key)).where(images.c.id == marker).scalar_subquery()


def _after_marker(keys: Sequence[SortKey], marker: str) -> ColumnElement[bool]:
    """Rows strictly after the marker row: equal on a prefix of keys, then beyond it."""
    alternatives = []
    for i, key in enumerate(keys):
        equal_prefix = [_expression(k.key) == _marker_value(k.key, marker) for k in keys[:i]]
        here, there = _expression(key.key), _marker_value(key.key, marker)
        beyond = here < there if key.descending else here > there
        alternatives.append(sa.and_(*equal_prefix, beyond))
    return sa.or_(*alternatives)
