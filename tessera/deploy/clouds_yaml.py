"""``clouds.yaml`` for clients of the embedded cloud (openstack CLI, openstacksdk).

``tessera`` and ``tessera-admin`` use noauth2 tokens directly; ``tessera-password``
logs in through the built-in identity endpoint like a real Keystone client.
"""

from __future__ import annotations

from pathlib import Path

_ENDPOINTS = """\
    compute_endpoint_override: {base}/v2.1
    image_endpoint_override: {base}/image
    identity_endpoint_override: {base}/identity/v3
    network_endpoint_override: {base}/network
"""

_TOKEN_CLOUD = """\
  {name}:
    auth_type: admin_token
    auth:
      token: "{token}"
      endpoint: {base}/v2.1
"""

_PASSWORD_CLOUD = """\
  tessera-password:
    auth_type: password
    auth:
      auth_url: {base}/identity/v3
      username: demo
      password: demo
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
"""


def render(base: str) -> str:
    """The file's text for an API at ``base`` (``http://host:port``)."""
    clouds = [
        _TOKEN_CLOUD.format(name="tessera", token="demo:demo", base=base)
        + _ENDPOINTS.format(base=base),
        _TOKEN_CLOUD.format(name="tessera-admin", token="admin:admin", base=base)
        + _ENDPOINTS.format(base=base),
        _PASSWORD_CLOUD.format(base=base),
    ]
    return "clouds:\n" + "".join(clouds)


def write(path: Path, host: str, port: int) -> Path:
    """Write the file and return its path."""
    path.write_text(render(f"http://{host}:{port}"))
    return path
