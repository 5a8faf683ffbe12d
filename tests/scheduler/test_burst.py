"""Bursts: many concurrent single-instance requests spread (or stack) as the weighers say.

The reference weighed hosts on states that lagged its own claims and piled
most of a burst onto one host; the in-flight ledger must prevent that.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tessera.context import RequestContext
from tessera.scheduler.manager import SchedulerManager
from tests.scheduler.helpers import Cloud, inventory, new_uuids, spec

HOSTS = [f"h{i}" for i in range(6)]
THREADS = 6


def burst(cloud: Cloud, requests: int) -> Counter[str]:
    """Six equal hosts, three per cell; ``requests`` single-instance requests from 6 threads."""
    for i, name in enumerate(HOSTS):
        cloud.add_compute("cell1" if i % 2 else "cell2", name, inventory(vcpus=64))
    manager = cloud.manager()
    ctx = RequestContext(user_id="user1", project_id="project1")

    def one(uuid: str) -> str:
        return str(select_one(manager, ctx, uuid))

    with ThreadPoolExecutor(THREADS) as pool:
        chosen = list(pool.map(one, new_uuids(requests)))
    counts = Counter({h: 0 for h in HOSTS})
    counts.update(chosen)
    # Placement agrees with what the scheduler answered.
    assert {h: cloud.used(h) for h in HOSTS} == dict(counts)
    return counts


def select_one(manager: SchedulerManager, ctx: RequestContext, uuid: str) -> str:
    return str(manager.select_destinations(ctx, spec(), [uuid])[0][0]["service_host"])


def test_a_burst_spreads(scloud: Cloud) -> None:
    counts = burst(scloud, 60)
    print(f"spread: {dict(counts)}")
    assert max(counts.values()) - min(counts.values()) <= 2


def test_a_burst_stacks_with_a_negative_ram_multiplier(scloud: Cloud) -> None:
    scloud.conf.set_override("weight_classes", ["RAMWeigher"], group="filter_scheduler")
    scloud.conf.set_override("ram_weight_multiplier", -1.0, group="filter_scheduler")
    counts = burst(scloud, 24)
    print(f"stack: {dict(counts)}")
    assert max(counts.values()) == 24
