"""Tessera: a compute control plane sharded into cells."""
