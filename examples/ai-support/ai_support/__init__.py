"""AI Support: answers rider and driver questions for the Tripo04OS platform."""

__version__ = "1.0.0"
