"""The API database: where everything lives, and what is not yet anywhere."""
