"""Building conductor services from their configuration.

A conductor is a *super* conductor when ``[api_database] connection`` is set
(API level: boot orchestration), and a *cell* conductor otherwise (its cell's
database for computes, and reschedules).
"""

from __future__ import annotations

from oslo_config import cfg

from tessera.cells.targets import CellTargets
from tessera.compute.rpcapi import ComputeAPI
from tessera.conductor.cell_manager import CellConductorManager
from tessera.conductor.rpcapi import TOPIC
from tessera.conductor.super_manager import SuperConductorManager
from tessera.conductor.tasks.build import BuildDeps
from tessera.db.engines import Databases
from tessera.network import config as network_config
from tessera.placement.client import PlacementClient
from tessera.rpc.registry import TransportRegistry
from tessera.scheduler.rpcapi import SchedulerAPI
from tessera.service import DirectReporter, Service

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
    )


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
