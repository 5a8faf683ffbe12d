"""Running the real ``openstack`` CLI against a cloud's clouds.yaml."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

OPENSTACK = str(Path(sys.executable).parent / "openstack")


def osc(clouds: Path, *args: str, cloud: str = "tessera", check: bool = True) -> Any:
    """Run ``openstack --os-cloud <cloud> <args>``; the parsed output when ``-f`` is given."""
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}
    done = subprocess.run(
        [OPENSTACK, "--os-cloud", cloud, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert done.returncode == 0, done.stderr
    if "-f" in args and done.stdout.strip():
        return json.loads(done.stdout)
    return done
