"""Proposals for a Raumbedarf: which spaces fit a need, on which weekly slot, and why.

Pure module: standard library and :mod:`spaces.core.availability` only, no Flask, no database.
The caller fetches spaces, opening hours, closures and bookings with a bounded number of
queries and passes plain values (:class:`NeedSpec`, :class:`SpaceFacts`).

How a proposal is found
-----------------------
1. **Hard filters** (a space failing one is never proposed): the booking rules of
   :mod:`spaces.core.bookability` for the need's group and size (bookable mode, groups the space
   takes, capacity >= group size); step-free / accessible WC if the need requires it; every
   piece of required ``equipment`` present; ``free_only`` -> ``cost_eur == 0`` (unknown cost
   counts as not free, as in the search); ``max_walk_m`` if given *and* the space's ``walk_m``
   is known.
2. **Slots**: for every weekday of the pattern, candidate starts every ``step_minutes`` from
   ``window_from`` while ``start + duration <= window_to`` (local wall clock, Europe/Berlin).
   The season's meetings on that weekday are the local dates ``first_day .. last_day`` with that
   weekday (calendar-day arithmetic, so 18:00 stays 18:00 local across DST changes); each is
   converted to UTC with :func:`~spaces.core.availability.wall_time_to_utc`.
3. **Free dates**: the free time of a space is computed once for the whole season by
   :func:`spaces.core.bookability.free_time`, the rule every booking path uses (opening hours, the
   space's period, its advance window, nothing that has begun at ``now``, minus closures and
   bookings). A meeting is free if it lies inside one free interval (binary search). Per
   (space, weekday) the start time with the most free dates wins, ties going to the earliest
   start. Proposals with no free date are dropped.

Score (0 .. 1, every component also appears in ``reasons``)
-----------------------------------------------------------
``score = 0.5 * dates + 0.2 * capacity + 0.2 * walking + 0.1 * extras`` where

* ``dates``    = free dates / wanted dates ("9 von 10 Terminen frei");
* ``capacity`` = 1 if capacity <= 2 x group size, falling linearly to 0 at 5 x group size
  ("Platz für 30 (Gruppe 12)");
* ``walking``  = 1 at 0 m, falling linearly to 0 at ``max_walk_m`` (1500 m if not given);
  0.5 if the distance is unknown (no place given) ("650 m zu Fuß" / "Entfernung unbekannt");
* ``extras``   = share of the nice-to-have equipment present; 1 if none is wished
  ("Beamer vorhanden", "Beamer fehlt").

Proposals are sorted by score (descending), then space id, weekday and start, and cut at ``limit``.
The ``score`` is rounded to 4 decimals so that equal proposals compare equal.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from spaces.core.availability import Interval, WeeklyHours, wall_time_to_utc
from spaces.core.bookability import Closing, Occupancy, SpaceTerms, free_time, request_problems
from spaces.core.phrases import phrase

__all__ = [
    "DEFAULT_WALK_LIMIT_M",
    "NeedSpec",
    "Proposal",
    "SpaceFacts",
    "TimePattern",
    "capacity_fit",
    "meeting_dates",
    "propose",
    "walking_fit",
]

_ONE_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)

#: Walking distance (m) at which the walking component reaches 0 when the need gives no maximum.
DEFAULT_WALK_LIMIT_M = 1500.0

W_DATES, W_CAPACITY, W_WALK, W_EXTRAS = 0.5, 0.2, 0.2, 0.1


@dataclass(frozen=True)
class TimePattern:
    """A weekly meeting: any of `weekdays` (0=Monday), inside [window_from, window_to] local, in the season."""

    weekdays: tuple[int, ...]
    window_from: time
    window_to: time
    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if not self.weekdays:
            raise ValueError("TimePattern.weekdays must not be empty")
        for wd in self.weekdays:
            if isinstance(wd, bool) or not isinstance(wd, int) or not 0 <= wd <= 6:
                raise ValueError(f"weekday must be an int from 0 (Monday) to 6 (Sunday), got {wd!r}")
        if not self.window_from < self.window_to:
            raise ValueError("TimePattern.window_from must be before window_to (same local day)")
        if self.last_day < self.first_day:
            raise ValueError("TimePattern.last_day must not be before first_day")


@dataclass(frozen=True)
class NeedSpec:
    group_size: int
    duration: timedelta
    pattern: TimePattern
    step_free: bool = False
    accessible_wc: bool = False
    equipment: frozenset[str] = frozenset()  # required
    free_only: bool = False
    max_walk_m: float | None = None
    nice_equipment: frozenset[str] = frozenset()  # nice to have, scored
    organisation_id: Hashable | None = None  # the group the need is for (who may book, rule 2)

    def __post_init__(self) -> None:
        if self.group_size < 1:
            raise ValueError("NeedSpec.group_size must be at least 1")
        if self.duration <= timedelta(0):
            raise ValueError("NeedSpec.duration must be positive")


@dataclass(frozen=True)
class SpaceFacts:
    id: Hashable
    name: str
    capacity: int
    step_free: bool
    accessible_wc: bool
    equipment: frozenset[str]
    cost_eur: float | None
    walk_m: float | None  # distance from the need's place; None = no place given / unknown
    hours: tuple[WeeklyHours, ...] = ()
    closures: tuple[Interval, ...] = ()
    busy: tuple[Interval, ...] = ()
    available_from: date | None = None
    available_until: date | None = None
    booking_mode: str = "instant"
    bookable_by: str = "everyone"
    owner_id: Hashable | None = None
    allowed: frozenset[Hashable] = frozenset()
    max_days_in_advance: int | None = None

    def terms(self, hours: tuple[WeeklyHours, ...] | None = None) -> SpaceTerms:
        """What the booking rules read of this space (optionally with only some of its weekly hours)."""
        return SpaceTerms(capacity=self.capacity, hours=tuple(self.hours) if hours is None else hours,
                          booking_mode=self.booking_mode, bookable_by=self.bookable_by, owner_id=self.owner_id,
                          allowed=frozenset(self.allowed), available_from=self.available_from,
                          available_until=self.available_until, max_days_in_advance=self.max_days_in_advance)


@dataclass(frozen=True)
class Proposal:
    space_id: Hashable
    weekday: int
    starts: time  # local wall clock
    ends: time  # local wall clock
    dates: tuple[Interval, ...]  # the free meetings, UTC
    wanted: int  # meetings of the pattern in the season on this weekday
    score: float
    reasons: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------- pieces


def meeting_dates(pattern: TimePattern, weekday: int) -> list[date]:
    """Local dates of the season falling on `weekday` (calendar-day steps)."""
    first = pattern.first_day + timedelta(days=(weekday - pattern.first_day.weekday()) % 7)
    out = []
    day = first
    while day <= pattern.last_day:
        out.append(day)
        day += _WEEK
    return out


def capacity_fit(capacity: int, group_size: int) -> float:
    """1 up to 2x the group size, linearly down to 0 at 5x."""
    ratio = capacity / group_size
    if ratio <= 2:
        return 1.0
    if ratio >= 5:
        return 0.0
    return (5 - ratio) / 3


def walking_fit(walk_m: float | None, max_walk_m: float | None) -> float:
    """1 at 0 m, 0 at the limit (max_walk_m or 1500 m); 0.5 if the distance is unknown."""
    if walk_m is None:
        return 0.5
    limit = max_walk_m if max_walk_m else DEFAULT_WALK_LIMIT_M
    return max(0.0, 1.0 - walk_m / limit)


def _passes_filters(need: NeedSpec, space: SpaceFacts) -> bool:
    if request_problems(space.terms(()), organisation_id=need.organisation_id, attendees=need.group_size):
        return False  # not bookable, not for this group, or too small
    if need.step_free and not space.step_free:
        return False
    if need.accessible_wc and not space.accessible_wc:
        return False
    if not need.equipment <= frozenset(space.equipment):
        return False
    if need.free_only and (space.cost_eur is None or space.cost_eur != 0):
        return False
    return need.max_walk_m is None or space.walk_m is None or space.walk_m <= need.max_walk_m


def _candidate_starts(pattern: TimePattern, duration: timedelta, step_minutes: int) -> list[tuple[time, time]]:
    """(start, end) local wall times with start on the step grid and end <= window_to, same day."""
    anchor = date(2000, 1, 3)  # any date: pure wall-clock arithmetic
    cur = datetime.combine(anchor, pattern.window_from)
    last = datetime.combine(anchor, pattern.window_to)
    step = timedelta(minutes=step_minutes)
    out = []
    while cur + duration <= last:
        out.append((cur.time(), (cur + duration).time()))
        cur += step
    return out


def _format_m(walk_m: float) -> str:
    if walk_m < 1000:
        return phrase("%(m)s m zu Fuß", m=int(round(walk_m / 10.0) * 10))
    return phrase("%(km)s km zu Fuß", km=f"{walk_m / 1000:.1f}".replace(".", ","))


class _FreeTime:
    """Free intervals of one space, searchable by binary search."""

    def __init__(self, intervals: list[Interval]):
        self._starts = [iv.start for iv in intervals]
        self._ends = [iv.end for iv in intervals]

    def covers(self, start: datetime, end: datetime) -> bool:
        i = bisect_right(self._starts, start) - 1
        return i >= 0 and end <= self._ends[i]


# ---------------------------------------------------------------- main


def _relevant_hours(hours: tuple[WeeklyHours, ...], weekdays: tuple[int, ...]) -> tuple[WeeklyHours, ...]:
    """Only the openings that can hold a meeting on the wanted weekdays (that day's, and the day
    before's when it runs past midnight): the rest of the week need not be expanded."""
    before = {(d - 1) % 7 for d in weekdays}
    return tuple(sorted((h for h in hours if h.weekday in weekdays or (h.weekday in before and h.past_midnight)),
                        key=lambda h: (h.weekday, h.opens, h.closes)))


def propose(
    need: NeedSpec, spaces: Iterable[SpaceFacts], *, now: datetime, limit: int = 20, step_minutes: int = 30
) -> list[Proposal]:
    """Best weekly slot per (space, weekday) for `need` asked at `now`, ranked by score; see the module docstring."""
    if step_minutes < 1:
        raise ValueError("step_minutes must be at least 1")
    pattern = need.pattern
    weekdays = sorted(set(pattern.weekdays))
    candidates = _candidate_starts(pattern, need.duration, step_minutes)
    if not candidates or limit <= 0:
        return []
    dates_by_weekday = {wd: meeting_dates(pattern, wd) for wd in weekdays}
    season = Interval(
        wall_time_to_utc(pattern.first_day, time(0)), wall_time_to_utc(pattern.last_day + _ONE_DAY, time(0))
    )
    # Meetings per (weekday, candidate) in UTC: the same for every space, computed once.
    meetings: dict[tuple[int, int], list[tuple[date, datetime, datetime]]] = {}
    for wd in weekdays:
        for ci, (st, en) in enumerate(candidates):
            rows = []
            for day in dates_by_weekday[wd]:
                s, e = wall_time_to_utc(day, st), wall_time_to_utc(day, en)
                if s < e:  # an empty meeting (inside a DST gap) is never free
                    rows.append((day, s, e))
            meetings[(wd, ci)] = rows

    proposals: list[Proposal] = []
    for space in spaces:
        if not _passes_filters(need, space):
            continue
        occupancy = Occupancy(tuple(Closing(c) for c in space.closures), tuple(space.busy))
        terms = space.terms(_relevant_hours(space.hours, need.pattern.weekdays))
        free = _FreeTime(free_time(terms, occupancy, season, now))
        cap = capacity_fit(space.capacity, need.group_size)
        walk = walking_fit(space.walk_m, need.max_walk_m)
        nice_present = sorted(need.nice_equipment & frozenset(space.equipment))
        nice_missing = sorted(need.nice_equipment - frozenset(space.equipment))
        extras = len(nice_present) / len(need.nice_equipment) if need.nice_equipment else 1.0
        for wd in weekdays:
            wanted = len(dates_by_weekday[wd])
            # Count first, build Interval objects only for the winner; candidates come in time order,
            # so the first with the most free dates is the earliest, and a full house ends the search.
            best_ci, best_count = None, 0
            for ci in range(len(candidates)):
                count = sum(1 for day, s, e in meetings[(wd, ci)] if free.covers(s, e))
                if count > best_count:
                    best_ci, best_count = ci, count
                    if count == wanted:
                        break
            if best_ci is None:
                continue
            ci = best_ci
            free_dates = [Interval(s, e) for day, s, e in meetings[(wd, ci)] if free.covers(s, e)]
            share = len(free_dates) / wanted
            score = W_DATES * share + W_CAPACITY * cap + W_WALK * walk + W_EXTRAS * extras
            reasons = [
                phrase("%(free)s von %(wanted)s Terminen frei", free=len(free_dates), wanted=wanted),
                phrase("Platz für %(capacity)s (Gruppe %(group)s)", capacity=space.capacity, group=need.group_size),
                _format_m(space.walk_m) if space.walk_m is not None else phrase("Entfernung unbekannt"),
                *(phrase("%(name)s vorhanden", name=name) for name in nice_present),
                *(phrase("%(name)s fehlt", name=name) for name in nice_missing),
            ]
            proposals.append(
                Proposal(
                    space_id=space.id,
                    weekday=wd,
                    starts=candidates[ci][0],
                    ends=candidates[ci][1],
                    dates=tuple(free_dates),
                    wanted=wanted,
                    score=round(score, 4),
                    reasons=tuple(reasons),
                )
            )
    proposals.sort(key=lambda p: (-p.score, p.space_id, p.weekday, p.starts))
    return proposals[:limit]
