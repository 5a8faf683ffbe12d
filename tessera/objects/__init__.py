"""Typed records and their queries, one module per record.

Records are frozen dataclasses; every query is an explicit function taking an
open SQLAlchemy connection, so a reader sees each round trip where it happens.
"""
