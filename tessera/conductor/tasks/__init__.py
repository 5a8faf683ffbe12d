"""Conductor workflows, one module each, built from small steps."""
