"""Options of the ``[compute]`` and ``[fake_driver]`` groups (compute hosts)."""

from __future__ import annotations

from oslo_config import cfg

COMPUTE = "compute"
FAKE_DRIVER = "fake_driver"

COMPUTE_OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        "instances_path", help="Where guest disks live (default: <state_path>/instances/<host>)."
    ),
    cfg.FloatOpt(
        "cpu_allocation_ratio", default=4.0, min=0.0, help="vCPU overcommit reported to placement."
    ),
    cfg.FloatOpt(
        "ram_allocation_ratio", default=1.0, min=0.0, help="RAM overcommit reported to placement."
    ),
    cfg.FloatOpt(
        "disk_allocation_ratio", default=1.0, min=0.0, help="Disk overcommit reported to placement."
    ),
    cfg.IntOpt(
        "resource_update_interval",
        default=60,
        min=1,
        help="Seconds between resource tracker updates of node and inventory.",
    ),
]

FAKE_DRIVER_OPTS: list[cfg.Opt] = [
    cfg.IntOpt("vcpus", default=16, min=1, help="vCPUs of the simulated host."),
    cfg.IntOpt("memory_mb", default=65536, min=1, help="RAM of the simulated host, MiB."),
    cfg.IntOpt("disk_gb", default=1000, min=1, help="Disk of the simulated host, GiB."),
    cfg.FloatOpt(
        "spawn_seconds",
        default=0.0,
        min=0.0,
        help="Simulated time a spawn takes (failure injection for tests).",
    ),
    cfg.BoolOpt(
        "fail_spawn",
        default=False,
        help="Every spawn on this host fails (failure injection for tests).",
    ),
]
