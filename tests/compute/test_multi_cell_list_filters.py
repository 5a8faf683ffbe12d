"""Filters, limits and refusals of the cross-cell lister, on every backend."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator

import pytest

from tessera.api.schemas.server_list import states_for
from tessera.compute.list_query import (
    InvalidListQuery,
    ListForbidden,
    ListQuery,
    ServerFilters,
    SortKey,
)
from tessera.compute.multi_cell_list import ServerPage
from tessera.context import RequestContext
from tests.compute.test_multi_cell_list_helpers import T0, ListingCloud, open_listing_cloud
from tests.conftest import CloudDBs

P1 = RequestContext(user_id="user-p1", project_id="p1", roles=("member",))
ADMIN = RequestContext(user_id="admin", project_id="admin", is_admin=True, roles=("admin",))


@pytest.fixture
def listing(cloud: CloudDBs) -> Iterator[ListingCloud]:
    made = open_listing_cloud(cloud)
    yield made
    made.close()


def names(page: ServerPage) -> list[str]:
    return sorted(str(v.instance.display_name) for v in page.views)


def mine(listing: ListingCloud, **values: object) -> list[str]:
    """Names of p1's servers passing ServerFilters(**values)."""
    query = ListQuery(filters=ServerFilters(**values))  # type: ignore[arg-type]
    return names(listing.lister().page(P1, query))


def admins(listing: ListingCloud, **values: object) -> list[str]:
    """Names of every project's servers passing ServerFilters(**values), as admin."""
    query = ListQuery(filters=ServerFilters(**values), all_tenants=True)  # type: ignore[arg-type]
    return names(listing.lister().page(ADMIN, query))


def test_status_filters_follow_vm_and_task_state(listing: ListingCloud) -> None:
    listing.add_server("cell1", display_name="up")
    listing.add_server("cell2", display_name="rebooting", task_state="rebooting")
    listing.add_server("cell1", display_name="off", vm_state="stopped")
    listing.add_server("cell2", display_name="broken", vm_state="error")
    listing.add_build_request(display_name="new")

    assert mine(listing, states=states_for("ACTIVE")) == ["up"]
    assert mine(listing, states=states_for("REBOOT")) == ["rebooting"]
    assert mine(listing, states=states_for("SHUTOFF")) == ["off"]
    assert mine(listing, states=states_for("BUILD")) == ["new"]
    assert mine(listing, states=states_for("ERROR") + states_for("SHUTOFF")) == ["broken", "off"]
    assert mine(listing, states=()) == []


def test_error_servers_come_with_their_latest_fault(listing: ListingCloud) -> None:
    broken = listing.add_server("cell2", display_name="broken", vm_state="error")
    listing.add_server("cell2", display_name="fine")
    listing.record_fault(broken, "first")
    listing.record_fault(broken, "no valid host")
    listing.targets.take_asked()

    page = listing.lister().page(P1, ListQuery())

    faults = {v.instance.display_name: v.fault for v in page.views}
    assert faults["fine"] is None
    assert faults["broken"] is not None and faults["broken"].message == "no valid host"
    assert listing.targets.take_asked() == [listing.cells["cell2"].uuid]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("web", ["web-1", "web-2", "web_3", "xweb"]),
        ("^web", ["web-1", "web-2", "web_3"]),
        ("^web-[12]$", ["web-1", "web-2"]),
        ("WEB", []),  # case-sensitive on every backend
        ("b_3", ["web_3"]),
        ("b%", []),  # no LIKE wildcard leaks through
        ("1|db", ["db", "web-1"]),
        ("", ["db", "web-1", "web-2", "web_3", "xweb"]),
    ],
)
def test_name_is_a_regular_expression(
    listing: ListingCloud, pattern: str, expected: list[str]
) -> None:
    for n, name in enumerate(["web-1", "web-2", "web_3", "xweb", "db"]):
        listing.add_server(("cell1", "cell2")[n % 2], display_name=name)
    listing.add_server("cell1", display_name="web-hidden", hidden=True)

    assert mine(listing, name=pattern) == expected


def test_name_filter_fills_the_page_past_non_matching_rows(listing: ListingCloud) -> None:
    for n in range(12):
        listing.add_server("cell1", display_name=f"a{n}")
    for n in range(3):
        listing.add_server("cell1", display_name=f"z{n}")
    query = ListQuery(filters=ServerFilters(name="^z|9$"), limit=3, sort=(SortKey("display_name"),))
    lister = listing.lister()

    first = lister.page(P1, query)
    second = lister.page(P1, dataclasses.replace(query, marker=first.next_marker))

    assert [v.instance.display_name for v in first.views] == ["a9", "z0", "z1"]
    assert [v.instance.display_name for v in second.views] == ["z2"]
    assert second.next_marker is None


def test_bad_regular_expression_is_refused(listing: ListingCloud) -> None:
    with pytest.raises(InvalidListQuery, match="regular expression"):
        mine(listing, name="web(")


def test_flavor_image_and_reservation_filters(listing: ListingCloud) -> None:
    small = listing.add_flavor("small")
    listing.add_flavor("unused")
    listing.add_server("cell1", display_name="s", instance_type_id=small)
    listing.add_server("cell2", display_name="i", image_ref="image-b")
    listing.add_server("cell1", display_name="r", reservation_id="r-2")
    listing.add_build_request(display_name="b", instance_type_id=small)

    assert mine(listing, flavor_id="small") == ["b", "s"]
    assert mine(listing, flavor_id="unused") == []
    assert mine(listing, flavor_id="missing") == []
    assert mine(listing, equal=(("image_ref", "image-b"),)) == ["i"]
    assert mine(listing, equal=(("reservation_id", "r-2"),)) == ["r"]


def test_changes_since_includes_deleted_servers(listing: ListingCloud) -> None:
    old = listing.add_server("cell1", display_name="old", created_at=T0)
    listing.add_server("cell2", display_name="new", created_at=T0 + datetime.timedelta(hours=2))
    gone = listing.add_server("cell2", display_name="gone", created_at=T0)
    listing.update_server(old, updated_at=T0 + datetime.timedelta(minutes=5))
    listing.delete_server(gone)  # deleted now: updated long after T0 + 1h
    since = T0 + datetime.timedelta(hours=1)

    assert mine(listing, changes_since=since) == ["gone", "new"]
    assert admins(listing, changes_since=since, deleted=False) == ["new"]
    assert mine(listing, changes_before=since) == ["old"]


def test_admin_filters_and_project_scope(listing: ListingCloud) -> None:
    listing.add_server("cell1", display_name="a", host="host-a", node="n1")
    listing.add_server("cell2", display_name="b", host="host-b")
    listing.add_server("cell2", project="p2", display_name="c", host="host-a", node="n2")

    assert admins(listing, equal=(("host", "host-a"),)) == ["a", "c"]
    assert admins(listing, equal=(("host", "host-a"), ("node", "n2"))) == ["c"]
    assert admins(listing, equal=(("user_id", "user-p2"),)) == ["c"]
    query = ListQuery(all_tenants=True, project_id="p2")
    assert names(listing.lister().page(ADMIN, query)) == ["c"]


# --------------------------------------------------------------------------- refusals


def test_limit_zero_negative_and_clamped(listing: ListingCloud) -> None:
    for n in range(4):
        listing.add_server("cell1", display_name=f"s{n}")
    lister = listing.lister(max_limit=3)

    assert lister.page(P1, ListQuery(limit=0)) == ServerPage(())
    with pytest.raises(InvalidListQuery, match="positive"):
        lister.page(P1, ListQuery(limit=-1))
    clamped = lister.page(P1, ListQuery(limit=50))
    assert len(clamped.views) == 3 and clamped.next_marker is not None


def test_refusals(listing: ListingCloud) -> None:
    lister = listing.lister()
    with pytest.raises(ListForbidden, match="Only administrators can sort servers by host"):
        lister.page(P1, ListQuery(sort=(SortKey("host"),)))
    with pytest.raises(ListForbidden):
        lister.page(P1, ListQuery(all_tenants=True))
    with pytest.raises(InvalidListQuery, match="sort key"):
        lister.page(ADMIN, ListQuery(sort=(SortKey("user_data"),)))
    with pytest.raises(InvalidListQuery, match="filter"):
        lister.page(ADMIN, ListQuery(filters=ServerFilters(equal=(("user_data", "x"),))))
    assert lister.page(ADMIN, ListQuery(sort=(SortKey("node", True),))).views == ()
