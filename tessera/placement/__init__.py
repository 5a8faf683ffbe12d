"""Placement for Tessera: the real openstack-placement, in-process or as its own process.

- :mod:`~tessera.placement.embedded` builds the placement WSGI app in-process;
- :mod:`~tessera.placement.process` runs it under gunicorn for deployments;
- :mod:`~tessera.placement.client` is the typed client the scheduler,
  conductor and computes use, over a WSGI or HTTP transport.
"""
