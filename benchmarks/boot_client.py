"""REST side of ``benchmarks.boot``: POST servers, poll them, time everything.

Every timestamp is ``time.time()`` (wall clock), so it compares with the
``launched_at`` a compute writes (naive UTC, same machine).

Polling is deliberately light, because on two cores the poller competes with
the services: a single poller thread walks the pending servers round-robin
(oldest first), one ``GET /servers/{id}`` at a time, at most ``rate`` GETs per
second in total and at most one GET per server every ``min_interval`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests

DEMO_TOKEN = "demo:demo"
ADMIN_TOKEN = "admin:admin"
FINAL = ("ACTIVE", "ERROR")


@dataclass(eq=False)
class Boot:
    """One server's life as the benchmark saw it."""

    index: int
    """Order of the POST."""
    sent: float = 0.0
    """When the POST was sent."""
    scheduled: float | None = None
    """Open loop: when the POST was due (latency counts from here, so a late send counts)."""
    accepted: float | None = None
    """When the 202 came back."""
    server_id: str | None = None
    """The id from the 202."""
    post_error: str | None = None
    """Why the POST failed, if it did."""
    status: str = "BUILD"
    """Last status seen."""
    seen: float | None = None
    """When a GET first showed ACTIVE or ERROR."""
    host: str | None = None
    """``OS-EXT-SRV-ATTR:host`` once final."""
    launched: float | None = None
    """``launched_at`` as the compute wrote it (epoch seconds), when known."""
    polls: int = 0
    """GETs spent on this server."""
    last_poll: float = 0.0
    """When it was last polled."""
    prev_poll: float = 0.0
    """When it was polled before that (still not final then)."""
    done: threading.Event = field(default_factory=threading.Event)
    """Set once the server is final (or its POST failed)."""

    @property
    def post_latency(self) -> float | None:
        """Seconds from sending the POST to its 202."""
        if self.accepted is None:
            return None
        return self.accepted - (self.sent if self.scheduled is None else self.scheduled)

    @property
    def finished(self) -> float | None:
        """When it became final: ``launched_at`` if known, else when a GET saw it."""
        return self.launched if self.launched is not None else self.seen

    @property
    def to_active(self) -> float | None:
        """Seconds from the POST to ACTIVE (None unless ACTIVE)."""
        if self.status != "ACTIVE" or self.finished is None:
            return None
        return self.finished - self.sent


class ThreadCPU:
    """Sums the CPU seconds the benchmark's own threads spend (``time.thread_time``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds = 0.0

    @contextmanager
    def measure(self) -> Iterator[None]:
        """Count the CPU this thread uses inside the block."""
        start = time.thread_time()
        try:
            yield
        finally:
            spent = time.thread_time() - start
            with self._lock:
                self.seconds += spent


class RestClient:
    """The compute API over HTTP, one keep-alive session per thread."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxy or ~/.netrc lookups per request
            self._local.session = session
        return session

    def create(self, boot: Boot) -> None:
        """POST one m1.tiny server; fill in ``sent``, ``accepted``, ``server_id``."""
        body = {
            "server": {
                "name": f"bench-{boot.index}",
                "flavorRef": "1",
                "imageRef": "cirros",
                "networks": "none",
            }
        }
        boot.sent = time.time()
        try:
            resp = self._session().post(
                f"{self._base}/servers",
                json=body,
                headers={"X-Auth-Token": DEMO_TOKEN},
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            boot.post_error = type(exc).__name__
            return
        if resp.status_code != 202:
            boot.post_error = f"HTTP {resp.status_code}"
            return
        boot.accepted = time.time()
        boot.server_id = str(resp.json()["server"]["id"])

    def lift_quota(self, project_id: str) -> None:
        """As admin: no instance, core or RAM limit for ``project_id`` (bursts exceed defaults)."""
        resp = self._session().put(
            f"{self._base}/os-quota-sets/{project_id}",
            json={"quota_set": {"instances": -1, "cores": -1, "ram": -1}},
            headers={"X-Auth-Token": ADMIN_TOKEN},
            timeout=self._timeout,
        )
        resp.raise_for_status()

    def show(self, server_id: str) -> tuple[str, str | None]:
        """Status and host of a server (as admin, so the host is visible)."""
        resp = self._session().get(
            f"{self._base}/servers/{server_id}",
            headers={"X-Auth-Token": ADMIN_TOKEN},
            timeout=self._timeout,
        )
        if resp.status_code != 200:
            return f"HTTP {resp.status_code}", None
        server = resp.json()["server"]
        return str(server["status"]), server.get("OS-EXT-SRV-ATTR:host")


def poll_once(client: RestClient, boot: Boot) -> bool:
    """One GET; record the outcome; True once the server is final."""
    assert boot.server_id is not None
    boot.polls += 1
    boot.prev_poll, boot.last_poll = boot.last_poll, time.time()
    status, host = client.show(boot.server_id)
    if status not in FINAL:
        return False
    boot.seen, boot.status, boot.host = time.time(), status, host
    boot.done.set()
    return True


class Poller:
    """One thread polling pending servers round-robin under a total GET rate."""

    def __init__(
        self, client: RestClient, cpu: ThreadCPU, rate: float, min_interval: float = 0.02
    ) -> None:
        self._client = client
        self._cpu = cpu
        self._gap = 1.0 / rate
        self._min_interval = min_interval
        self._pending: list[Boot] = []
        self._cursor = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="bench-poller", daemon=True)
        self.gets = 0

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def add(self, boot: Boot) -> None:
        """Poll this server until it is final."""
        with self._cond:
            self._pending.append(boot)
            self._cond.notify()

    def close(self) -> None:
        """No more servers will be added; the thread ends when none is pending."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    def stop(self, timeout: float = 10.0) -> list[Boot]:
        """Stop now; return the servers still pending (stuck)."""
        self.close()
        with self._cond:
            stuck = list(self._pending)
            self._pending.clear()
            self._cond.notify()
        self._thread.join(timeout)
        return stuck

    def _next(self) -> Boot | None:
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            if not self._pending:
                return None
            self._cursor %= len(self._pending)
            boot = self._pending[self._cursor]
            self._cursor += 1
            return boot

    def _remove(self, boot: Boot) -> None:
        with self._cond:
            if boot in self._pending:
                index = self._pending.index(boot)
                self._pending.pop(index)
                if index < self._cursor:
                    self._cursor -= 1

    def _run(self) -> None:
        while (boot := self._next()) is not None:
            wait = boot.last_poll + self._min_interval - time.time()
            if wait > 0:
                time.sleep(wait)
            started = time.time()
            with self._cpu.measure():
                final = poll_once(self._client, boot)
            self.gets += 1
            if final:
                self._remove(boot)
            rest = self._gap - (time.time() - started)
            if rest > 0:
                time.sleep(rest)


def burst(
    client: RestClient, boots: list[Boot], concurrency: int, poller: Poller, cpu: ThreadCPU
) -> None:
    """POST every server from ``concurrency`` client threads as fast as they are accepted."""

    def post(boot: Boot) -> None:
        with cpu.measure():
            client.create(boot)
        if boot.server_id is None:
            boot.done.set()
        else:
            poller.add(boot)

    with ThreadPoolExecutor(concurrency, thread_name_prefix="bench-post") as pool:
        list(pool.map(post, boots))
    poller.close()


def open_loop(
    client: RestClient, boots: list[Boot], rate: float, poller: Poller, cpu: ThreadCPU
) -> None:
    """POST one server every ``1/rate`` s whatever the answers (the reference's shape).

    Each POST is due at a fixed instant; its latency counts from then, so a
    slow API cannot hide latency by delaying the next send.
    """
    start = time.time() + 0.1

    def post(boot: Boot) -> None:
        assert boot.scheduled is not None
        delay = boot.scheduled - time.time()
        if delay > 0:
            time.sleep(delay)
        with cpu.measure():
            client.create(boot)
        if boot.server_id is None:
            boot.done.set()
        else:
            poller.add(boot)

    for i, boot in enumerate(boots):
        boot.scheduled = start + i / rate
    # Enough threads that a send is never held back by earlier answers.
    with ThreadPoolExecutor(64, thread_name_prefix="bench-open") as pool:
        list(pool.map(post, boots))
    poller.close()


def wait_all(boots: list[Boot], idle_timeout: float, progress: Callable[[int], None]) -> None:
    """Wait until every server is final, or until none finished for ``idle_timeout`` s."""
    last_count, last_change = -1, time.time()
    while True:
        count = sum(b.done.is_set() for b in boots)
        if count != last_count:
            last_count, last_change = count, time.time()
            progress(count)
        if count == len(boots) or time.time() - last_change > idle_timeout:
            return
        time.sleep(0.5)


def one_at_a_time(
    client: RestClient, boots: list[Boot], interval: float, timeout: float, cpu: ThreadCPU
) -> None:
    """Closed loop: POST a server, poll it every ``interval`` s until final, then the next."""
    for boot in boots:
        with cpu.measure():
            client.create(boot)
        if boot.server_id is None:
            boot.done.set()
            continue
        deadline = time.time() + timeout
        while time.time() < deadline:
            with cpu.measure():
                if poll_once(client, boot):
                    break
            time.sleep(interval)
