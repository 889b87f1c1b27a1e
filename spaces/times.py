"""Local time in Hannover: the span of local days, and instants as ISO text in Berlin time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from spaces.core.availability import BERLIN, Interval, wall_time_to_utc


def local_day_window(first: date, last: date) -> Interval:
    """The UTC interval from local midnight of `first` to local midnight after `last`."""
    return Interval(wall_time_to_utc(first, time(0), BERLIN),
                    wall_time_to_utc(last + timedelta(days=1), time(0), BERLIN))


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
