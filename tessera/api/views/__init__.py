"""How records are rendered in API responses, per microversion."""
