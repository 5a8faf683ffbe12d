"""Deployments: the embedded all-in-one and the multi-process launcher."""
