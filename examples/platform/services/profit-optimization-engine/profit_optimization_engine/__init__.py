"""Suggests the fare multiplier that maximises expected profit."""
