"""Ties sources and metrics together for a config. Returns result objects; never prints."""
