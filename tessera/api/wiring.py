"""Assembling the REST API from an API-level configuration."""

from __future__ import annotations

from pathlib import Path

from oslo_config import cfg

from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.api.server import APIServer
from tessera.cells.targets import CellTargets
from tessera.compute.api import ServerAPI
from tessera.conductor.rpcapi import SuperConductorAPI
from tessera.db.engines import Databases
from tessera.image import ImageService
from tessera.image import install as install_images
from tessera.placement.client import PlacementClient
from tessera.policies.enforcer import Policy
from tessera.rpc.registry import TransportRegistry


def build_server_api(
    conf: cfg.ConfigOpts,
    transports: TransportRegistry,
    databases: Databases,
    placement: PlacementClient,
) -> ServerAPI:
    """What the handlers call, over the API database, the cells and the super conductor."""
    targets = CellTargets.from_conf(conf, databases, transports)
    conductor = SuperConductorAPI(transports.rpc(conf.transport_url), conf.rpc_call_timeout)
    return ServerAPI(targets, conductor, placement)


def image_service(conf: cfg.ConfigOpts) -> ImageService:
    """The built-in image service, storing under ``<state_path>/images``."""
    return ImageService(Path(conf.state_path) / "images")


def build_api_server(conf: cfg.ConfigOpts, servers: ServerAPI, images: ImageService) -> APIServer:
    """The threaded HTTP server of the compute, image and identity APIs (not started)."""
    app = build_app(APIDeps(servers, servers.api_engine), Policy(conf))
    install_images(app, images)
    return APIServer(app, conf.api.listen, conf.api.port, threads=conf.api.workers)
