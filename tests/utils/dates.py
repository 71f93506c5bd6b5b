"""Dates as the API writes them: ISO 8601 days (`2025-01-31`)."""

from datetime import date, timedelta


def days_after(iso: str, days: int) -> str:
    """The day `days` after the ISO day `iso` (before it for a negative `days`)."""
    return (date.fromisoformat(iso) + timedelta(days=days)).isoformat()
