"""The booking rules' inputs from the database: each space's terms and what occupies it.

spaces.core.bookability states the rules; these two functions load what they read, in a bounded
number of queries however many spaces are asked about (search results, proposals, the gap report).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import time

from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.orm import Session

from spaces.core.availability import Interval, WeeklyHours
from spaces.core.bookability import Closing, Occupancy, SpaceTerms
from spaces.models import SLOT_HOLDING, Booking, Closure, OpeningHours, Site, Space, space_access


def during_range(window: Interval):
    """SQL: the window as a tstzrange [start, end), to compare with a column of time ranges."""
    return func.tstzrange(window.start, window.end, literal("[)"))


def terms_for(session: Session, space_ids: Iterable[int]) -> dict[int, SpaceTerms]:
    """The rules' view of each space (settings, weekly hours, provider, listed groups): one query."""
    ids = list(dict.fromkeys(space_ids))
    if not ids:
        return {}
    oh = OpeningHours
    hours = (select(func.json_agg(func.json_build_array(oh.weekday, oh.opens, oh.closes)))
             .where(oh.space_id == Space.id).scalar_subquery())
    allowed = func.array(select(space_access.c.organisation_id).where(space_access.c.space_id == Space.id)
                         .scalar_subquery())
    rows = session.execute(
        select(Space.id, Space.capacity, Space.booking_mode, Space.bookable_by, Site.organisation_id,
               Space.available_from, Space.available_until, Space.max_days_in_advance,
               hours.label("hours"), allowed.label("allowed"))
        .join(Site, Space.site_id == Site.id).where(Space.id.in_(ids))).all()
    return {
        r.id: SpaceTerms(capacity=r.capacity,
                         hours=tuple(sorted((WeeklyHours(d, time.fromisoformat(o), time.fromisoformat(c))
                                             for d, o, c in r.hours or ()),
                                            key=lambda h: (h.weekday, h.opens, h.closes))),
                         booking_mode=r.booking_mode, bookable_by=r.bookable_by, owner_id=r.organisation_id,
                         allowed=frozenset(r.allowed or ()), available_from=r.available_from,
                         available_until=r.available_until, max_days_in_advance=r.max_days_in_advance)
        for r in rows
    }


def occupancy_for(session: Session, space_ids: Iterable[int], window: Interval, *,
                  except_booking: int | None = None) -> dict[int, Occupancy]:
    """Closures and slot-holding bookings overlapping `window`, per space: one query."""
    ids = list(dict.fromkeys(space_ids))
    closures, taken = defaultdict(list), defaultdict(list)
    if ids:
        during = during_range(window)
        closed = (select(Closure.space_id, func.lower(Closure.during).label("lower"),
                         func.upper(Closure.during).label("upper"), Closure.reason)
                  .where(Closure.space_id.in_(ids), Closure.during.op("&&")(during)))
        booked = (select(Booking.space_id, func.lower(Booking.during), func.upper(Booking.during),
                         literal(None, String).label("reason"))
                  .where(Booking.space_id.in_(ids), Booking.status.in_([s.value for s in SLOT_HOLDING]),
                         Booking.during.op("&&")(during)))
        if except_booking is not None:
            booked = booked.where(Booking.id != except_booking)
        for space_id, lower, upper, reason in session.execute(union_all(closed, booked)):
            # The database's CHECKs guarantee bounded, non-empty ranges: no need to check each again.
            if reason is None:  # a booking
                taken[space_id].append(Interval.trusted(lower, upper))
            else:
                closures[space_id].append(Closing(Interval.trusted(lower, upper), reason))
    return {i: Occupancy(tuple(closures[i]), tuple(taken[i])) for i in ids}
