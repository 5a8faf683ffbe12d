"""Built-in network service: networks, subnets, instance ports and their host bindings."""
