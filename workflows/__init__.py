"""Temporal workflows: one per module."""
