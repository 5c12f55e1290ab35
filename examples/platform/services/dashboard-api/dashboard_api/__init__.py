"""Serves the operations dashboard: trip counts per city, cached."""
