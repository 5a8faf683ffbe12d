"""URL helpers for cell mappings: template expansion and password masking."""
