"""Alembic environment of the API schema; driven by tessera.db.migration."""

from tessera.db.api.models import ApiBase
from tessera.db.migration import run_environment

run_environment(ApiBase.metadata)
