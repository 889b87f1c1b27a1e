"""The bookings' figures for /metrics (spaces/ops/metrics.py; the outbox's come from spaces.outbox.overview)."""

from __future__ import annotations

from sqlalchemy import func, select

from spaces.db import db
from spaces.models import Booking


def bookings_per_status() -> list[tuple[str, int]]:
    """(status, count) for every status that has bookings."""
    rows = db.session.execute(select(Booking.status, func.count()).group_by(Booking.status)
                              .order_by(Booking.status)).all()
    return [(str(status), int(count)) for status, count in rows]
