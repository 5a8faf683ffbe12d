"""Pure parts of the listing: status tests, order, merge, LIKE prefilter, first share."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tessera.api.schemas.server_list import KNOWN_STATUSES, states_for
from tessera.api.views.status import _BY_TASK_STATE, _BY_VM_STATE, server_status
from tessera.compute.api import ServerView
from tessera.compute.list_cells import first_share
from tessera.compute.list_filters import like_prefilter, name_regex
from tessera.compute.list_order import Listed, merge, position
from tessera.compute.list_query import SortKey, total_order
from tessera.objects.instance import Instance

VM_STATES = [*_BY_VM_STATE, "unheard-of", None]
TASK_STATES = [*_BY_TASK_STATE, "resize_reverting", "spawning", "deleting", None]


@pytest.mark.parametrize("status", sorted(KNOWN_STATUSES))
def test_status_tests_select_exactly_the_servers_shown_with_that_status(status: str) -> None:
    tests = states_for(status)
    for vm_state in VM_STATES:
        for task_state in TASK_STATES:
            selected = any(t.matches(vm_state, task_state) for t in tests)
            assert selected == (server_status(vm_state, task_state) == status), (
                vm_state,
                task_state,
            )


def test_total_order_appends_uuid_once() -> None:
    assert total_order([]) == (SortKey("created_at", True), SortKey("uuid"))
    assert total_order([SortKey("uuid", True)]) == (SortKey("uuid", True),)
    assert total_order([SortKey("host")]) == (SortKey("host"), SortKey("uuid"))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("web", ("web", False)),
        ("^web", ("web", True)),
        ("web_1%", ("web_1%", False)),
        ("web$", None),
        ("w.b", None),
        ("", None),
        ("^", None),
        ("a|b", None),
    ],
)
def test_like_prefilter(pattern: str, expected: tuple[str, bool] | None) -> None:
    assert like_prefilter(pattern) == expected


@given(st.text(max_size=8), st.text(max_size=8))
def test_like_prefilter_never_excludes_a_match(pattern: str, name: str) -> None:
    found = like_prefilter(pattern)
    if found is None or name_regex.__wrapped__(pattern).search(name) is None:
        return
    text, anchored = found
    assert name.startswith(text) if anchored else text in name


def listed(uuid: str, order: tuple[SortKey, ...], **values: object) -> Listed:
    record = Instance({"uuid": uuid, **values}, {}, {})
    return Listed(position(record.values, order), ServerView(record), "cell")


def test_positions_put_null_first_ascending_and_last_descending() -> None:
    up = (SortKey("host"), SortKey("uuid"))
    down = (SortKey("host", True), SortKey("uuid"))
    rows: list[dict[str, Any]] = [
        {"uuid": "a", "host": "h2"},
        {"uuid": "b", "host": None},
        {"uuid": "c", "host": "h1"},
    ]
    assert [r["uuid"] for r in sorted(rows, key=lambda r: position(r, up))] == ["b", "c", "a"]
    assert [r["uuid"] for r in sorted(rows, key=lambda r: position(r, down))] == ["a", "c", "b"]


def test_merge_interleaves_sorted_streams_and_drops_repeated_uuids() -> None:
    order = total_order([SortKey("created_at", True)])
    t = datetime.datetime(2024, 1, 1)
    one = [listed(u, order, created_at=t.replace(hour=h)) for u, h in (("a", 9), ("c", 5))]
    two = [listed(u, order, created_at=t.replace(hour=h)) for u, h in (("b", 7), ("a", 1))]
    assert [item.uuid for item in merge([one, two])] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("limit", "cells", "expected"),
    [(100, 1, 100), (100, 2, 55), (10, 3, 4), (1, 5, 1), (1000, 4, 275), (3, 2, 2)],
)
def test_first_share(limit: int, cells: int, expected: int) -> None:
    assert first_share(limit, cells, 1.1) == expected
