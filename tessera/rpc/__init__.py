"""Messaging for Tessera: oslo.messaging transports per cell and the ``inproc://`` driver.

``inproc`` (in :mod:`tessera.rpc.inproc`) is the embedded deployment's transport: an
in-process broker per virtual host, registered with oslo.messaging through its
``oslo.messaging.drivers`` entry point. :mod:`tessera.rpc.transports` prepares the
private ``ConfigOpts`` objects transports are built from.
"""
