"""The cell (main) database schema, shared by cell0 and every cell."""
