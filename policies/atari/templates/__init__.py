"""Starter policy programs, one self-contained file per game (read as source, not imported)."""
