"""Databases and RabbitMQ virtual hosts of a multi-process deployment.

A deployment owns a set of names that all begin with one prefix, so several
deployments (parallel test runs, two developers) share one MariaDB/PostgreSQL
server and one broker without colliding. Creating is idempotent; dropping
tolerates what is already gone, so a half-created deployment can be cleaned up.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from kombu.connection import Connection

BackendName = Literal["mysql", "postgresql"]
BACKEND_NAMES: tuple[BackendName, ...] = ("mysql", "postgresql")

# Lower-case letters, digits and underscores only: safe unquoted in SQL, in
# vhost names and in URLs. 40 characters leave room for "_notifications" and
# still fit PostgreSQL's 63-character identifiers.
_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

# rabbitmqctl's exit code for "no such virtual host" (delete of a gone vhost).
_NO_SUCH_VHOST = 65


class ProvisionError(RuntimeError):
    """A database or virtual host could not be created, dropped or inspected."""


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is usable in database and vhost names, else raise ValueError."""
    if not _PREFIX.match(prefix):
        raise ValueError(
            f"prefix {prefix!r} must be 1-40 characters of a-z, 0-9 and _, starting with a letter"
        )
    return prefix


@dataclass(frozen=True)
class Servers:
    """Where the database server and the broker of a deployment are."""

    backend: BackendName = "mysql"
    """``mysql`` (MariaDB/MySQL through PyMySQL) or ``postgresql`` (psycopg 3)."""
    mysql: str = "mysql+pymysql://root@127.0.0.1:3306"
    """MariaDB/MySQL server URL without a database."""
    postgresql: str = "postgresql+psycopg://postgres@127.0.0.1:5432"
    """PostgreSQL server URL without a database."""
    rabbit: str = "rabbit://guest:guest@127.0.0.1:5672"
    """Broker URL without a virtual host."""
    rabbit_user: str = "guest"
    """The broker user given full permissions on each new virtual host."""
    rabbitmqctl: str = "rabbitmqctl"
    """The ``rabbitmqctl`` command (run on the broker's machine)."""

    def database_url(self, name: str) -> str:
        """SQLAlchemy URL of database ``name`` on this server."""
        if self.backend == "mysql":
            return f"{self.mysql}/{name}?charset=utf8mb4"
        return f"{self.postgresql}/{name}"

    def transport_url(self, vhost: str) -> str:
        """oslo.messaging URL of virtual host ``vhost``."""
        return f"{self.rabbit}/{vhost}"

    def _admin_url(self) -> str:
        return f"{self.mysql}/" if self.backend == "mysql" else f"{self.postgresql}/postgres"


# ------------------------------------------------------------------ databases


def _admin_engine(servers: Servers) -> sa.Engine:
    # AUTOCOMMIT: PostgreSQL refuses CREATE/DROP DATABASE inside a transaction.
    return sa.create_engine(servers._admin_url(), isolation_level="AUTOCOMMIT", pool_size=1)


def _run_admin(servers: Servers, statements: Iterable[str]) -> None:
    engine = _admin_engine(servers)
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    except sa.exc.DBAPIError as exc:
        raise ProvisionError(f"{servers.backend} server: {exc.orig or exc}") from exc
    finally:
        engine.dispose()


def _existing_postgresql(servers: Servers, names: list[str]) -> set[str]:
    engine = _admin_engine(servers)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname IN :names").bindparams(
                    sa.bindparam("names", expanding=True)
                ),
                {"names": names},
            )
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def create_databases(servers: Servers, names: list[str]) -> None:
    """Create the empty databases ``names`` that do not exist yet."""
    if servers.backend == "mysql":
        _run_admin(
            servers, [f"CREATE DATABASE IF NOT EXISTS `{n}` CHARACTER SET utf8mb4" for n in names]
        )
        return
    # PostgreSQL has no CREATE DATABASE IF NOT EXISTS.
    missing = [n for n in names if n not in _existing_postgresql(servers, names)]
    _run_admin(servers, [f'CREATE DATABASE "{n}"' for n in missing])


def drop_databases(servers: Servers, names: list[str]) -> None:
    """Drop the databases ``names`` that exist (closing their sessions on PostgreSQL)."""
    if servers.backend == "mysql":
        _run_admin(servers, [f"DROP DATABASE IF EXISTS `{n}`" for n in names])
    else:
        _run_admin(servers, [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names])


# ------------------------------------------------------------------ virtual hosts


def _rabbitmqctl(servers: Servers, *args: str) -> subprocess.CompletedProcess[str]:
    command = shutil.which(servers.rabbitmqctl)
    if command is None:
        raise ProvisionError(f"{servers.rabbitmqctl} not found: it creates the virtual hosts")
    return subprocess.run([command, *args], capture_output=True, text=True, timeout=60, check=False)


def _checked(servers: Servers, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = _rabbitmqctl(servers, *args)
    if done.returncode not in ok:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ProvisionError(
            f"rabbitmqctl {' '.join(args)} failed ({done.returncode}): "
            f"{detail[-1] if detail else 'no output'}"
        )
    return done.stdout


def _create_vhost(servers: Servers, name: str) -> None:
    _checked(servers, "add_vhost", name)  # Succeeds for an existing vhost too.
    _checked(servers, "set_permissions", "-p", name, servers.rabbit_user, ".*", ".*", ".*")


def _delete_vhost(servers: Servers, name: str) -> None:
    _checked(servers, "delete_vhost", name, ok=(0, _NO_SUCH_VHOST))


def _each(work: Callable[[Servers, str], None], servers: Servers, names: list[str]) -> None:
    # Every rabbitmqctl call boots an Erlang VM (~0.5 s): run them side by side.
    with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
        for future in [pool.submit(work, servers, n) for n in names]:
            future.result()


def create_vhosts(servers: Servers, names: list[str]) -> None:
    """Create the virtual hosts ``names`` and give the broker user full rights on them."""
    _each(_create_vhost, servers, names)


def delete_vhosts(servers: Servers, names: list[str]) -> None:
    """Delete the virtual hosts ``names`` that exist (their queues go with them)."""
    _each(_delete_vhost, servers, names)


def listening(servers: Servers, vhost: str, queues: Iterable[str]) -> bool:
    """Whether every queue in ``queues`` exists on ``vhost`` and has a consumer.

    A passive declare over AMQP answers in milliseconds, where ``rabbitmqctl
    list_queues`` boots an Erlang VM per call: polled during start-up, that
    took most of a core away from the services being waited for.
    """
    url = "amqp://" + servers.rabbit.split("://", 1)[1] + f"/{vhost}"
    conn = Connection(url, connect_timeout=5)  # type: ignore[no-untyped-call]
    try:
        with conn:
            return all(_consumers(conn, queue) > 0 for queue in queues)
    except (OSError, *conn.connection_errors) as exc:
        raise ProvisionError(f"broker at {servers.rabbit}, vhost {vhost}: {exc}") from exc


def _consumers(conn: Connection, queue: str) -> int:
    # A failed passive declare closes the channel, so each check gets its own.
    channel = conn.channel()  # type: ignore[no-untyped-call]
    try:
        return int(channel.queue_declare(queue=queue, passive=True).consumer_count)
    except conn.channel_errors:
        return 0  # No such queue (yet).
    finally:
        with contextlib.suppress(*conn.channel_errors, *conn.connection_errors):
            channel.close()
