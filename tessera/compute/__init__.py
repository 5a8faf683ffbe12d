"""Compute: the compute service (manager), its RPC API and the API-side compute logic."""
