"""``/os-availability-zone``: zones from aggregates and services of every cell."""

from __future__ import annotations

import pytest

from tests.api.admin.conftest import COMPUTE, CONDUCTOR, SCHEDULER, AdminCloud


@pytest.fixture
def zoned(admin_cloud: AdminCloud) -> AdminCloud:
    """compute1 in az1 (cell1); compute2 in the default zone (cell2, down);
    compute3 alone in az3 and disabled; conductors and a scheduler."""
    c = admin_cloud
    c.service("cell0", "control0", CONDUCTOR)
    c.compute("cell1", "compute1")
    c.service("cell1", "control1", CONDUCTOR)
    c.compute("cell2", "compute2", up=False)
    c.compute("cell2", "compute3", disabled=True, reason="spare")
    c.service("cell2", "control2", SCHEDULER)
    c.aggregate("rack1", zone="az1", hosts=("compute1",))
    c.aggregate("rack3", zone="az3", hosts=("compute3",))
    return c


def test_list_is_open_to_every_user_and_hides_internal(zoned: AdminCloud) -> None:
    got = zoned.get("/os-availability-zone", admin=False)
    assert got.status_code == 200, got.text
    assert got.json == {
        "availabilityZoneInfo": [
            {"zoneName": "az1", "zoneState": {"available": True}, "hosts": None},
            {"zoneName": "nova", "zoneState": {"available": True}, "hosts": None},
            {"zoneName": "az3", "zoneState": {"available": False}, "hosts": None},
        ]
    }


def test_detail_lists_hosts_and_services(zoned: AdminCloud) -> None:
    got = zoned.get("/os-availability-zone/detail")
    assert got.status_code == 200, got.text
    zones = {z["zoneName"]: z for z in got.json["availabilityZoneInfo"]}
    assert list(zones) == ["az1", "internal", "nova", "az3"]
    assert zones["az3"] == {"zoneName": "az3", "zoneState": {"available": False}, "hosts": None}
    compute1 = zones["az1"]["hosts"]["compute1"][COMPUTE]
    assert (compute1["available"], compute1["active"]) == (True, True)
    assert compute1["updated_at"]
    assert zones["nova"]["hosts"]["compute2"][COMPUTE]["available"] is False
    assert set(zones["internal"]["hosts"]) == {"control0", "control1", "control2"}
    assert set(zones["internal"]["hosts"]["control2"]) == {SCHEDULER}


def test_detail_is_admin_only(zoned: AdminCloud) -> None:
    got = zoned.get("/os-availability-zone/detail", admin=False)
    assert got.status_code == 403
    message = "Policy doesn't allow os_compute_api:os-availability-zone:detail to be performed."
    assert got.json == {"forbidden": {"code": 403, "message": message}}


def test_a_down_cell_is_skipped(zoned: AdminCloud) -> None:
    zoned.add_down_cell("compute9")
    got = zoned.get("/os-availability-zone/detail")
    assert got.status_code == 200, got.text
    hosts = {host for z in got.json["availabilityZoneInfo"] if z["hosts"] for host in z["hosts"]}
    assert "compute9" not in hosts and "compute1" in hosts
