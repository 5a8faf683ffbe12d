"""How a command ends early: a message for the operator and an exit code."""

from __future__ import annotations


class CommandError(Exception):
    """Stop the command with ``code``, printing ``message`` on stdout.

    Messages the reference prints are printed as they are on stdout; Tessera's
    own (``ConfigError``) go to stderr as one ``ERROR:`` line.
    """

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ConfigError(CommandError):
    """A setting is missing or malformed: ``ERROR: <message>`` on stderr, exit 1."""
