"""Loading filters and weighers by built-in name or ``module:Class`` path."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from oslo_config import cfg

from tessera.scheduler.errors import SchedulerConfigError

T = TypeVar("T")
Factory = Callable[[cfg.ConfigOpts], T]
"""A filter or weigher class: built with the service's configuration."""


def _import(path: str, option: str) -> Any:
    module_name, _, attribute = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise SchedulerConfigError(f"{option}: cannot load {path!r}: {exc}") from exc


def resolve(name: str, builtins: Mapping[str, Factory[T]], option: str) -> Factory[T]:
    """The class called ``name`` among ``builtins``, or imported from ``module:Class``."""
    name = name.strip()
    if name in builtins:
        return builtins[name]
    if ":" in name:
        found: Factory[T] = _import(name, option)
        if not callable(found):
            raise SchedulerConfigError(f"{option}: {name!r} is not a class")
        return found
    known = ", ".join(sorted(builtins))
    raise SchedulerConfigError(f"{option}: unknown name {name!r} (built in: {known})")


def build_all(
    conf: cfg.ConfigOpts, names: Iterable[str], builtins: Mapping[str, Factory[T]], option: str
) -> list[T]:
    """Instantiate each named class with ``conf``, in order."""
    return [resolve(name, builtins, option)(conf) for name in names if name.strip()]
