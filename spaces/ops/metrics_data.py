"""The database's figures for /metrics (spaces/ops/metrics.py): two small statements per scrape."""

from __future__ import annotations

from sqlalchemy import func, select

from spaces import outbox as _outbox
from spaces.clock import now_utc
from spaces.db import db
from spaces.models import Booking


def bookings_per_status() -> list[tuple[str, int]]:
    """(status, count) for every status that has bookings."""
    rows = db.session.execute(select(Booking.status, func.count()).group_by(Booking.status)
                              .order_by(Booking.status)).all()
    return [(str(status), int(count)) for status, count in rows]


def outbox() -> _outbox.Overview:
    return _outbox.overview()


def oldest_waiting_seconds(overview: _outbox.Overview) -> float:
    oldest = overview.oldest_waiting
    return max(0.0, (now_utc() - oldest).total_seconds()) if oldest else 0.0
