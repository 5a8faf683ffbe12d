"""Entry points of Tessera's commands."""
