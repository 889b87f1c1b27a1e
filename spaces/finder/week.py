"""A space's week: its free time by the booking rules (spaces.core.bookability) and its publicly
visible busy time, as the week view, the availability API and the popup's next free slot show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spaces.clock import now_utc
from spaces.core.availability import Interval
from spaces.core.bookability import Occupancy, SpaceTerms, bookable_span, free_time
from spaces.models import SLOT_HOLDING, Booking
from spaces.terms import during_range, occupancy_for, terms_for

MAX_WINDOW = timedelta(days=92)
MIN_FREE_SLOT = timedelta(hours=1)



@dataclass(frozen=True)
class Busy:
    """A busy interval as the public may see it: a title only for public events and closures."""

    interval: Interval
    title: str | None  # None: "belegt" (a private booking); a closure shows its reason (e.g. "Sommerferien")
    kind: str  # "booking" or "closure"


@dataclass(frozen=True)
class SpaceCalendar:
    window: Interval
    free: list[Interval]
    busy: list[Busy]
    terms: SpaceTerms
    now: datetime

    def next_free(self, at_least: timedelta = MIN_FREE_SLOT) -> Interval | None:
        """The first free interval of at least `at_least`."""
        return next((i for i in self.free if i.duration >= at_least), None)

    @property
    def bookable(self) -> bool:
        """Whether anyone could book this space now or later (mode, period and advance window allow it)."""
        return self.terms.bookable and bookable_span(self.terms, self.now) is not None


def space_calendar(session: Session, space_id: int, window: Interval, now: datetime | None = None) -> SpaceCalendar:
    """Free time (bookability.free_time) and publicly visible busy intervals of one space inside `window`."""
    if window.duration > MAX_WINDOW:
        raise ValueError("window too long")
    now = now or now_utc()
    terms = terms_for(session, [space_id])[space_id]
    bookings = session.execute(
        select(func.lower(Booking.during), func.upper(Booking.during), Booking.purpose, Booking.is_public,
               Booking.status)
        .where(Booking.space_id == space_id, Booking.status.in_([s.value for s in SLOT_HOLDING]),
               Booking.during.op("&&")(during_range(window)))
        .order_by(Booking.during)).all()
    occupancy = occupancy_for(session, [space_id], window)[space_id]
    occupancy = Occupancy(occupancy.closures, tuple(Interval(lo, hi) for lo, hi, *_ in bookings))
    busy = [Busy(c.interval, c.reason or None, "closure") for c in occupancy.closures]
    busy += [
        Busy(Interval(lo, hi), (purpose or "Veranstaltung") if public and status == "confirmed" else None, "booking")
        for lo, hi, purpose, public, status in bookings
    ]
    busy.sort(key=lambda b: b.interval.start)
    return SpaceCalendar(window, free_time(terms, occupancy, window, now), busy, terms, now)
