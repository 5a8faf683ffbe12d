"""The cross-cell lister against real cell databases, on every backend."""

from __future__ import annotations

import dataclasses
import datetime
import time
from collections.abc import Iterator

import pytest

from tessera.compute.list_query import (
    ListQuery,
    MarkerNotFound,
    ServerFilters,
    SortKey,
)
from tessera.compute.multi_cell_list import ServerLister, ServerPage
from tessera.context import RequestContext
from tessera.objects import instance_mapping
from tests.compute.test_multi_cell_list_helpers import (
    T0,
    UNREACHABLE_DB,
    ListingCloud,
    cell_servers,
    expected_order,
    open_listing_cloud,
)
from tests.conftest import CloudDBs

P1 = RequestContext(user_id="user-p1", project_id="p1", roles=("member",))
ADMIN = RequestContext(user_id="admin", project_id="admin", is_admin=True, roles=("admin",))


def sec(n: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=n)


@pytest.fixture
def listing(cloud: CloudDBs) -> Iterator[ListingCloud]:
    made = open_listing_cloud(cloud)
    yield made
    made.close()


def uuids(page: ServerPage) -> list[str]:
    return [str(v.instance.uuid) for v in page.views]


def every_page(lister: ServerLister, ctx: RequestContext, query: ListQuery) -> list[list[str]]:
    """Follow next markers to the end; the pages' uuids."""
    pages: list[list[str]] = []
    marker = None
    while True:
        page = lister.page(ctx, dataclasses.replace(query, marker=marker))
        pages.append(uuids(page))
        assert page.next_marker == (pages[-1][-1] if page.next_marker else None)
        marker = page.next_marker
        if marker is None:
            return pages
        assert len(pages) < 100, "paging does not end"


# --------------------------------------------------------------------------- order


def test_build_requests_come_first_then_cells_merged_newest_first(
    listing: ListingCloud,
) -> None:
    c1 = [listing.add_server("cell1", created_at=sec(n)) for n in (1, 3, 5)]
    c2 = [listing.add_server("cell2", created_at=sec(n)) for n in (2, 4, 6)]
    old_build = listing.add_build_request(created_at=sec(0))
    new_build = listing.add_build_request(created_at=sec(10))
    listing.add_server("cell1", project="p2", created_at=sec(7))

    page = listing.lister().page(P1, ListQuery())

    assert uuids(page) == [new_build, old_build, c2[2], c1[2], c2[1], c1[1], c2[0], c1[0]]
    assert page.down_cells == () and page.next_marker is None and page.partial == ()


NAMES = ["alpha", "Alpha", "beta", "alpha ", "Ünïcode", "zeta", None, "b", "B", "alpha", "é"]
HOSTS = [None, "host-b", "host-a", "host-a"]


def fill_varied(listing: ListingCloud) -> None:
    """Servers across three cells and projects with NULLs, ties, case and accents."""
    for i, name in enumerate(NAMES * 2):
        listing.add_server(
            ("cell0", "cell1", "cell2")[i % 3],
            project=("p1", "p2")[i % 2],
            display_name=name,
            created_at=sec(i // 4),
            host=HOSTS[i % 4],
            launched_at=None if i % 5 == 0 else sec(100 - i % 7),
            launch_index=i % 3,
        )


@pytest.mark.parametrize(
    "keys",
    [
        [("created_at", True)],
        [("created_at", False)],
        [("display_name", False)],
        [("display_name", True)],
        [("host", False), ("display_name", True)],
        [("launched_at", True)],
        [("launch_index", False), ("created_at", True)],
        [("uuid", True)],
    ],
    ids=lambda keys: ",".join(f"{c}:{'desc' if d else 'asc'}" for c, d in keys),
)
def test_one_global_order_across_cells(listing: ListingCloud, keys: list[tuple[str, bool]]) -> None:
    fill_varied(listing)
    sort = tuple(SortKey(column, descending) for column, descending in keys)
    expected = expected_order(cell_servers(listing), keys)
    lister = listing.lister()

    whole = lister.page(ADMIN, ListQuery(sort=sort, all_tenants=True))
    pages = every_page(lister, ADMIN, ListQuery(sort=sort, all_tenants=True, limit=4))

    assert uuids(whole) == expected
    assert [u for page in pages for u in page] == expected


@pytest.mark.parametrize("sort", [(), (SortKey("display_name"),)], ids=["default", "name"])
def test_paging_57_servers_by_10_returns_each_once_in_order(
    listing: ListingCloud, sort: tuple[SortKey, ...]
) -> None:
    builds = [
        listing.add_build_request(created_at=sec(n), display_name=f"b{n % 2}") for n in range(5)
    ]
    for n in range(52):
        cell = "cell1" if n % 5 < 3 else ("cell2" if n % 5 < 4 or n > 9 else "cell0")
        listing.add_server(cell, created_at=sec(n // 3), display_name=f"s{n % 4}")
    listing.add_server("cell2", project="p2", created_at=sec(3))
    keys = [(k.column, k.descending) for k in sort] or [("created_at", True)]
    firsts = expected_order([listing.servers[u] for u in builds], keys)
    expected = firsts + expected_order(cell_servers(listing, "p1"), keys)

    pages = every_page(listing.lister(), P1, ListQuery(sort=sort, limit=10))

    assert [len(p) for p in pages] == [10, 10, 10, 10, 10, 7]
    assert [u for page in pages for u in page] == expected


def test_marker_in_another_cell(listing: ListingCloud) -> None:
    a = listing.add_server("cell1", created_at=sec(5))
    b = listing.add_server("cell2", created_at=sec(4))
    c = listing.add_server("cell1", created_at=sec(3))
    d = listing.add_server("cell2", created_at=sec(2))
    lister = listing.lister()

    assert uuids(lister.page(P1, ListQuery(marker=b))) == [c, d]
    assert uuids(lister.page(P1, ListQuery(marker=a, limit=1))) == [b]


def test_deleted_marker_still_places_the_page(listing: ListingCloud) -> None:
    a = listing.add_server("cell1", created_at=sec(5))
    b = listing.add_server("cell2", created_at=sec(4))
    c = listing.add_server("cell1", created_at=sec(3))
    first = listing.lister().page(P1, ListQuery(limit=2))
    assert uuids(first) == [a, b] and first.next_marker == b

    listing.delete_server(b)

    assert uuids(listing.lister().page(P1, ListQuery(marker=b))) == [c]


def test_marker_among_build_requests_lists_cells_from_their_start(
    listing: ListingCloud,
) -> None:
    builds = [listing.add_build_request(created_at=sec(n)) for n in (9, 8, 7)]
    cell = listing.add_server("cell1", created_at=sec(20))

    page = listing.lister().page(P1, ListQuery(marker=builds[1]))

    assert uuids(page) == [builds[2], cell]


def test_marker_not_found(listing: ListingCloud) -> None:
    theirs = listing.add_server("cell1", project="p2")
    lister = listing.lister()

    with pytest.raises(MarkerNotFound, match=r"^marker \[nope\] not found$"):
        lister.page(P1, ListQuery(marker="nope"))
    with pytest.raises(MarkerNotFound):
        lister.page(P1, ListQuery(marker=theirs))  # another project's server
    assert uuids(lister.page(ADMIN, ListQuery(marker=theirs, all_tenants=True))) == []


# --------------------------------------------------------------------------- which cells


def test_a_project_listing_asks_only_the_cells_holding_its_servers(
    listing: ListingCloud,
) -> None:
    mine = listing.add_server("cell1")
    listing.add_server("cell2", project="p2")
    listing.add_build_request()
    lister = listing.lister()
    listing.targets.take_asked()

    assert uuids(lister.page(P1, ListQuery()))[1:] == [mine]
    assert listing.targets.take_asked() == [listing.cells["cell1"].uuid]

    lister.page(ADMIN, ListQuery(all_tenants=True))
    assert sorted(listing.targets.take_asked()) == sorted(c.uuid for c in listing.cells.values())

    nobody = RequestContext(user_id="u", project_id="empty", roles=("member",))
    assert uuids(lister.page(nobody, ListQuery())) == []
    assert listing.targets.take_asked() == []


# --------------------------------------------------------------------------- down cells


def test_an_unreachable_cell_is_skipped_and_reported(listing: ListingCloud) -> None:
    down = listing.add_cell("cell3", UNREACHABLE_DB)
    with listing.dbs.engine("api").begin() as conn:
        instance_mapping.create(conn, "0000aaaa-0000-4000-8000-000000000001", "p1", "u", down.id)
        instance_mapping.create(conn, "0000aaaa-0000-4000-8000-000000000002", "p1", "u", down.id)
        conn.execute(
            instance_mapping.TABLE.update()
            .where(instance_mapping.TABLE.c.instance_uuid.like("%002"))
            .values(queued_for_delete=True)
        )
    up = listing.add_server("cell1")
    lister = listing.lister(cell_timeout=20)

    started = time.monotonic()
    page = lister.page(P1, ListQuery())
    elapsed = time.monotonic() - started
    with_partial = lister.page(P1, ListQuery(partial_down_cells=True))

    assert uuids(page) == [up] and page.partial == ()
    assert [d.uuid for d in page.down_cells] == [down.uuid]
    assert page.down_cells[0].reason.startswith("failed")
    assert elapsed < 10, "a refused connection must not wait for the deadline"
    assert [p.uuid for p in with_partial.partial] == ["0000aaaa-0000-4000-8000-000000000001"]
    assert with_partial.partial[0].project_id == "p1" and uuids(with_partial) == [up]


def test_a_slow_cell_misses_the_deadline_and_the_page_goes_on(listing: ListingCloud) -> None:
    fast = listing.add_server("cell1", created_at=sec(1))
    listing.add_server("cell2", created_at=sec(2))
    slow = listing.cells["cell2"]
    listing.targets.stall[slow.uuid] = 2.0
    lister = listing.lister(cell_timeout=0.3)

    started = time.monotonic()
    page = lister.page(P1, ListQuery())
    elapsed = time.monotonic() - started

    assert uuids(page) == [fast]
    assert [d.uuid for d in page.down_cells] == [slow.uuid]
    assert "no answer" in page.down_cells[0].reason
    assert elapsed < 1.8, "the listing waited for the stalled cell"
    time.sleep(2.0)  # let the stalled read finish before the tables are emptied


# --------------------------------------------------------------------------- filters


def names(page: ServerPage) -> list[str]:
    return sorted(str(v.instance.display_name) for v in page.views)


def test_hidden_and_deleted_servers_are_not_listed(listing: ListingCloud) -> None:
    listing.add_server("cell1", display_name="shown")
    listing.add_server("cell1", display_name="moving", hidden=True)
    gone = listing.add_server("cell2", display_name="gone")
    listing.delete_server(gone)
    lister = listing.lister()

    assert names(lister.page(P1, ListQuery())) == ["shown"]
    deleted = ListQuery(filters=ServerFilters(deleted=True), all_tenants=True)
    assert names(lister.page(ADMIN, deleted)) == ["gone"]
