"""What the route table's rows do around their calls: bring the resource they act on into
the state the call needs (a *prepare* step, run before each caller's request, returning
path parameters to use) and put back what the call took (a *cleanup* step, run after it).

Bodies that must differ per call (names of things created) are made here too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from falcon import testing

from tests.policies.route_world import BOOT, COMPUTE_HOST, Caller, World

Prepare = Callable[[World], dict[str, str]]
Cleanup = Callable[[World, Mapping[str, str], testing.Result], None]
Params = Mapping[str, str]

# --------------------------------------------------------------------------- servers

BOOT_BODY = {"server": {**BOOT, "name": "policy-boot"}}


def spare_server(world: World) -> dict[str, str]:
    """A throwaway server to destroy."""
    return {"server_id": world.spare()}


def unless_gone(world: World, params: Params, result: testing.Result) -> None:
    """Keep a throwaway server the call did not destroy for the next call."""
    if result.status_code >= 300:
        world.give_back(params["server_id"])


def delete_created(world: World, params: Params, result: testing.Result) -> None:
    if result.status_code == 202:
        world.delete_server(result.json["server"]["id"])


def power_active(world: World) -> dict[str, str]:
    world.power_state("ACTIVE")
    return {"server_id": world.power}


def power_stopped(world: World) -> dict[str, str]:
    world.power_state("SHUTOFF")
    return {"server_id": world.power}


def power_idle(world: World) -> dict[str, str]:
    world.settle(world.power)
    return {"server_id": world.power}


def settle(world: World, params: Params, result: testing.Result) -> None:
    """Wait for what the call started, so the next call (or teardown) finds it done."""
    world.settle(params["server_id"])


def locked_by(caller: Caller) -> Prepare:
    """The shared server, locked by ``caller`` (who locked it decides who may unlock)."""

    def lock(world: World) -> dict[str, str]:
        path = f"/servers/{world.params['server_id']}/action"
        world.expect(caller, "POST", path, {"lock": None})
        return {}

    return lock


def unlock(world: World, params: Params, result: testing.Result) -> None:
    world.admin("POST", f"/servers/{params['server_id']}/action", {"unlock": None})


def doomed_metadata(world: World) -> dict[str, str]:
    world.admin(
        "POST", f"/servers/{world.params['server_id']}/metadata", {"metadata": {"doomed": "1"}}
    )
    return {"key": "doomed"}


def tagged(tag: str) -> Prepare:
    """The shared server, with ``tag``."""

    def tag_server(world: World) -> dict[str, str]:
        world.admin("PUT", f"/servers/{world.params['server_id']}/tags/{tag}")
        return {"tag": tag}

    return tag_server


def retag(world: World, params: Params, result: testing.Result) -> None:
    world.admin("PUT", f"/servers/{params['server_id']}/tags", {"tags": ["policy"]})


# --------------------------------------------------------------------------- flavors


def table_flavor(world: World) -> dict[str, str]:
    return {"flavor_id": world.table_flavor}


def private_flavor(world: World) -> dict[str, str]:
    return {"flavor_id": world.private_flavor}


def new_flavor(world: World) -> dict[str, Any]:
    name = world.unique("policy-flavor")
    return {"flavor": {"name": name, "id": name, "ram": 512, "vcpus": 1, "disk": 1}}


def delete_flavor(world: World, params: Params, result: testing.Result) -> None:
    if result.status_code == 200:
        world.admin("DELETE", f"/flavors/{result.json['flavor']['id']}")


def throwaway_flavor(world: World) -> dict[str, str]:
    return {"flavor_id": world.flavor()}


def extra_spec(key: str) -> Prepare:
    """The table's flavor, with extra spec ``key``."""

    def set_spec(world: World) -> dict[str, str]:
        path = f"/flavors/{world.table_flavor}/os-extra_specs"
        world.admin("POST", path, {"extra_specs": {key: "1"}})
        return {"flavor_id": world.table_flavor, "key": key}

    return set_spec


def access_after(action: str) -> Prepare:
    """The private flavor after ``action`` on the member's project (on its list, or not)."""

    def set_access(world: World) -> dict[str, str]:
        path = f"/flavors/{world.private_flavor}/action"
        world.admin("POST", path, {action: {"tenant": "demo"}}, ok=(404, 409))
        return {"flavor_id": world.private_flavor}

    return set_access


# --------------------------------------------------------------------------- keypairs, groups


def new_keypair(world: World) -> dict[str, Any]:
    return {"keypair": {"name": world.unique("policy-key")}}


def delete_keypair(world: World, params: Params, result: testing.Result) -> None:
    if result.status_code == 201:
        created = result.json["keypair"]
        query = f"user_id={created['user_id']}"
        world.admin("DELETE", f"/os-keypairs/{created['name']}", query=query)


def throwaway_keypair(world: World) -> dict[str, str]:
    return {"name": world.keypair()}


def new_group(world: World) -> dict[str, Any]:
    return {"server_group": {"name": world.unique("policy-group"), "policy": "affinity"}}


def delete_group(world: World, params: Params, result: testing.Result) -> None:
    if result.status_code == 200:
        world.admin("DELETE", f"/os-server-groups/{result.json['server_group']['id']}")


def throwaway_group(world: World) -> dict[str, str]:
    return {"group_id": world.server_group()}


# --------------------------------------------------------------------------- admin APIs


def new_aggregate(world: World) -> dict[str, Any]:
    return {"aggregate": {"name": world.unique("policy-aggregate")}}


def delete_aggregate(world: World, params: Params, result: testing.Result) -> None:
    if result.status_code == 200:
        world.admin("DELETE", f"/os-aggregates/{result.json['aggregate']['id']}")


def throwaway_aggregate(world: World) -> dict[str, str]:
    return {"aggregate_id": world.aggregate()}


def host_after(action: str) -> Prepare:
    """The shared aggregate after ``action`` on the compute host (in it, or not)."""

    def set_host(world: World) -> dict[str, str]:
        path = f"/os-aggregates/{world.params['aggregate_id']}/action"
        world.admin("POST", path, {action: {"host": COMPUTE_HOST}}, ok=(404, 409))
        return {}

    return set_host


def throwaway_service(world: World) -> dict[str, str]:
    return {"service_id": world.service()}
