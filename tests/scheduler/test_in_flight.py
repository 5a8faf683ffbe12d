"""The in-flight ledger: what a snapshot cannot show yet, and when entries expire."""

from __future__ import annotations

from tessera.scheduler.in_flight import InFlightClaims

VCPU = {"VCPU": 1}


def test_unconfirmed_claims_count_for_every_snapshot() -> None:
    ledger = InFlightClaims()
    entry = ledger.reserve("rp1", VCPU)
    token = ledger.open_snapshot()
    assert ledger.usage_since(token) == {"rp1": {"VCPU": 1}}
    ledger.cancel(entry)
    assert ledger.usage_since(token) == {}


def test_a_claim_confirmed_before_a_snapshot_is_in_it() -> None:
    ledger = InFlightClaims()
    old = ledger.open_snapshot()
    entry = ledger.reserve("rp1", VCPU)
    ledger.confirm(entry)
    new = ledger.open_snapshot()
    assert ledger.usage_since(old) == {"rp1": {"VCPU": 1}}  # the older snapshot lacks it
    assert ledger.usage_since(new) == {}
    ledger.close_snapshot(old)
    assert len(ledger) == 0  # every open snapshot includes it now
    ledger.close_snapshot(new)


def test_entries_add_up_per_provider() -> None:
    ledger = InFlightClaims()
    token = ledger.open_snapshot()
    for provider in ("rp1", "rp1", "rp2"):
        ledger.reserve(provider, {"VCPU": 2, "MEMORY_MB": 512})
    assert ledger.usage_since(token) == {
        "rp1": {"VCPU": 4, "MEMORY_MB": 1024},
        "rp2": {"VCPU": 2, "MEMORY_MB": 512},
    }


def test_confirmed_entries_expire_without_open_snapshots() -> None:
    ledger = InFlightClaims()
    ledger.confirm(ledger.reserve("rp1", VCPU))
    assert len(ledger) == 0
