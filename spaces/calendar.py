"""A space's rules and calendar from the database, asked through spaces.bookability (the one truth).

:func:`terms_for` and :func:`occupancy_for` load what the rules read; :func:`space_calendar` is
the free and publicly visible busy time of one space that the week view, the availability API
and the popup's next free slot show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.orm import Session

from .availability import BERLIN, Interval, WeeklyHours, wall_time_to_utc
from .bookability import Closing, Occupancy, SpaceTerms, bookable_span, free_time
from .clock import now_utc
from .models import SLOT_HOLDING, Booking, Closure, OpeningHours, Site, Space, space_access

MAX_WINDOW = timedelta(days=92)
MIN_FREE_SLOT = timedelta(hours=1)


def _during(window: Interval):
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
        during = _during(window)
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


def local_day_window(first: date, last: date) -> Interval:
    """The UTC interval from local midnight of `first` to local midnight after `last`."""
    return Interval(wall_time_to_utc(first, time(0), BERLIN), wall_time_to_utc(last + timedelta(days=1), time(0), BERLIN))


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
               Booking.during.op("&&")(_during(window)))
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
