"""Prometheus metrics of the migration: `python -m lib.cli metrics --port N`."""
