"""The usage report's arithmetic (Verwendungsnachweis): hours open from weekly hours, the heat grid of weekday
and hour, and the figures of a space, a provider, a Quartier. Pure: standard library only.

Opening hours arrive as a space's week (``spaces.week_open``, migration 0012): its weekly opening hours as
half-open pieces of seconds of the local week (Monday 00:00 = 0), touching hours merged, an opening past
midnight continuing into the next day. On a day without a daylight-saving change a piece's wall-clock length
is its real length; on the two change days the rule of ``spaces.core.availability.wall_time_to_utc`` applies:

* spring (the wall hour [02:00, 03:00) does not exist): a wall time in the gap resolves to the first instant
  after it, so an opening loses the part of it that lies in the gap;
* autumn (the wall hour [02:00, 03:00) happens twice): a wall time in it resolves to its first occurrence, so
  an opening that is open at 02:59:59 and still open at 03:00 (i.e. one whose piece covers the end of the
  repeated hour) gains one hour, and that hour belongs to the repeated wall hour's cell.

The heat grid has 7 × 24 cells, weekday (0 = Monday) by wall-clock hour in Berlin; cell ``wd * 24 + hour``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from spaces.core.availability import BERLIN, Interval, WeeklyHours, wall_time_to_utc

DAY = 86_400
HOUR = 3_600
WEEK = 7 * DAY
CELLS = 7 * 24

__all__ = [
    "CELLS",
    "Figures",
    "HeatGrid",
    "OpenTime",
    "Transition",
    "Week",
    "booked_cells",
    "cells_of",
    "open_time",
    "parse_week",
    "transitions",
    "week_of",
    "weekday_counts",
    "whole_months",
]


@dataclass(frozen=True)
class Week:
    """A space's weekly opening as sorted, merged pieces [lo, hi) of seconds of the local week."""

    pieces: tuple[tuple[int, int], ...]

    @property
    def day_seconds(self) -> tuple[int, ...]:
        """Open seconds of each weekday (0 = Monday) on a day without a clock change."""
        return _day_seconds(self.pieces)

    @property
    def cell_seconds(self) -> tuple[int, ...]:
        """Open seconds of each of the 168 cells (weekday × hour) on days without a clock change."""
        return _cell_seconds(self.pieces)

    def day_parts(self, weekday: int) -> list[tuple[int, int]]:
        """The pieces on one weekday, as seconds from that day's midnight."""
        lo_day, hi_day = weekday * DAY, (weekday + 1) * DAY
        return [(max(lo, lo_day) - lo_day, min(hi, hi_day) - lo_day) for lo, hi in self.pieces
                if lo < hi_day and hi > lo_day]


@lru_cache(maxsize=4096)
def _day_seconds(pieces: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    out = [0] * 7
    for lo, hi in pieces:
        for wd in range(lo // DAY, (hi - 1) // DAY + 1):
            out[wd] += min(hi, (wd + 1) * DAY) - max(lo, wd * DAY)
    return tuple(out)


@lru_cache(maxsize=4096)
def _cell_seconds(pieces: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    out = [0] * CELLS
    for lo, hi in pieces:
        for cell in range(lo // HOUR, (hi - 1) // HOUR + 1):
            out[cell] += min(hi, (cell + 1) * HOUR) - max(lo, cell * HOUR)
    return tuple(out)


def week_of(hours: Iterable[WeeklyHours]) -> Week:
    """The week of weekly opening hours, as the database keeps it in spaces.week_open (opening_week_seconds,
    migration 0012): closes <= opens runs into the next day (equal: 24 hours), Sunday into Monday; merged."""
    pieces: list[tuple[int, int]] = []
    for h in hours:
        opens = h.weekday * DAY + h.opens.hour * HOUR + h.opens.minute * 60 + h.opens.second
        closes = h.weekday * DAY + h.closes.hour * HOUR + h.closes.minute * 60 + h.closes.second
        if h.closes <= h.opens:
            closes += DAY
        if closes > WEEK:
            pieces += [(opens, WEEK), (0, closes - WEEK)]
        else:
            pieces.append((opens, closes))
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(pieces):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return Week(tuple(merged))


@lru_cache(maxsize=4096)
def parse_week(text: str) -> Week:
    """A week from PostgreSQL's text of an int4multirange, e.g. '{[64800,72000),[151200,158400)}'."""
    body = text.strip().strip("{}").strip()
    pieces = []
    if body:
        for part in body.split("),"):
            lo_text, hi_text = part.strip().lstrip("[(").rstrip(")]").split(",")
            pieces.append((int(lo_text), int(hi_text)))
    return Week(tuple(sorted(pieces)))


def weekday_counts(first: date, last: date) -> tuple[int, ...]:
    """How many Mondays, Tuesdays, … Sundays lie in [first, last] (all zero if last < first)."""
    days = (last - first).days + 1
    if days <= 0:
        return (0,) * 7
    full, rest = divmod(days, 7)
    start = first.weekday()
    return tuple(full + (1 if (wd - start) % 7 < rest else 0) for wd in range(7))


@dataclass(frozen=True)
class Transition:
    """A day on which Berlin's clocks change: the wall hour [hour, hour + 1) is skipped (spring) or repeated
    (autumn)."""

    day: date
    hour: int
    spring: bool

    @property
    def cell(self) -> int:
        return self.day.weekday() * 24 + self.hour


@lru_cache(maxsize=256)
def _year_transitions(year: int) -> tuple[Transition, ...]:
    found = []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    offset = instant.astimezone(BERLIN).utcoffset()
    while instant < end:  # hour by hour would do; a day at a time, then the hour, is quicker
        following = instant + timedelta(days=1)
        if following.astimezone(BERLIN).utcoffset() != offset:
            hour = instant
            while hour.astimezone(BERLIN).utcoffset() == offset:
                hour += timedelta(hours=1)
            after = hour.astimezone(BERLIN).utcoffset()
            assert offset is not None and after is not None
            spring = after > offset
            wall = hour + (offset if spring else after)  # the skipped or repeated wall hour's start
            found.append(Transition(wall.date(), wall.hour, spring))
            offset = after
        instant = following
    return tuple(found)


def transitions(first: date, last: date) -> list[Transition]:
    """The clock changes of Berlin on the days from `first` to `last`."""
    return [t for year in range(first.year, last.year + 1) for t in _year_transitions(year)
            if first <= t.day <= last]


def dst_corrections(week: Week, changes: Iterable[Transition]) -> dict[int, int]:
    """What the clock changes in `changes` do to the week's open seconds, per cell: minus the wall time in the
    skipped hour (spring), plus one hour where an opening runs through the end of the repeated hour (autumn)."""
    out: dict[int, int] = {}
    for change in changes:
        wd = change.day.weekday()
        lo, hi = change.hour * HOUR, (change.hour + 1) * HOUR
        for a, b in week.day_parts(wd):
            if change.spring:
                lost = min(b, hi) - max(a, lo)
                if lost > 0:
                    out[change.cell] = out.get(change.cell, 0) - lost
            elif a < hi <= b:
                out[change.cell] = out.get(change.cell, 0) + HOUR
    return out


def cells_of(interval: Interval) -> dict[int, float]:
    """The seconds of an interval in each heat-grid cell (its local weekday and wall hour); an hour that
    happens twice counts twice in its cell, a skipped one never."""
    out: dict[int, float] = {}
    start = interval.start.astimezone(UTC)
    end = interval.end.astimezone(UTC)
    # Berlin's offsets are whole hours, so UTC hours are wall hours.
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        following = hour + timedelta(hours=1)
        seconds = (min(end, following) - max(start, hour)).total_seconds()
        local = hour.astimezone(BERLIN)
        cell = local.weekday() * 24 + local.hour
        out[cell] = out.get(cell, 0.0) + seconds
        hour = following
    return out


def booked_cells(window: Interval, pieces: Iterable[tuple[datetime, datetime, int]]) -> list[float]:
    """The seconds of `pieces` (start, end, how many bookings have exactly these) inside `window` per heat-grid
    cell, as `cells_of` counts them, without walking each booking hour by hour: the pieces' clipped starts and
    ends are counted per UTC hour of the window (Berlin's offsets are whole hours, so a UTC hour is a wall
    hour); in hour k the booked time is an hour for each piece that started in an earlier hour or in k and
    ends after k, less the part of k before the starts in k, plus the part of k before the ends in k.
    The window starts and ends on a whole hour (local midnights)."""
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    hours = int((end - start).total_seconds()) // HOUR
    began, ended = [0] * (hours + 1), [0] * (hours + 1)
    before_start, before_end = [0.0] * (hours + 1), [0.0] * (hours + 1)
    for lo, hi, n in pieces:
        a = (max(lo, start) - start).total_seconds()
        b = (min(hi, end) - start).total_seconds()
        if b <= a or not n:
            continue
        ka, kb = int(a // HOUR), int(b // HOUR)
        began[ka] += n
        before_start[ka] += n * (a - ka * HOUR)
        ended[kb] += n
        before_end[kb] += n * (b - kb * HOUR)
    out = [0.0] * CELLS
    running = 0  # pieces begun in an hour up to k and not ended in one
    for k, cell in enumerate(_hour_cells(start, hours)):
        running += began[k] - ended[k]
        out[cell] += running * HOUR + before_end[k] - before_start[k]
    return out


@lru_cache(maxsize=64)
def _hour_cells(start: datetime, hours: int) -> tuple[int, ...]:
    """The heat-grid cell of each UTC hour from `start` on."""
    out = []
    for k in range(hours):
        local = (start + timedelta(hours=k)).astimezone(BERLIN)
        out.append(local.weekday() * 24 + local.hour)
    return tuple(out)


def whole_months(first: date, last: date) -> tuple[date, date] | None:
    """The whole calendar months inside the days [first, last] as [first day of the first, first day after the
    last), or None if there is none."""
    start = first if first.day == 1 else _next_month(first)
    following = last + timedelta(days=1)
    end = following.replace(day=1)
    return (start, end) if start < end else None


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def local_window(first: date, last: date) -> Interval:
    """From local midnight of `first` to local midnight after `last`."""
    return Interval(wall_time_to_utc(first, time(0), BERLIN), wall_time_to_utc(last + timedelta(days=1), time(0),
                                                                                BERLIN))


@dataclass
class HeatGrid:
    """Open and booked seconds per cell (weekday × wall hour) over a period."""

    open: list[float] = field(default_factory=lambda: [0.0] * CELLS)
    booked: list[float] = field(default_factory=lambda: [0.0] * CELLS)

    def add_week(self, week: Week, counts: Sequence[int], corrections: Iterable[tuple[int, int]] = ()) -> None:
        """Add the open time of `week` on `counts[wd]` days of each weekday, and clock-change corrections."""
        cells = week.cell_seconds
        for cell in range(CELLS):
            if cells[cell]:
                self.open[cell] += cells[cell] * counts[cell // 24]
        for cell, seconds in corrections:
            self.open[cell] += seconds

    def add_open(self, cells: dict[int, float], sign: float = 1.0) -> None:
        for cell, seconds in cells.items():
            self.open[cell] += sign * seconds

    def add_booked(self, cells: dict[int, float]) -> None:
        for cell, seconds in cells.items():
            self.booked[cell] += seconds

    def share(self, cell: int) -> float | None:
        """Booked share of the cell's open time (at most 1); None where it was never open."""
        if self.open[cell] <= 0:
            return None
        return min(1.0, self.booked[cell] / self.open[cell])

    def rows(self) -> list[list[float | None]]:
        """The shares as 7 rows (Monday first) of 24 hours."""
        return [[self.share(wd * 24 + h) for h in range(24)] for wd in range(7)]

    @property
    def open_hours(self) -> float:
        return sum(self.open) / HOUR

    @property
    def booked_hours(self) -> float:
        return sum(self.booked) / HOUR


@dataclass
class Figures:
    """What the report says of a space or a group of spaces over the period."""

    open_seconds: float = 0.0
    booked_seconds: float = 0.0
    confirmed: int = 0  # confirmed bookings (dates) with time in the period
    public: int = 0  # of them public events
    declined: int = 0  # declined requests with time in the period
    groups: set[int] = field(default_factory=set)  # organisation ids of the confirmed bookings
    spaces: int = 0
    unmet_needs: int | None = None  # only for a Quartier and the whole report

    def add(self, other: Figures) -> None:
        """Add another space's or group's figures (groups are united, not added)."""
        self.open_seconds += other.open_seconds
        self.booked_seconds += other.booked_seconds
        self.confirmed += other.confirmed
        self.public += other.public
        self.declined += other.declined
        if other.groups:
            self.groups |= other.groups
        self.spaces += other.spaces

    @property
    def open_hours(self) -> float:
        return self.open_seconds / HOUR

    @property
    def booked_hours(self) -> float:
        return self.booked_seconds / HOUR

    @property
    def utilisation(self) -> float | None:
        """Booked hours over open hours, at most 1 (see `overbooked`); None without open hours."""
        if self.open_seconds <= 0:
            return None
        return min(1.0, self.booked_seconds / self.open_seconds)

    @property
    def overbooked(self) -> bool:
        """More hours booked than open (opening hours cut or a closure set after the bookings)."""
        return self.booked_seconds > self.open_seconds + 1e-6

    @property
    def decided(self) -> int:
        return self.confirmed + self.declined

    @property
    def declined_share(self) -> float | None:
        """Declined over decided (confirmed + declined) requests; None when nothing was decided."""
        return self.declined / self.decided if self.decided else None

    @property
    def group_count(self) -> int:
        return len(self.groups)


@dataclass(frozen=True)
class OpenTime:
    """A week's open time on a span of local days: in all, per weekday count, and the clock changes' part."""

    seconds: float
    counts: tuple[int, ...]  # how many of each weekday (0 = Monday) the span has
    corrections: tuple[tuple[int, int], ...]  # (cell, seconds) the clock changes add or take (in `seconds`)


@lru_cache(maxsize=65536)
def open_time(week: Week, first: date, last: date) -> OpenTime:
    """The open time of `week` on the local days from `first` to `last` (nothing if last < first)."""
    if last < first:
        return OpenTime(0.0, (0,) * 7, ())
    counts = weekday_counts(first, last)
    total = float(sum(s * n for s, n in zip(week.day_seconds, counts)))
    corrections = dst_corrections(week, transitions(first, last)) if week.pieces else {}
    return OpenTime(total + sum(corrections.values()), counts, tuple(sorted(corrections.items())))


def interval_seconds(intervals: Iterable[Interval]) -> float:
    return sum(iv.duration.total_seconds() for iv in intervals)
