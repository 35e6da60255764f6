"""Thin adapters that register the core with ModelScope and EasyCV."""
