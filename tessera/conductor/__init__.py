"""Conductors: the super conductor (boot and cross-cell orchestration) and cell conductors."""
