"""A space's week: its free time by the booking rules (spaces.core.bookability) and its publicly
visible busy time, as the week view, the availability API and the popup's next free slot show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from spaces.clock import now_utc
from spaces.core.availability import Interval
from spaces.core.bookability import Occupancy, SpaceTerms, bookable_span, free_time
from spaces.core.errors import NotFound
from spaces.db import db
from spaces.finder.queries import quartier_centres, search_spaces, spaces_with_place
from spaces.models import SLOT_HOLDING, Booking, Space
from spaces.terms import occupancy_for, terms_for
from spaces.times import local_day_window, split_by_local_day

MAX_WINDOW = timedelta(days=92)
MIN_FREE_SLOT = timedelta(hours=1)


def _during(window: Interval):
    return func.tstzrange(window.start, window.end, literal("[)"))


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




# ----------------------------------------------------------------------------- for the residents' pages


def space_row(space_id: int):
    """One space with its address, organisation and coordinates (NotFound when there is none)."""
    row = db.session.execute(spaces_with_place().where(Space.id == space_id)).first()
    if row is None:
        raise NotFound(f"Einen Raum mit der Nummer {space_id} gibt es nicht.")
    return row


def search_page(search, now: datetime, *, limit: int, offset: int) -> list:
    """One page of a search's results (rows of spaces_with_place)."""
    return db.session.execute(search_spaces(search, now=now, limit=limit, offset=offset)).all()


def quartier_names() -> list[str]:
    """The named places to search near."""
    return [name for name, *_ in db.session.execute(quartier_centres())]


def week_of(space_id: int, monday: date, now: datetime) -> tuple[dict, SpaceCalendar]:
    """A week of a space from `monday`, day by day: [(interval, "free" | "busy", title)] in time order."""
    days = [monday + timedelta(days=i) for i in range(7)]
    calendar = space_calendar(db.session, space_id, local_day_window(days[0], days[-1]), now)
    week = {d: [] for d in days}
    for interval in calendar.free:
        for day, part in split_by_local_day(interval):
            week[day].append((part, "free", None))
    for busy in calendar.busy:
        clipped = Interval(max(busy.interval.start, calendar.window.start), min(busy.interval.end, calendar.window.end))
        for day, part in split_by_local_day(clipped):
            week[day].append((part, "busy", busy.title))
    for entries in week.values():
        entries.sort(key=lambda e: (e[0].start, e[0].end))
    return week, calendar


def public_events(space_id: int, today: date, now: datetime, most: int = 10) -> list[Busy]:
    """The next public events of a space (in the coming 60 days), by title."""
    events = space_calendar(db.session, space_id, local_day_window(today, today + timedelta(days=60)), now)
    return [b for b in events.busy if b.kind == "booking" and b.title][:most]
