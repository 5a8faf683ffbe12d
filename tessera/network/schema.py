"""The network service's own schema (SQLAlchemy Core), made with ``create_all`` on start.

This is an internal store, not a migrated schema. Two constraints carry the service's
guarantees, so they hold even when several processes allocate at once:

- ``uq_ports_network_ip``: an address is never held by two live ports of one network;
- ``uq_ports_device_index``: an instance's n-th port exists once, which makes a repeated
  (or concurrent) allocation for one instance find the ports instead of adding more.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

metadata = sa.MetaData()

networks = sa.Table(
    "networks",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("project_id", sa.String(255), nullable=True),
    sa.Column("shared", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_networks_name", "name"),
    sa.Index("ix_networks_project_id", "project_id"),
)

subnets = sa.Table(
    "subnets",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("network_id", sa.String(36), sa.ForeignKey("networks.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("project_id", sa.String(255), nullable=True),
    sa.Column("cidr", sa.String(64), nullable=False),
    sa.Column("gateway_ip", sa.String(39), nullable=True),
    sa.Column("ip_version", sa.Integer, nullable=False),
    sa.Column("pool_start", sa.String(39), nullable=False),
    sa.Column("pool_end", sa.String(39), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_subnets_network_id", "network_id"),
)

ports = sa.Table(
    "ports",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("network_id", sa.String(36), sa.ForeignKey("networks.id"), nullable=False),
    sa.Column("subnet_id", sa.String(36), sa.ForeignKey("subnets.id"), nullable=False),
    sa.Column("ip_address", sa.String(39), nullable=False),
    sa.Column("mac_address", sa.String(17), nullable=False),
    sa.Column("device_id", sa.String(36), nullable=True),
    sa.Column("device_index", sa.Integer, nullable=True),
    sa.Column("device_owner", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("project_id", sa.String(255), nullable=True),
    sa.Column("binding_host", sa.String(255), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("network_id", "ip_address", name="uq_ports_network_ip"),
    sa.UniqueConstraint("mac_address", name="uq_ports_mac_address"),
    # Rows without a device (NULL) never collide here on any of the three backends.
    sa.UniqueConstraint("device_id", "device_index", name="uq_ports_device_index"),
)

port_bindings = sa.Table(
    "port_bindings",
    metadata,
    sa.Column(
        "port_id", sa.String(36), sa.ForeignKey("ports.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.PrimaryKeyConstraint("port_id", "host"),
)

_CREATE_ATTEMPTS = 3


def create(engine: Engine) -> None:
    """Create the missing tables; safe when several processes start at once.

    ``create_all`` checks, then creates: two processes can both see a table missing and
    one of them then fails with "already exists" (an error whose class differs per
    backend). Trying again is enough, because the second pass sees the table.
    """
    for attempt in range(_CREATE_ATTEMPTS):
        try:
            metadata.create_all(engine)
            return
        except DBAPIError:
            if attempt == _CREATE_ATTEMPTS - 1:
                raise
