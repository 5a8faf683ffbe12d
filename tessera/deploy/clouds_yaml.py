"""``clouds.yaml`` for clients of the embedded cloud (openstack CLI, openstacksdk)."""

from __future__ import annotations

from pathlib import Path

_TEMPLATE = """\
clouds:
  tessera:
    auth_type: admin_token
    auth:
      token: "demo:demo"
      endpoint: {compute}
    compute_endpoint_override: {compute}
  tessera-admin:
    auth_type: admin_token
    auth:
      token: "admin:admin"
      endpoint: {compute}
    compute_endpoint_override: {compute}
"""


def write(path: Path, host: str, port: int) -> Path:
    """Write the file and return its path."""
    path.write_text(_TEMPLATE.format(compute=f"http://{host}:{port}/v2.1"))
    return path
