"""Alembic environment of the cell schema; driven by tessera.db.migration."""

from tessera.db.main.models import MainBase
from tessera.db.migration import run_environment

run_environment(MainBase.metadata)
