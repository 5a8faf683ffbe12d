"""Cell-wide bulk operations shared by tessera-manage and the services."""
