"""Matches premium riders with the best nearby driver."""
