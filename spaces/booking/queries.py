"""Select builders for bookings: composable, SQL stays here, not in views."""

from datetime import datetime

from sqlalchemy import Select, func, select

from spaces.models import Booking

UPCOMING_LIMIT = 1000


def upcoming_bookings(organisation_ids: list[int], now: datetime) -> Select:
    """Bookings of these organisations that have not ended at `now`, by start (at most UPCOMING_LIMIT)."""
    return (
        select(Booking)
        .where(Booking.organisation_id.in_(organisation_ids), func.upper(Booking.during) >= now)
        .order_by(Booking.during)
        .limit(UPCOMING_LIMIT)
    )
