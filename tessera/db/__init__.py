"""Databases: engines, the API and cell (main) schemas and their migrations."""
