"""Options of the ``[scheduler]`` and ``[filter_scheduler]`` groups."""

from __future__ import annotations

from oslo_config import cfg

SCHEDULER = "scheduler"
FILTER_SCHEDULER = "filter_scheduler"

SCHEDULER_OPTS: list[cfg.Opt] = [
    cfg.IntOpt(
        "max_attempts",
        default=3,
        min=1,
        help="Hosts tried per server build: the selected one plus up to "
        "max_attempts - 1 alternates from the same cell. 1 disables rescheduling.",
    ),
    cfg.IntOpt(
        "discover_hosts_in_cells_interval",
        default=-1,
        min=-1,
        help="Seconds between periodic host discovery runs; -1 disables, 0 means every 60 seconds.",
    ),
    cfg.IntOpt(
        "max_placement_results",
        default=1000,
        min=1,
        help="Most allocation candidates asked of placement per request.",
    ),
]

FILTER_SCHEDULER_OPTS: list[cfg.Opt] = [
    cfg.ListOpt(
        "enabled_filters",
        default=[
            "ComputeFilter",
            "AvailabilityZoneFilter",
            "AggregateInstanceExtraSpecsFilter",
            "ServerGroupAntiAffinityFilter",
            "ServerGroupAffinityFilter",
        ],
        help="Filters a host must pass, in order.",
    ),
    cfg.ListOpt(
        "weight_classes",
        default=["all"],
        help="Weighers to use: 'all' for the built-in ones, or names and "
        "'module:Class' paths of pluggable weighers.",
    ),
    cfg.FloatOpt(
        "ram_weight_multiplier",
        default=1.0,
        help="Positive spreads servers by free RAM; negative stacks them.",
    ),
    cfg.FloatOpt(
        "cpu_weight_multiplier",
        default=1.0,
        help="Positive spreads servers by free vCPUs; negative stacks them.",
    ),
    cfg.FloatOpt(
        "soft_affinity_weight_multiplier",
        default=1.0,
        min=0.0,
        help="Weight of a host's members of a soft-affinity group (more: preferred).",
    ),
    cfg.FloatOpt(
        "soft_anti_affinity_weight_multiplier",
        default=1.0,
        min=0.0,
        help="Weight of a host's members of a soft-anti-affinity group (more: avoided).",
    ),
    cfg.FloatOpt(
        "cross_cell_move_weight_multiplier",
        default=1000000.0,
        help="Preference for keeping a moved server in its current cell.",
    ),
]
