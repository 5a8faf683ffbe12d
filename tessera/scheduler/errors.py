"""Errors the scheduler raises, importable by its RPC callers.

oslo.messaging rebuilds a remote exception on the caller's side only when the
exception's module is in the caller transport's ``allowed_remote_exmods``; a
caller of :class:`~tessera.scheduler.rpcapi.SchedulerAPI` must build its
transport with :data:`ALLOWED_REMOTE_EXMODS` (otherwise it gets an
``oslo_messaging.RemoteError`` whose ``exc_type`` is ``"NoValidHost"``).
"""

from __future__ import annotations

ALLOWED_REMOTE_EXMODS = [__name__]
"""What a scheduler client passes as ``allowed_remote_exmods`` to get typed errors back."""

NOT_ENOUGH_HOSTS = "There are not enough hosts available."


class NoValidHost(Exception):
    """No host can take (every instance of) the request; nothing stays claimed.

    Built from ``reason`` alone, so oslo.messaging can rebuild it from its args on
    the caller's side. ``message`` is the exact text faults record; ``str()`` of a
    rebuilt remote copy also carries the remote traceback, so read ``message``.
    """

    code = 500
    """The instance fault code (the reference records 500 for this error)."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)

    @property
    def reason(self) -> str:
        """Why: empty when placement offered no candidates at all."""
        return str(self.args[0]) if self.args else ""

    @property
    def message(self) -> str:
        """``No valid host was found. <reason>`` (note the space before an empty reason)."""
        return f"No valid host was found. {self.reason}"

    def __str__(self) -> str:
        return self.message


class SchedulerConfigError(Exception):
    """``enabled_filters`` or ``weight_classes`` names something that cannot be loaded."""
