"""Pieces of server actions that need no cloud: metadata checks, the fake driver, views."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from tessera.api.microversions import Version
from tessera.api.views import instance_actions as views
from tessera.compute.actions import ActionRecord, MetadataInvalid, validate_metadata
from tessera.virt.driver import RUNNING, SHUTDOWN, GuestSpec
from tessera.virt.fake import FakeDriver, FakeSettings


def test_metadata_limits() -> None:
    validate_metadata({"k" * 255: "v" * 255})
    for bad in ({"": "v"}, {"k" * 256: "v"}, {"k": "v" * 256}, {"k": 1}):
        with pytest.raises(MetadataInvalid):
            validate_metadata(bad)


def test_fake_driver_power(tmp_path: Path) -> None:
    driver = FakeDriver(FakeSettings("h1", tmp_path))
    driver.spawn(GuestSpec("u1", "vm", 1, 512, 1, None))
    driver.power_off("u1")
    assert driver.power_state("u1") == SHUTDOWN
    driver.power_on("u1")
    assert driver.power_state("u1") == RUNNING
    driver.power_off("u1")
    driver.reboot("u1", hard=True)
    assert driver.power_state("u1") == RUNNING
    with pytest.raises(LookupError):
        driver.power_off("missing")


def test_event_view_hides_traceback() -> None:
    now = datetime.datetime(2026, 1, 1)
    event = {
        "event": "compute_stop_instance",
        "start_time": now,
        "finish_time": now,
        "result": "Error",
        "traceback": "Traceback ...",
        "host": "h1",
        "details": None,
    }
    version = Version.parse("2.84")
    user = views.event(event, version, show_host=False, show_details=False)
    assert "traceback" not in user and "host" not in user
    admin = views.event(event, version, show_host=True, show_details=True)
    assert admin["traceback"] == "Traceback ..." and admin["host"] == "h1"
    assert "details" in admin


def test_action_view() -> None:
    now = datetime.datetime(2026, 1, 1)
    record = ActionRecord(
        {
            "action": "stop",
            "instance_uuid": "u1",
            "request_id": "req-1",
            "user_id": "demo",
            "project_id": "demo",
            "start_time": now,
            "updated_at": None,
            "message": None,
        },
        [],
    )
    body = views.action(record, Version.parse("2.58"))
    assert body["action"] == "stop" and body["updated_at"] == body["start_time"]
    assert "updated_at" not in views.action(record, Version.parse("2.1"))
