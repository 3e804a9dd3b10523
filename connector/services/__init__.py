"""Use cases: plain functions over a Database and the configuration (cosmicpython style)."""
