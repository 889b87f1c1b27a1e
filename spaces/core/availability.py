"""Free and busy time of a space, computed from weekly opening hours, closures and bookings.

Pure module: standard library only, no Flask, no database.

Conventions
-----------
* Every interval is half-open, ``[start, end)``, made of timezone-aware datetimes.
  Inputs may use any timezone; every interval returned by this module is in UTC
  (``datetime.timezone.utc``), sorted, and merged (no two returned intervals overlap
  or touch).
* Weekly opening hours are local wall-clock times in ``tz`` (Europe/Berlin by default)
  and are expanded per local calendar date, so "Tuesday 18:00-20:00" stays 18:00-20:00
  local on both sides of a daylight-saving change (16:00-18:00 UTC in summer,
  17:00-19:00 UTC in winter).
* ``closes <= opens`` means the opening runs past midnight into the next local date;
  ``closes == opens`` means 24 hours (23 or 25 real hours on a DST-change day).
* A wall time that does not exist (the spring-forward gap, e.g. 02:30 on the last
  Sunday of March) resolves to the first instant after the gap (03:00 CEST).
  An opening lying entirely inside the gap is therefore empty and dropped.
* An ambiguous wall time (the repeated hour in autumn, e.g. 02:30 on the last Sunday
  of October) resolves to its first occurrence (``fold=0``, i.e. still CEST). This applies
  to closing times as well: Saturday 22:00-02:00 over the fall-back night ends at the
  *first* 02:00 (00:00 UTC) and so lasts 4 hours.
* Input datetimes (window, closures, bookings) are taken at face value: they are
  converted to UTC with their own ``utcoffset()``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "BERLIN",
    "Interval",
    "WeeklyHours",
    "busy_within_opening",
    "free_intervals",
    "intersect",
    "merge",
    "opening_intervals",
    "subtract",
    "wall_time_to_utc",
]

BERLIN = ZoneInfo("Europe/Berlin")
UTC = UTC

_ONE_DAY = timedelta(days=1)
_ONE_MICROSECOND = timedelta(microseconds=1)


def _is_aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.tzinfo.utcoffset(value) is not None


def _utc(value: datetime) -> datetime:
    # Always compare through UTC: two datetimes sharing one ZoneInfo object are compared
    # by their naive wall time by Python, which is wrong inside the autumn repeated hour.
    return value.astimezone(UTC)


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open interval [start, end) of timezone-aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime):
                raise TypeError(f"Interval.{name} must be a datetime, not {type(value).__name__}")
            if not _is_aware(value):
                raise ValueError(f"Interval.{name} must be timezone-aware, got naive {value!r}")
        if not _utc(self.start) < _utc(self.end):
            raise ValueError(f"Interval start must be before end, got {self.start!r} .. {self.end!r}")

    @classmethod
    def trusted(cls, start: datetime, end: datetime) -> Interval:
        """An interval from values already known to be aware and ordered (a non-empty, bounded tstzrange
        from the database), without checking them again: loading thousands of bookings at once."""
        interval = object.__new__(cls)
        object.__setattr__(interval, "start", start)
        object.__setattr__(interval, "end", end)
        return interval

    @property
    def duration(self) -> timedelta:
        """Elapsed (real) time between start and end, computed in UTC."""
        return _utc(self.end) - _utc(self.start)

    def overlaps(self, other: Interval) -> bool:
        """Whether the two half-open intervals share an instant (touching is not overlapping)."""
        return _utc(self.start) < _utc(other.end) and _utc(other.start) < _utc(self.end)

    def contains(self, instant: datetime) -> bool:
        """Whether the aware datetime `instant` lies in [start, end)."""
        if not isinstance(instant, datetime) or not _is_aware(instant):
            raise ValueError(f"instant must be a timezone-aware datetime, got {instant!r}")
        return _utc(self.start) <= _utc(instant) < _utc(self.end)

    def to_utc(self) -> Interval:
        """The same interval with both ends expressed in UTC."""
        return Interval(_utc(self.start), _utc(self.end))


@dataclass(frozen=True)
class WeeklyHours:
    """Opening on one weekday (0=Monday .. 6=Sunday) from `opens` to `closes`, local wall-clock time."""

    weekday: int
    opens: time
    closes: time

    def __post_init__(self) -> None:
        wd = self.weekday
        if isinstance(wd, bool) or not isinstance(wd, int) or not 0 <= wd <= 6:
            raise ValueError(f"weekday must be an int from 0 (Monday) to 6 (Sunday), got {self.weekday!r}")
        for name in ("opens", "closes"):
            value = getattr(self, name)
            if not isinstance(value, time):
                raise ValueError(f"WeeklyHours.{name} must be a datetime.time, got {value!r}")
            if value.tzinfo is not None:
                raise ValueError(f"WeeklyHours.{name} must be a naive wall-clock time, got {value!r}")

    @property
    def past_midnight(self) -> bool:
        """Whether the opening ends on the next local date (closes <= opens; equal means 24 hours)."""
        return self.closes <= self.opens


def wall_time_to_utc(day: date, wall: time, tz: ZoneInfo = BERLIN) -> datetime:
    """The UTC instant of wall time `wall` on local date `day` in `tz`.

    A nonexistent wall time (in a DST gap) resolves to the first instant after the gap;
    an ambiguous one (in the repeated hour) to its first occurrence.
    """
    naive = datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    candidate = naive.replace(tzinfo=tz).astimezone(UTC)  # fold=0: first occurrence if ambiguous
    if candidate.astimezone(tz).replace(tzinfo=None, fold=0) == naive:
        return candidate
    # `naive` falls into a gap (clocks jumped forward). The two folds give the two offsets
    # around the transition; the transition instant lies between them. Find the first
    # instant whose wall time is past `naive` by bisection (the gap spans at most a few
    # hours, so this takes about 32 steps and happens at most twice a year per opening).
    a = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    b = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)  # wall(lo) < naive < wall(hi)
    while hi - lo > _ONE_MICROSECOND:
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).replace(tzinfo=None, fold=0) > naive:
            hi = mid
        else:
            lo = mid
    return hi


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted union of intervals; overlapping or touching intervals are joined."""
    spans = sorted((_utc(iv.start), _utc(iv.end)) for iv in intervals)
    out: list[Interval] = []
    if not spans:
        return out
    cur_start, cur_end = spans[0]
    for start, end in spans[1:]:
        if start <= cur_end:
            if end > cur_end:
                cur_end = end
        else:
            out.append(Interval(cur_start, cur_end))
            cur_start, cur_end = start, end
    out.append(Interval(cur_start, cur_end))
    return out


def subtract(base: Iterable[Interval], remove: Iterable[Interval]) -> list[Interval]:
    """The parts of `base` not covered by any interval of `remove`, sorted and merged."""
    bases = merge(base)
    removes = merge(remove)
    out: list[Interval] = []
    j = 0
    n = len(removes)
    for b in bases:
        cur, end = b.start, b.end
        while j < n and removes[j].end <= cur:
            j += 1
        k = j
        while k < n and removes[k].start < end:
            r = removes[k]
            if r.start > cur:
                out.append(Interval(cur, r.start))
            if r.end > cur:
                cur = r.end
            if cur >= end:
                break
            k += 1
        if cur < end:
            out.append(Interval(cur, end))
    return out


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The instants covered both by some interval of `a` and by some interval of `b`, sorted and merged."""
    left = merge(a)
    right = merge(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start, right[j].start)
        end = min(left[i].end, right[j].end)
        if start < end:
            out.append(Interval(start, end))
        if left[i].end <= right[j].end:
            i += 1
        else:
            j += 1
    # Pieces are disjoint; two may touch only where both inputs had a touching boundary,
    # which merge() already excluded, so `out` is merged.
    return out


def opening_intervals(
    hours: Iterable[WeeklyHours], window: Interval, tz: ZoneInfo = BERLIN
) -> list[Interval]:
    """The opening intervals of a weekly schedule inside `window`, clipped to it, sorted and merged, in UTC."""
    by_weekday: dict[int, list[WeeklyHours]] = defaultdict(list)
    for h in hours:
        by_weekday[h.weekday].append(h)
    if not by_weekday:
        return []
    w_start, w_end = _utc(window.start), _utc(window.end)
    # An opening that starts on local date d ends on d or d + 1, so openings of the day
    # before the window can spill into it; one more day of margin covers zones whose
    # DST gap would push a closing time past midnight. Clipping removes the excess.
    day = w_start.astimezone(tz).date() - 2 * _ONE_DAY
    last = w_end.astimezone(tz).date()
    pieces: list[Interval] = []
    while day <= last:  # date arithmetic: local calendar days, never 24-hour steps
        for h in by_weekday.get(day.weekday(), ()):
            start = wall_time_to_utc(day, h.opens, tz)
            end = wall_time_to_utc(day + _ONE_DAY if h.past_midnight else day, h.closes, tz)
            if start < w_start:
                start = w_start
            if end > w_end:
                end = w_end
            if start < end:  # empty when clipped away or when inside a DST gap
                pieces.append(Interval(start, end))
        day += _ONE_DAY
    return merge(pieces)


def free_intervals(
    hours: Iterable[WeeklyHours],
    closures: Iterable[Interval],
    busy: Iterable[Interval],
    window: Interval,
    tz: ZoneInfo = BERLIN,
) -> list[Interval]:
    """Free time of a space inside `window`: opening hours minus closures minus slot-holding bookings, in UTC."""
    opening = opening_intervals(hours, window, tz)
    return subtract(opening, [*closures, *busy])


def busy_within_opening(
    hours: Iterable[WeeklyHours],
    closures: Iterable[Interval],
    busy: Iterable[Interval],
    window: Interval,
    tz: ZoneInfo = BERLIN,
) -> list[Interval]:
    """The parts of opening hours inside window that are not free (covered by a closure or a booking)."""
    opening = opening_intervals(hours, window, tz)
    return intersect(opening, [*closures, *busy])
