"""The compute REST API v2.1: a Falcon WSGI app, one module per resource."""
