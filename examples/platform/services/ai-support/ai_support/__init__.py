"""Answers rider and driver questions."""
