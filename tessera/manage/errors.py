"""How a command ends early: a message for the operator and an exit code."""

from __future__ import annotations


class CommandError(Exception):
    """Stop the command, print ``message`` on stdout and exit with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
