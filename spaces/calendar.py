"""A space's free and busy time in a window, from the database through the pure availability core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from .availability import BERLIN, Interval, WeeklyHours, free_intervals, wall_time_to_utc
from .models import SLOT_HOLDING, Booking, Closure, OpeningHours

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

    def next_free(self, at_least: timedelta = MIN_FREE_SLOT) -> Interval | None:
        """The first free interval of at least `at_least`."""
        return next((i for i in self.free if i.duration >= at_least), None)


def local_day_window(first: date, last: date) -> Interval:
    """The UTC interval from local midnight of `first` to local midnight after `last`."""
    return Interval(wall_time_to_utc(first, time(0), BERLIN), wall_time_to_utc(last + timedelta(days=1), time(0), BERLIN))


def space_calendar(session: Session, space_id: int, window: Interval) -> SpaceCalendar:
    """Free intervals and publicly visible busy intervals of one space inside `window` (three queries)."""
    if window.duration > MAX_WINDOW:
        raise ValueError("window too long")
    during = func.tstzrange(window.start, window.end, literal("[)"))
    hours = [
        WeeklyHours(h.weekday, h.opens, h.closes)
        for h in session.scalars(select(OpeningHours).where(OpeningHours.space_id == space_id))
    ]
    closures = session.scalars(
        select(Closure).where(Closure.space_id == space_id, Closure.during.op("&&")(during))
    ).all()
    bookings = session.scalars(
        select(Booking)
        .where(
            Booking.space_id == space_id,
            Booking.status.in_([s.value for s in SLOT_HOLDING]),
            Booking.during.op("&&")(during),
        )
        .order_by(Booking.during)
    ).all()
    closure_intervals = [Interval(c.during.lower, c.during.upper) for c in closures]
    booking_intervals = [Interval(b.during.lower, b.during.upper) for b in bookings]
    busy = [Busy(i, c.reason or None, "closure") for i, c in zip(closure_intervals, closures)]
    busy += [
        Busy(i, (b.purpose or "Veranstaltung") if b.is_public and b.status == "confirmed" else None, "booking")
        for i, b in zip(booking_intervals, bookings)
    ]
    busy.sort(key=lambda b: b.interval.start)
    return SpaceCalendar(window, free_intervals(hours, closure_intervals, booking_intervals, window), busy)


def local_iso(moment: datetime) -> str:
    """An instant as ISO 8601 in Berlin time to the minute, e.g. 2026-12-01T18:00+01:00."""
    return moment.astimezone(BERLIN).isoformat(timespec="minutes")


def split_by_local_day(interval: Interval) -> list[tuple[date, Interval]]:
    """The parts of an interval on each local calendar day it touches, for day-by-day display."""
    parts = []
    day = interval.start.astimezone(BERLIN).date()
    start = interval.start
    while start < interval.end:
        midnight = wall_time_to_utc(day + timedelta(days=1), time(0), BERLIN)
        end = min(midnight, interval.end)
        parts.append((day, Interval(start, end)))
        start, day = end, day + timedelta(days=1)
    return parts
