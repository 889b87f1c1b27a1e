"""When a space is open and bookable for a slot, and for whom: the one set of rules every path asks.

Pure module: standard library and :mod:`spaces.core.availability` only; no Flask, no database. The
search, the week view, the availability API, the next free slot, proposals, allocation rounds,
the gap report and every booking path ask these functions (the search's SQL states the same
rule for speed, and ``tests/test_one_truth.py`` proves the two agree).

The rules, in the words of the README
-------------------------------------
A slot ``[start, end)`` of a space can be booked by a group when

1. **Booking mode**: the space is bookable ("sofort" or "auf Anfrage"), not "nicht buchbar".
2. **Which groups**: the space takes every registered group, or only the provider and the
   groups listed by its managers.
3. **Who acts**: the person is a member of the group, or a QM admin acting for it.
4. **Size**: at least 1 and at most ``capacity`` people (and never more than MAX_ATTENDEES).
5. **Time**: the slot lies wholly inside the space's *free time*, which is

   a. its weekly opening hours, in Berlin wall-clock time; openings that touch (Tuesday 10-14
      and 14-18) or run past midnight (Friday 20-02) form one opening;
   b. within its period: from local midnight of ``available_from`` to local midnight after
      ``available_until`` (temporary and planned spaces);
   c. within the advance window: ``max_days_in_advance`` counts **calendar days** in Berlin;
      with 30, on 1 December a slot may end at the latest at midnight after 31 December;
   d. not begun: the slot starts at or after now; nothing that has begun is offered;
   e. minus closures;
   f. minus bookings that hold their slot (requested or confirmed).

6. **One request**: the slots of one request do not overlap each other.

:func:`free_time` gives 5. as intervals, :func:`slot_problems` the reasons a slot fails 5.,
:func:`request_problems` the reasons 1., 2. and 4. fail, :func:`may_act_for` rule 3., and
:func:`check` all of them for the slots of one request. By construction, and checked by a
property test, a slot has no time problem exactly when it lies inside one interval of
:func:`free_time` for any window containing it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from spaces.core.availability import (
    BERLIN,
    Interval,
    WeeklyHours,
    intersect,
    merge,
    opening_intervals,
    subtract,
    wall_time_to_utc,
)
from spaces.core.phrases import phrase

__all__ = [
    "BOOKABLE_MODES",
    "MAX_ATTENDEES",
    "Closing",
    "Occupancy",
    "Problem",
    "SpaceTerms",
    "bookable_span",
    "check",
    "free_time",
    "horizon",
    "local_days",
    "may_act_for",
    "request_problems",
    "slot_problems",
]

UTC = UTC
MAX_ATTENDEES = 10_000
INSTANT, ON_REQUEST, NOT_BOOKABLE = "instant", "on_request", "not_bookable"
BOOKABLE_MODES = (INSTANT, ON_REQUEST)
EVERYONE, LISTED = "everyone", "listed"

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
_EPSILON = timedelta(microseconds=1)

# Problem codes: stable, for clients; the message is for people (German).
NOT_BOOKABLE_CODE = "not_bookable"
GROUP_NOT_ALLOWED = "group_not_allowed"
ATTENDEES = "attendees"
OVER_CAPACITY = "over_capacity"
PAST = "past"
BEGUN = "begun"
TOO_FAR_AHEAD = "too_far_ahead"
BEFORE_PERIOD = "before_period"
AFTER_PERIOD = "after_period"
OUTSIDE_HOURS = "outside_hours"
CLOSED = "closed"
TAKEN = "taken"
OVERLAPS_REQUEST = "overlaps_request"

#: The codes that say the time is not free (rule 5); the others are about the group or request.
TIME_CODES = frozenset({PAST, BEGUN, TOO_FAR_AHEAD, BEFORE_PERIOD, AFTER_PERIOD, OUTSIDE_HOURS, CLOSED, TAKEN})
#: Every code a slot's problem may have (rule 3, who acts, is refused as a whole, not per slot).
ALL_CODES = TIME_CODES | {NOT_BOOKABLE_CODE, GROUP_NOT_ALLOWED, ATTENDEES, OVER_CAPACITY, OVERLAPS_REQUEST}


@dataclass(frozen=True)
class Problem:
    """Why a slot cannot be booked: a stable `code` and a German `message`."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class SpaceTerms:
    """What the space's managers decided and the rules read (no bookings, no closures)."""

    capacity: int
    hours: tuple[WeeklyHours, ...] = ()
    booking_mode: str = INSTANT
    bookable_by: str = EVERYONE
    owner_id: Hashable | None = None  # the providing organisation
    allowed: frozenset[Hashable] = frozenset()  # organisations listed as allowed to book (bookable_by == LISTED)
    available_from: date | None = None
    available_until: date | None = None
    max_days_in_advance: int | None = None

    @property
    def bookable(self) -> bool:
        """Rule 1: the booking mode lets anyone book at all."""
        return self.booking_mode in BOOKABLE_MODES


@dataclass(frozen=True)
class Closing:
    """A closure: the interval and the reason shown to people (e.g. "Sommerferien")."""

    interval: Interval
    reason: str = ""


@dataclass(frozen=True)
class Occupancy:
    """What already holds time in a space: closures and slot-holding bookings (around the asked window)."""

    closures: tuple[Closing, ...] = ()
    taken: tuple[Interval, ...] = ()


def local_days(interval: Interval) -> tuple[date, date]:
    """The first and last Berlin calendar date an interval touches (its end is exclusive)."""
    return interval.start.astimezone(BERLIN).date(), (interval.end - _EPSILON).astimezone(BERLIN).date()


def _local_midnight(day: date) -> datetime:
    return wall_time_to_utc(day, _MIDNIGHT, BERLIN)


def horizon(terms: SpaceTerms, now: datetime) -> datetime | None:
    """Rule 5c: the instant a slot must end by (local midnight after today + max_days_in_advance), or None."""
    if not terms.max_days_in_advance:
        return None
    today = now.astimezone(BERLIN).date()
    return _local_midnight(today + timedelta(days=terms.max_days_in_advance + 1))


def bookable_span(terms: SpaceTerms, now: datetime) -> tuple[datetime, datetime | None] | None:
    """Rules 5b-5d as one span [start, end) (end None: open-ended); None when nothing is left of it."""
    start = now.astimezone(UTC)
    if terms.available_from is not None:
        start = max(start, _local_midnight(terms.available_from))
    end = None
    if terms.available_until is not None:
        end = _local_midnight(terms.available_until + _ONE_DAY)
    limit = horizon(terms, now)
    if limit is not None:
        end = limit if end is None else min(end, limit)
    if end is not None and end <= start:
        return None
    return start, end


@lru_cache(maxsize=1024)
def _opening(hours: tuple[WeeklyHours, ...], window: Interval) -> list[Interval]:
    # Many spaces share weekly hours (9-21 on weekdays) and are asked about the same window:
    # expand each schedule once. Callers never change the list they get.
    return opening_intervals(hours, window)


def _closure_intervals(occupancy: Occupancy) -> list[Interval]:
    return [c.interval for c in occupancy.closures]


def free_time(terms: SpaceTerms, occupancy: Occupancy, window: Interval, now: datetime) -> list[Interval]:
    """Rule 5 as intervals: when the space is free to book inside `window`, in UTC, sorted and merged.

    `occupancy` must hold every closure and slot-holding booking that overlaps `window`.
    """
    span = bookable_span(terms, now)
    if span is None:
        return []
    start = max(window.start.astimezone(UTC), span[0])
    end = window.end.astimezone(UTC) if span[1] is None else min(window.end.astimezone(UTC), span[1])
    if end <= start:
        return []
    opening = _opening(tuple(terms.hours), Interval(start, end))
    return subtract(opening, [*_closure_intervals(occupancy), *occupancy.taken])


def usable_time(terms: SpaceTerms, occupancy: Occupancy, window: Interval) -> list[Interval]:
    """Rules 5a, 5e and 5f only: open, not closed and not booked inside `window`, whoever asks and when.

    The gap report counts this as a space's supply (its period is applied per quarter there, and
    the advance window limits booking, not supply); nothing that books may use it.
    """
    opening = _opening(tuple(terms.hours), window)
    return subtract(opening, [*_closure_intervals(occupancy), *occupancy.taken])


#: The evening hours in which neighbours actually meet; the gap report counts free public time in them.
EVENING = (time(17), time(22))


def evenings(window: Interval) -> list[Interval]:
    """Every evening (EVENING, Berlin wall clock) of the local days `window` touches, clipped to it."""
    first, last = local_days(window)
    out, day = [], first
    while day <= last:
        start, end = wall_time_to_utc(day, EVENING[0], BERLIN), wall_time_to_utc(day, EVENING[1], BERLIN)
        start, end = max(start, window.start.astimezone(UTC)), min(end, window.end.astimezone(UTC))
        if start < end:
            out.append(Interval(start, end))
        day += _ONE_DAY
    return out


@lru_cache(maxsize=1024)
def _open_evenings(hours: tuple[WeeklyHours, ...], window: Interval) -> tuple[tuple[float, float], ...]:
    # As POSIX seconds: the gap report asks this for thousands of spaces, and plain numbers are
    # about ten times faster than Interval objects (the result is the same, see the tests).
    return tuple((i.start.timestamp(), i.end.timestamp()) for i in intersect(_opening(hours, window), evenings(window)))


def free_evening_hours(terms: SpaceTerms, occupancy: Occupancy, window: Interval) -> float:
    """Hours of EVENING in `window` the space is open, not closed and not booked (rules 5a, 5e, 5f):
    the length of ``subtract(intersect(opening, evenings), closures + bookings)``."""
    spans = _open_evenings(tuple(terms.hours), window)
    free = sum(end - start for start, end in spans)
    blocked = sorted((i.start.timestamp(), i.end.timestamp())
                     for i in (*_closure_intervals(occupancy), *occupancy.taken))
    merged: list[list[float]] = []
    for start, end in blocked:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    i = j = 0
    while i < len(spans) and j < len(merged):  # subtract the overlap of two sorted, disjoint lists
        overlap = min(spans[i][1], merged[j][1]) - max(spans[i][0], merged[j][0])
        if overlap > 0:
            free -= overlap
        if spans[i][1] <= merged[j][1]:
            i += 1
        else:
            j += 1
    return free / 3600


def _de(day: date) -> str:
    return day.strftime("%d.%m.%Y")


class _Timeline:
    """Rule 5 for many slots of one space: the pieces computed once, then a binary search per slot."""

    def __init__(self, terms: SpaceTerms, occupancy: Occupancy, slots: list[Interval], now: datetime):
        self.terms, self.now = terms, now.astimezone(UTC)
        self.horizon = horizon(terms, now)
        self.period_start = _local_midnight(terms.available_from) if terms.available_from else None
        self.period_end = _local_midnight(terms.available_until + _ONE_DAY) if terms.available_until else None
        if slots:
            span = Interval(min(s.start for s in slots), max(s.end for s in slots))
            self.opening = opening_intervals(terms.hours, span)  # merged: touching and past midnight join
        else:
            self.opening = []
        self.opening_ends = [o.end for o in self.opening]
        self.closures = sorted(occupancy.closures, key=lambda c: c.interval.start.astimezone(UTC))
        # Merged, the bookings are disjoint and sorted by start and by end alike: one binary search
        # per slot finds the only candidate it can collide with.
        self.taken = merge(occupancy.taken)
        self.taken_ends = [t.end for t in self.taken]

    def problems(self, slot: Interval) -> list[Problem]:
        terms, out = self.terms, []
        slot = slot.to_utc()
        if slot.end <= self.now:
            out.append(Problem(PAST, phrase("Dieser Termin liegt in der Vergangenheit.")))
        elif slot.start < self.now:
            out.append(Problem(BEGUN, phrase("Dieser Termin hat schon begonnen.")))
        if self.horizon is not None and slot.end > self.horizon:
            last = (self.horizon - _ONE_DAY).astimezone(BERLIN).date()
            out.append(Problem(TOO_FAR_AHEAD, phrase(
                "Buchbar höchstens %(days)s Tage im Voraus (bis einschließlich %(last)s).",
                days=terms.max_days_in_advance, last=_de(last))))
        if self.period_start is not None and slot.start < self.period_start:
            assert terms.available_from is not None  # period_start is set exactly when it is
            out.append(Problem(BEFORE_PERIOD, phrase("Den Raum gibt es erst ab %(day)s.",
                                                     day=_de(terms.available_from))))
        if self.period_end is not None and slot.end > self.period_end:
            assert terms.available_until is not None  # period_end is set exactly when it is
            out.append(Problem(AFTER_PERIOD, phrase("Den Raum gibt es nur bis %(day)s.",
                                                    day=_de(terms.available_until))))
        k = bisect_right(self.opening_ends, slot.start)  # the first opening that ends after the start
        if not (k < len(self.opening) and self.opening[k].start <= slot.start and slot.end <= self.opening[k].end):
            out.append(Problem(OUTSIDE_HOURS, phrase("Außerhalb der Öffnungszeiten.")))
        for closure in self.closures:
            if closure.interval.overlaps(slot):
                out.append(Problem(CLOSED, phrase("Geschlossen: %(reason)s.", reason=closure.reason) if closure.reason
                                   else phrase("Geschlossen.")))
                break
        k = bisect_right(self.taken_ends, slot.start)  # the first booking that ends after the start
        if k < len(self.taken) and self.taken[k].start < slot.end:
            out.append(Problem(TAKEN, phrase("Zu dieser Zeit ist der Raum schon belegt.")))
        return out


def slot_problems(terms: SpaceTerms, occupancy: Occupancy, slot: Interval, now: datetime) -> list[Problem]:
    """Why rule 5 refuses `slot` (empty: the slot lies inside the space's free time)."""
    return _Timeline(terms, occupancy, [slot], now).problems(slot)


def group_may_book(terms: SpaceTerms, organisation_id: Hashable | None) -> bool:
    """Rule 2: whether the group may book this space at all."""
    if terms.bookable_by != LISTED:
        return True
    return organisation_id is not None and (organisation_id == terms.owner_id or organisation_id in terms.allowed)


def request_problems(terms: SpaceTerms, *, organisation_id: Hashable | None, attendees: int,
                     organisation_name: str = "", deciding: bool = False) -> list[Problem]:
    """Why rules 1, 2 and 4 refuse a request of this group with this many people.

    `deciding`: a manager accepting a request; mode and who may book are the manager's call then.
    """
    out = []
    if not deciding and not terms.bookable:
        out.append(Problem(NOT_BOOKABLE_CODE, phrase("Dieser Ort ist nicht buchbar.")))
    if not deciding and not group_may_book(terms, organisation_id):
        who = organisation_name or phrase("Diese Gruppe")
        out.append(Problem(GROUP_NOT_ALLOWED, phrase(
            "%(who)s darf diesen Raum nicht buchen (nur freigegebene Gruppen).", who=who)))
    if attendees < 1:
        out.append(Problem(ATTENDEES, phrase("Bitte die Zahl der Teilnehmenden angeben (mindestens 1).")))
    elif attendees > MAX_ATTENDEES:
        out.append(Problem(ATTENDEES, phrase("Höchstens %(n)s Teilnehmende.",
                                             n=f"{MAX_ATTENDEES:,}".replace(",", "."))))
    elif attendees > terms.capacity:
        out.append(Problem(OVER_CAPACITY, phrase("Der Raum fasst %(capacity)s Personen, angefragt sind %(asked)s.",
                                              capacity=terms.capacity, asked=attendees)))
    return out


def may_act_for(*, is_member: bool, is_qm_admin: bool, is_active: bool = True) -> bool:
    """Rule 3: a person books for a group they belong to; a QM admin for any group."""
    return is_active and (is_member or is_qm_admin)


@dataclass
class SlotVerdict:
    """One slot of a request and what stands against it (empty: bookable)."""

    interval: Interval
    reasons: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def problems(self) -> list[str]:
        """The reasons as German sentences."""
        return [p.message for p in self.reasons]

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.reasons]

    @property
    def taken(self) -> bool:
        return any(p.code == TAKEN for p in self.reasons)


def check(terms: SpaceTerms, occupancy: Occupancy, slots: Iterable[Interval], *, now: datetime,
          organisation_id: Hashable | None, attendees: int, organisation_name: str = "",
          deciding: bool = False) -> list[SlotVerdict]:
    """Every rule (but who acts, rule 3) for every slot of one request, in the order given.

    `occupancy` must hold the closures and slot-holding bookings around the slots (without the
    request being decided, when `deciding`).
    """
    slots = list(slots)
    verdicts = [SlotVerdict(s) for s in slots]
    if not slots:
        return verdicts
    general = request_problems(terms, organisation_id=organisation_id, attendees=attendees,
                               organisation_name=organisation_name, deciding=deciding)
    timeline = _Timeline(terms, occupancy, slots, now)
    for verdict in verdicts:
        verdict.reasons.extend(general)
        verdict.reasons.extend(timeline.problems(verdict.interval))
    ordered = sorted(verdicts, key=lambda v: (v.interval.start.astimezone(UTC), v.interval.end.astimezone(UTC)))
    reach = None  # the latest end among the slots before
    for verdict in ordered:
        start, end = verdict.interval.start.astimezone(UTC), verdict.interval.end.astimezone(UTC)
        if reach is not None and start < reach:
            verdict.reasons.append(Problem(OVERLAPS_REQUEST,
                                           "Überschneidet sich mit einem anderen Termin dieser Anfrage."))
        reach = end if reach is None else max(reach, end)
    return verdicts
