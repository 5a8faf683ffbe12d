"""Tests of tessera.rpc: the inproc:// driver and transports."""
