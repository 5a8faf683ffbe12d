"""Scheduler: placement candidates, filters, weighers and claims over enabled cells."""
