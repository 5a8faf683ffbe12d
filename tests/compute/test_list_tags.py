"""Tag filters of the cross-cell lister (``tags``, ``tags-any``, ``not-tags``, ``not-tags-any``).

Servers in two cells and one still a build request; every backend, since the
cells apply the filters in SQL and build requests in Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tessera.api.microversions import Version
from tessera.api.schemas import server_list as schema
from tessera.compute.list_query import ListQuery, ServerFilters, SortKey, TagTest
from tessera.context import RequestContext
from tessera.objects import build_request, tag
from tests.compute.test_multi_cell_list_helpers import ListingCloud, open_listing_cloud
from tests.conftest import CloudDBs

P1 = RequestContext(user_id="user-p1", project_id="p1", roles=("member",))

# Server name -> its tags.
TAGGED = {
    "a": ["red", "big"],
    "b": ["red"],
    "c": ["blue", "big"],
    "d": [],
    "e": ["Red"],  # tags compare exactly: not "red"
}


@pytest.fixture
def listing(cloud: CloudDBs) -> Iterator[ListingCloud]:
    made = open_listing_cloud(cloud)
    for index, (name, tags) in enumerate(TAGGED.items()):
        if name == "c":
            uuid = made.add_build_request(display_name=name)
            with cloud.engine("api").begin() as conn:
                table = build_request.TABLE
                stmt = sa.update(table).where(table.c.instance_uuid == uuid)
                conn.execute(stmt.values(tags=json.dumps(tags)))
            continue
        cell = ("cell1", "cell2")[index % 2]
        uuid = made.add_server(cell, display_name=name)
        with cloud.engine(cell).begin() as conn:
            tag.create_many(conn, uuid, tags)
    yield made
    made.close()


def names(listing: ListingCloud, test: TagTest, **query: object) -> list[str]:
    page = listing.lister().page(P1, ListQuery(filters=ServerFilters(tags=test), **query))  # type: ignore[arg-type]
    return [str(v.instance.display_name) for v in page.views]


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        (TagTest(all_of=("red",)), ["a", "b"]),
        (TagTest(all_of=("red", "big")), ["a"]),
        (TagTest(all_of=("red", "red")), ["a", "b"]),
        (TagTest(any_of=("red", "blue")), ["a", "b", "c"]),
        (TagTest(not_all_of=("red", "big")), ["b", "c", "d", "e"]),
        (TagTest(not_any_of=("red", "blue")), ["d", "e"]),
        (TagTest(all_of=("big",), not_any_of=("blue",)), ["a"]),
        (TagTest(any_of=("Red",)), ["e"]),
        (TagTest(all_of=("",)), []),
    ],
)
def test_each_filter_selects_in_cells_and_build_requests(
    listing: ListingCloud, test: TagTest, expected: list[str]
) -> None:
    assert sorted(names(listing, test)) == expected


def test_pages_carry_their_tags_and_fill_past_filtered_rows(listing: ListingCloud) -> None:
    order = (SortKey("display_name"),)
    first = listing.lister().page(
        P1,
        ListQuery(filters=ServerFilters(tags=TagTest(any_of=("big", "red"))), sort=order, limit=2),
    )
    assert [(v.instance.display_name, v.tags) for v in first.views] == [
        ("c", ["big", "blue"]),
        ("a", ["big", "red"]),
    ]
    assert first.next_marker is not None
    rest = names(
        listing,
        TagTest(any_of=("big", "red")),
        sort=order,
        marker=first.next_marker,
    )
    assert rest == ["b"]


def test_the_query_string_splits_tags_at_commas_from_226() -> None:
    ctx = P1
    params = {"tags": ["x", "red,big"], "not-tags-any": ["blue"], "name": ["a"]}
    schema.validate(params, Version.parse("2.26"))
    parsed = schema.parse(
        schema.usable(params, Version.parse("2.26"), False), Version.parse("2.26"), ctx
    )
    assert parsed.filters.tags == TagTest(all_of=("red", "big"), not_any_of=("blue",))
    early = schema.parse(
        schema.usable(params, Version.parse("2.25"), False), Version.parse("2.25"), ctx
    )
    assert early.filters.tags is None
