"""Options of the ``[database]`` (this cell) and ``[api_database]`` groups."""

from __future__ import annotations

from dataclasses import dataclass

from oslo_config import cfg

DATABASE = "database"
API_DATABASE = "api_database"


def _opts(connection_help: str) -> list[cfg.Opt]:
    return [
        cfg.StrOpt("connection", secret=True, help=connection_help),
        cfg.IntOpt(
            "max_retries",
            default=3,
            min=-1,
            help="How many times to retry the first connection to the database "
            "before giving up (-1 retries forever).",
        ),
        cfg.FloatOpt(
            "retry_interval",
            default=1.0,
            min=0,
            help="Seconds between attempts to open the first database connection.",
        ),
    ]


DATABASE_OPTS = _opts(
    "SQLAlchemy URL of this cell's database. Also the base against which "
    "template database URLs in cell mappings are expanded."
)
API_DATABASE_OPTS = _opts("SQLAlchemy URL of the API database.")


@dataclass(frozen=True)
class DatabaseSettings:
    """How to reach one database, read from a ``[database]``-like group."""

    connection: str | None
    """SQLAlchemy URL, or None when the group leaves it unset."""
    max_retries: int = 3
    """Attempts after the first failed connection; -1 means forever."""
    retry_interval: float = 1.0
    """Seconds to wait between connection attempts."""

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, group: str) -> DatabaseSettings:
        """Read the settings of ``group`` (``database`` or ``api_database``)."""
        section = conf[group]
        return cls(section.connection, section.max_retries, section.retry_interval)

    def with_url(self, url: str) -> DatabaseSettings:
        """The same retry policy for another database (a cell's)."""
        return DatabaseSettings(url, self.max_retries, self.retry_interval)
