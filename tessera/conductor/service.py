"""Building conductor services from their configuration.

A conductor is a *super* conductor when ``[api_database] connection`` is set
(API level: boot orchestration), and a *cell* conductor otherwise (its cell's
database for computes, and reschedules).
"""

from __future__ import annotations

from oslo_config import cfg
from sqlalchemy.engine import Engine

from tessera.cells.targets import CellTargets
from tessera.compute.rpcapi import ComputeAPI
from tessera.conductor.cell_manager import CellConductorManager
from tessera.conductor.rpcapi import TOPIC
from tessera.conductor.stuck_builds import StuckBuildSweeper
from tessera.conductor.super_manager import SuperConductorManager
from tessera.conductor.tasks.build import BuildDeps
from tessera.db.engines import Databases
from tessera.network import config as network_config
from tessera.placement.client import PlacementClient
from tessera.rpc.registry import TransportRegistry
from tessera.scheduler.rpcapi import SchedulerAPI
from tessera.service import DirectReporter, Periodic, Service

BINARY = "tessera-conductor"


def is_super(conf: cfg.ConfigOpts) -> bool:
    """A conductor with the API database configured orchestrates at the API level."""
    return bool(conf.api_database.connection)


def build_conductor_service(
    conf: cfg.ConfigOpts,
    transports: TransportRegistry,
    databases: Databases,
    placement: PlacementClient,
) -> Service:
    """The super or cell conductor this configuration describes."""
    if is_super(conf):
        return _super(conf, transports, databases, placement)
    return _cell(conf, transports, databases, placement)


def _cell(
    conf: cfg.ConfigOpts,
    transports: TransportRegistry,
    databases: Databases,
    placement: PlacementClient,
) -> Service:
    engine = databases.engine(conf.database.connection)
    transport = transports.rpc(conf.transport_url)
    manager = CellConductorManager(
        engine,
        placement,
        ComputeAPI(transport, conf.rpc_call_timeout),
        conf.host,
        network_config.from_conf(conf, databases),
    )
    return Service(
        binary=BINARY,
        host=conf.host,
        topic=TOPIC,
        manager=manager,
        transport=transport,
        reporter=DirectReporter(engine, conf.host, BINARY, TOPIC),
        report_interval=conf.report_interval,
        periodic=_stuck_build_check(conf, engine, placement),
    )


def _stuck_build_check(
    conf: cfg.ConfigOpts, engine: Engine, placement: PlacementClient
) -> list[Periodic]:
    """The cell conductor's check for builds stuck on a down host (none when disabled)."""
    timeout = conf.conductor.down_host_build_timeout
    if not timeout:
        return []
    sweeper = StuckBuildSweeper(engine, placement, conf.host, timeout, conf.service_down_time)
    interval = conf.conductor.stuck_build_check_interval
    return [Periodic("stuck builds", interval, sweeper.check)]


def _super(
    conf: cfg.ConfigOpts,
    transports: TransportRegistry,
    databases: Databases,
    placement: PlacementClient,
) -> Service:
    transport = transports.rpc(conf.transport_url)
    targets = CellTargets.from_conf(conf, databases, transports)
    deps = BuildDeps(
        targets,
        SchedulerAPI(transport, conf.rpc_call_timeout),
        placement,
        conf.host,
        network_config.from_conf(conf, databases),
        cell_timeout=conf.cell_timeout,
    )
    reporter = DirectReporter(databases.engine(conf.database.connection), conf.host, BINARY, TOPIC)
    return Service(
        binary=BINARY,
        host=conf.host,
        topic=TOPIC,
        manager=SuperConductorManager(deps),
        transport=transport,
        reporter=reporter,
        report_interval=conf.report_interval,
    )
