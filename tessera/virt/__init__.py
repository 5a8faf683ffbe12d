"""Virt drivers: how a compute host runs guests (a fake one for tests and demos)."""
