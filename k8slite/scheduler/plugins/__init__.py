"""Scheduler plugins, one module each, named as upstream."""
