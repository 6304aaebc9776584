"""Timestamps and ids are made in Python, never by the database (see DESIGN.md, the project store)."""

import uuid
from datetime import UTC, datetime


def utc_now() -> str:
    """ISO 8601 UTC timestamp with microseconds, e.g. ``2026-11-26T14:48:58.123456Z``.

    Fixed width, so string order is time order.
    """
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_uuid() -> str:
    return str(uuid.uuid4())
