"""Assembling the REST API from an API-level configuration."""

from __future__ import annotations

from pathlib import Path

from oslo_config import cfg

from tessera.api import (
    aggregates,
    availability_zones,
    hypervisors,
    instance_actions,
    keypairs,
    migrations,
    quotas,
    server_actions,
    server_groups,
    server_metadata,
    server_tags,
    services,
)
from tessera.api.app import build_app
from tessera.api.auth import middleware as auth_middleware
from tessera.api.deps import APIDeps
from tessera.api.server import APIServer
from tessera.api.server_list import install as install_server_list
from tessera.api.services import HostSettings
from tessera.cells.targets import CellTargets
from tessera.compute.api import ServerAPI
from tessera.compute.multi_cell_list import ServerLister
from tessera.conductor.rpcapi import SuperConductorAPI
from tessera.db.engines import Databases
from tessera.image import ImageService
from tessera.image import install as install_images
from tessera.image.client import LocalImageClient
from tessera.network import config as network_config
from tessera.network.api import install as install_network
from tessera.placement.client import PlacementClient
from tessera.policies.enforcer import Policy
from tessera.rpc.registry import TransportRegistry


def build_server_api(
    conf: cfg.ConfigOpts,
    transports: TransportRegistry,
    databases: Databases,
    placement: PlacementClient,
    images: ImageService | None = None,
) -> ServerAPI:
    """What the handlers call, over the API database, the cells and the super conductor
    (and the image service, for the image properties servers show)."""
    targets = CellTargets.from_conf(conf, databases, transports)
    conductor = SuperConductorAPI(transports.rpc(conf.transport_url), conf.rpc_call_timeout)
    return ServerAPI(
        targets,
        conductor,
        placement,
        network_config.from_conf(conf, databases),
        service_down_time=conf.service_down_time,
        images=images,
        cell_timeout=conf.cell_timeout,
    )


def image_service(conf: cfg.ConfigOpts) -> ImageService:
    """The built-in image service, storing under ``<state_path>/images``."""
    return ImageService(Path(conf.state_path) / "images")


def build_api_server(conf: cfg.ConfigOpts, servers: ServerAPI, images: ImageService) -> APIServer:
    """The threaded HTTP server of the compute, image and identity APIs (not started)."""
    deps = APIDeps(servers, servers.api_engine, conf.api.max_limit)
    app = build_app(deps, Policy(conf), auth_middleware(conf))
    install_server_list(app, deps, ServerLister.from_conf(conf, servers.targets))
    install_images(app, images)
    if servers.network is not None:
        install_network(app, servers.network)
    settings = HostSettings.from_conf(conf)
    for resource in (services, hypervisors, aggregates, availability_zones, migrations):
        resource.install(app, deps, servers.targets, settings)
    keypairs.install(app, deps)
    server_groups.install(app, deps)
    quotas.install(app, deps, cell_timeout=conf.cell_timeout)
    server_tags.install(app, deps)
    server_actions.install(app, deps, LocalImageClient(images))
    for module in (server_metadata, instance_actions):
        module.install(app, deps)
    return APIServer(app, conf.api.listen, conf.api.port, threads=conf.api.workers)
