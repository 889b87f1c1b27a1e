"""Tests for spaces.core.availability: weekly opening hours, closures and bookings across DST changes.

Pure tests, no database. Europe/Berlin DST dates used below:
2026: forward Sun 29 March (02:00 -> 03:00), back Sun 25 October (03:00 -> 02:00);
2027: forward Sun 28 March, back Sun 31 October.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from spaces.core.availability import (
    BERLIN,
    Interval,
    WeeklyHours,
    busy_within_opening,
    free_intervals,
    intersect,
    merge,
    opening_intervals,
    subtract,
    wall_time_to_utc,
)

UTC = UTC
NEW_YORKISH = timezone(timedelta(hours=-5))  # a fixed-offset zone, to mix input zones
H = timedelta(hours=1)
DAY = timedelta(days=1)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

SPRING_2026 = date(2026, 3, 29)
AUTUMN_2026 = date(2026, 10, 25)
SPRING_2027 = date(2027, 3, 28)
AUTUMN_2027 = date(2027, 10, 31)


# --------------------------------------------------------------------------- helpers


def utc(y, mo, d, h=0, mi=0, s=0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def berlin(y, mo, d, h=0, mi=0, fold=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN, fold=fold)


def at(day: date, hour: int, minute: int = 0, tz: tzinfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def local_days(first: date, stop: date, tz: tzinfo = BERLIN) -> Interval:
    """Local calendar days `first` up to (not including) `stop` as a window."""
    return Interval(at(first, 0, tz=tz), at(stop, 0, tz=tz))


def local_day(day: date) -> Interval:
    """The local (Berlin) calendar day as a window: 23, 24 or 25 hours long."""
    return local_days(day, day + DAY)


def local_wall(value: datetime) -> tuple[int, time, int]:
    """(weekday, wall time, UTC offset hours) of an instant in Berlin."""
    loc = value.astimezone(BERLIN)
    return loc.weekday(), loc.time(), int(loc.utcoffset() / H)


def as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def assert_merged_utc(intervals: list[Interval]) -> None:
    for piece in intervals:
        assert piece.start.tzinfo is UTC and piece.end.tzinfo is UTC
        assert piece.start < piece.end
    for a, b in zip(intervals, intervals[1:]):
        assert a.end < b.start, f"not sorted/merged: {a} then {b}"


# ------------------------------------------------------- independent reference model


def _is_ambiguous(day: date, wall: time) -> bool:
    """Whether `wall` on `day` happens twice in Berlin (the repeated autumn hour)."""
    naive = datetime.combine(day, wall)
    instants = {as_utc(naive.replace(tzinfo=BERLIN, fold=f)) for f in (0, 1)}
    return len(instants) == 2 and all(i.astimezone(BERLIN).replace(tzinfo=None) == naive for i in instants)


def _reached(local: datetime, day: date, wall: time) -> bool:
    """Whether the instant whose Berlin local time is `local` is at or after wall time `wall` on `day`.

    Convention under test: a nonexistent wall time means the end of the DST gap (a real
    instant's wall clock never shows a time inside the gap, so comparing wall clocks does
    that on its own); an ambiguous wall time means its first occurrence, so every instant
    in the second pass of the repeated hour (fold=1) is after it.
    """
    if local.date() != day:
        return local.date() > day
    if local.time().replace(fold=0) >= wall:
        return True
    return local.fold == 1 and _is_ambiguous(day, wall)


def reference_is_open(hours: list[WeeklyHours], instant: datetime) -> bool:
    """Opening-hours rule checked straight from the wall clock, without building intervals."""
    local = instant.astimezone(BERLIN)
    for h in hours:
        for day in (local.date(), local.date() - DAY):
            if day.weekday() != h.weekday:
                continue
            end_day = day + DAY if h.closes <= h.opens else day
            if _reached(local, day, h.opens) and not _reached(local, end_day, h.closes):
                return True
    return False


def covered(intervals, instant: datetime) -> bool:
    t = as_utc(instant)
    return any(as_utc(i.start) <= t < as_utc(i.end) for i in intervals)


# ----------------------------------------------------------------- hypothesis setup

ANCHORS = [
    # the DST transition instants of 2026 and 2027 (01:00 UTC) ...
    utc(2026, 3, 29, 1),
    utc(2026, 10, 25, 1),
    utc(2027, 3, 28, 1),
    utc(2027, 10, 31, 1),
    # ... and some ordinary days
    utc(2026, 1, 5, 7),
    utc(2026, 7, 14, 16),
    utc(2027, 6, 1),
    utc(2027, 12, 30, 12),
    # local midnights, where the local and the UTC date differ
    utc(2026, 6, 6, 22),
    utc(2026, 12, 5, 23),
]

wall_times = st.one_of(
    st.sampled_from([time(0), time(1, 30), time(2), time(2, 30), time(3), time(6), time(18), time(22), time(23, 59)]),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    st.builds(time, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
)
weekdays = st.one_of(st.sampled_from([SAT, SUN]), st.integers(0, 6))
weekly_entry = st.one_of(
    st.builds(WeeklyHours, weekday=weekdays, opens=wall_times, closes=wall_times),
    # 24-hour openings
    st.builds(lambda wd, t: WeeklyHours(wd, t, t), weekdays, wall_times),
)
weekly_hours = st.lists(weekly_entry, min_size=0, max_size=4)
zones = st.sampled_from([UTC, BERLIN, NEW_YORKISH])


def offsets(max_seconds: int, min_seconds: int = 0):
    """Offsets, mostly on a quarter-hour grid (so they meet opening times exactly), sometimes arbitrary."""
    return st.one_of(
        st.integers(-(-min_seconds // 900), max_seconds // 900).map(lambda q: timedelta(minutes=15 * q)),
        st.integers(min_seconds, max_seconds).map(lambda s: timedelta(seconds=s)),
    )


@st.composite
def scenarios(draw):
    anchor = draw(st.sampled_from(ANCHORS))
    w_start = anchor + draw(offsets(3 * 86400, -3 * 86400))
    w_len = draw(st.one_of(offsets(6 * 86400, 60), offsets(40 * 86400, 60)))
    assume(w_len > timedelta(0))
    w_end = w_start + w_len
    window = Interval(w_start.astimezone(draw(zones)), w_end.astimezone(draw(zones)))

    # Endpoints near the window: instants in a random zone, or raw Berlin wall-clock times
    # around the anchor's DST night (possibly nonexistent or ambiguous, with either fold).
    anchor_day = anchor.astimezone(BERLIN).date()
    near_instant = st.builds(
        lambda off, zone: (w_start + off).astimezone(zone),
        offsets(int((w_len + DAY).total_seconds()), -86400),
        zones,
    )
    raw_wall = st.builds(
        lambda h, m, fold: datetime.combine(anchor_day, time(h, m), tzinfo=BERLIN).replace(fold=fold),
        st.integers(0, 4),
        st.sampled_from([0, 15, 30, 45]),
        st.integers(0, 1),
    )
    endpoint = st.one_of(near_instant, near_instant, raw_wall)

    def interval_list(max_size):
        pairs = draw(st.lists(st.tuples(endpoint, endpoint), max_size=max_size))
        out = []
        for a, b in pairs:
            if as_utc(a) == as_utc(b):
                continue
            out.append(Interval(a, b) if as_utc(a) < as_utc(b) else Interval(b, a))
        return out

    return {
        "hours": draw(weekly_hours),
        "closures": interval_list(3),
        "bookings": interval_list(6),
        "window": window,
        "samples": [w_start + off for off in draw(st.lists(offsets(int(w_len.total_seconds()) - 1), max_size=10))],
    }


PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------ property tests


@PROPERTY_SETTINGS
@given(scenarios())
def test_free_and_busy_partition_the_opening_hours(sc):
    hours, closures, bookings, window = sc["hours"], sc["closures"], sc["bookings"], sc["window"]
    opening = opening_intervals(hours, window)
    free = free_intervals(hours, closures, bookings, window)
    busy = busy_within_opening(hours, closures, bookings, window)

    for result in (opening, free, busy):
        assert_merged_utc(result)
        for piece in result:
            assert as_utc(window.start) <= piece.start and piece.end <= as_utc(window.end)

    # Nothing free is booked or closed.
    for f in free:
        for blocked in [*closures, *bookings]:
            assert not f.overlaps(blocked), (f, blocked)
    # Everything free is open.
    for f in free:
        assert any(o.start <= f.start and f.end <= o.end for o in opening), f
    # Everything busy is open and blocked by some closure or booking.
    blocked = merge([*closures, *bookings])
    for b in busy:
        assert any(o.start <= b.start and b.end <= o.end for o in opening), b
        assert any(as_utc(x.start) <= b.start and b.end <= as_utc(x.end) for x in blocked), b
    # free ∪ busy == opening, free ∩ busy == ∅.
    assert merge([*free, *busy]) == opening
    assert intersect(free, busy) == []
    assert all(not f.overlaps(b) for f in free for b in busy)
    # Free time is the opening hours minus closures minus bookings, whatever the order.
    assert subtract(subtract(opening, bookings), closures) == free


@PROPERTY_SETTINGS
@given(scenarios())
def test_free_matches_naive_wall_clock_reference(sc):
    hours, closures, bookings, window = sc["hours"], sc["closures"], sc["bookings"], sc["window"]
    free = free_intervals(hours, closures, bookings, window)
    opening = opening_intervals(hours, window)
    w_start, w_end = as_utc(window.start), as_utc(window.end)

    # Random instants, plus both sides of every boundary (where off-by-one-hour bugs live),
    # plus an hourly grid over the first days of the window.
    eps = timedelta(microseconds=1)
    edges = [as_utc(x) for i in [*free, *opening, *closures, *bookings] for x in (i.start, i.end)]
    grid = [w_start + k * timedelta(minutes=30) for k in range(0, 4 * 48)]
    candidates = list(sc["samples"]) + grid + [e + d for e in edges for d in (-eps, timedelta(0), eps)]
    for t in candidates:
        if not (w_start <= t < w_end):
            continue
        expected = reference_is_open(hours, t) and not covered(closures, t) and not covered(bookings, t)
        assert covered(free, t) == expected, (t, t.astimezone(BERLIN))
        assert covered(opening, t) == reference_is_open(hours, t), (t, t.astimezone(BERLIN))


# Interval algebra against a point set: endpoints on a minute grid, so the set of covered
# unit cells determines a union exactly.
BASE = utc(2026, 10, 24, 23)  # straddles the 2026 fall-back night


@st.composite
def grid_intervals(draw, max_size=8):
    out = []
    for a, n, zone in draw(st.lists(st.tuples(st.integers(0, 240), st.integers(1, 60), zones), max_size=max_size)):
        start = BASE + timedelta(minutes=a)
        out.append(Interval(start.astimezone(zone), (start + timedelta(minutes=n)).astimezone(zone)))
    return out


def cells(intervals) -> set[int]:
    out = set()
    for i in intervals:
        a = int((as_utc(i.start) - BASE) / timedelta(minutes=1))
        b = int((as_utc(i.end) - BASE) / timedelta(minutes=1))
        out.update(range(a, b))
    return out


@settings(max_examples=300, deadline=None)
@given(grid_intervals(), grid_intervals())
def test_merge_subtract_intersect_match_point_sets(a, b):
    for result, expected in [
        (merge(a), cells(a)),
        (subtract(a, b), cells(a) - cells(b)),
        (intersect(a, b), cells(a) & cells(b)),
    ]:
        assert_merged_utc(result)
        assert cells(result) == expected


# --------------------------------------------------------------- hand-written cases

TUESDAY_18_20 = [WeeklyHours(TUE, time(18), time(20))]


@pytest.mark.parametrize(
    "day, utc_start_hour",
    [
        (date(2026, 3, 24), 17),  # before spring forward: CET, UTC+1
        (date(2026, 3, 31), 16),  # after: CEST, UTC+2
        (date(2026, 10, 20), 16),  # before fall back: CEST
        (date(2026, 10, 27), 17),  # after: CET
        (date(2027, 10, 26), 16),
        (date(2027, 11, 2), 17),
    ],
)
def test_tuesday_evening_keeps_local_time_across_dst(day, utc_start_hour):
    assert day.weekday() == TUE
    result = opening_intervals(TUESDAY_18_20, local_day(day))
    start = datetime.combine(day, time(utc_start_hour), tzinfo=UTC)
    assert result == [Interval(start, start + 2 * H)]
    assert result[0].start.tzinfo is UTC
    assert local_wall(result[0].start)[:2] == (TUE, time(18))
    assert local_wall(result[0].end)[:2] == (TUE, time(20))


@pytest.mark.parametrize(
    "first_tuesday, before, after",
    [(date(2026, 10, 20), 16, 17), (date(2027, 10, 26), 16, 17), (date(2026, 3, 24), 17, 16)],
)
def test_tuesday_evening_over_a_window_spanning_the_switch(first_tuesday, before, after):
    window = local_days(first_tuesday, first_tuesday + 8 * DAY)
    second_tuesday = first_tuesday + 7 * DAY
    assert opening_intervals(TUESDAY_18_20, window) == [
        Interval(at(first_tuesday, before, tz=UTC), at(first_tuesday, before + 2, tz=UTC)),
        Interval(at(second_tuesday, after, tz=UTC), at(second_tuesday, after + 2, tz=UTC)),
    ]


@pytest.mark.parametrize(
    "sunday, hours, utc_start, utc_end",
    [
        (SPRING_2026, 5, utc(2026, 3, 28, 23), utc(2026, 3, 29, 4)),
        (AUTUMN_2026, 7, utc(2026, 10, 24, 22), utc(2026, 10, 25, 5)),
        (SPRING_2027, 5, utc(2027, 3, 27, 23), utc(2027, 3, 28, 4)),
        (AUTUMN_2027, 7, utc(2027, 10, 30, 22), utc(2027, 10, 31, 5)),
        (date(2026, 3, 22), 6, utc(2026, 3, 21, 23), utc(2026, 3, 22, 5)),  # ordinary winter Sunday
        (date(2026, 11, 1), 6, utc(2026, 10, 31, 23), utc(2026, 11, 1, 5)),
        (date(2026, 7, 12), 6, utc(2026, 7, 11, 22), utc(2026, 7, 12, 4)),  # ordinary summer Sunday
    ],
)
def test_sunday_early_morning_opening_length_on_dst_days(sunday, hours, utc_start, utc_end):
    assert sunday.weekday() == SUN
    result = opening_intervals([WeeklyHours(SUN, time(0), time(6))], local_day(sunday))
    assert result == [Interval(utc_start, utc_end)]
    assert result[0].duration == hours * H


@pytest.mark.parametrize("sunday", [SPRING_2026, SPRING_2027])
@pytest.mark.parametrize("opens, closes", [(time(2), time(3)), (time(2, 15), time(2, 45)), (time(2, 30), time(3))])
def test_opening_inside_the_spring_gap_is_dropped(sunday, opens, closes):
    window = local_days(sunday - DAY, sunday + DAY)
    assert opening_intervals([WeeklyHours(SUN, opens, closes)], window) == []
    assert free_intervals([WeeklyHours(SUN, opens, closes)], [], [], window) == []


@pytest.mark.parametrize("sunday", [SPRING_2026, SPRING_2027])
def test_nonexistent_opening_time_moves_to_end_of_gap(sunday):
    result = opening_intervals([WeeklyHours(SUN, time(2, 30), time(4))], local_day(sunday))
    start = datetime.combine(sunday, time(1), tzinfo=UTC)  # 03:00 CEST, not 03:30
    assert result == [Interval(start, start + H)]
    assert result[0].start.astimezone(BERLIN).time() == time(3)
    assert result[0].duration == H


@pytest.mark.parametrize(
    "day, wall, expected",
    [
        (SPRING_2026, time(2, 30), utc(2026, 3, 29, 1)),  # nonexistent -> 03:00 CEST
        (SPRING_2026, time(2), utc(2026, 3, 29, 1)),
        (SPRING_2026, time(2, 59, 59), utc(2026, 3, 29, 1)),
        (SPRING_2026, time(1, 59), utc(2026, 3, 29, 0, 59)),
        (SPRING_2026, time(3), utc(2026, 3, 29, 1)),
        (AUTUMN_2026, time(2, 30), utc(2026, 10, 25, 0, 30)),  # ambiguous -> first occurrence, CEST
        (AUTUMN_2026, time(2), utc(2026, 10, 25, 0)),
        (AUTUMN_2026, time(3), utc(2026, 10, 25, 2)),  # 03:00 CET
        (SPRING_2027, time(2, 30), utc(2027, 3, 28, 1)),
        (AUTUMN_2027, time(2, 30), utc(2027, 10, 31, 0, 30)),
    ],
)
def test_wall_time_conventions(day, wall, expected):
    assert wall_time_to_utc(day, wall) == expected
    assert wall_time_to_utc(day, wall).tzinfo is UTC


def test_ambiguous_opening_time_uses_first_occurrence():
    # 02:30 CEST (00:30 UTC) to 04:00 CET (03:00 UTC): 2.5 real hours.
    result = opening_intervals([WeeklyHours(SUN, time(2, 30), time(4))], local_day(AUTUMN_2026))
    assert result == [Interval(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 3))]


@pytest.mark.parametrize(
    "saturday, closes, hours",
    [
        # Fall-back night. 02:00 is ambiguous and, like every ambiguous wall time, means its
        # first occurrence (02:00 CEST = 00:00 UTC), so 22:00-02:00 is 4 real hours; the extra
        # hour only shows for closing times from 03:00 on.
        (date(2026, 10, 24), time(2), 4),
        (date(2026, 10, 24), time(2, 30), 4.5),
        (date(2026, 10, 24), time(3), 6),
        (date(2027, 10, 30), time(3), 6),
        # Spring-forward night: one hour shorter once the closing time is past the gap.
        (date(2026, 3, 28), time(2), 4),  # 02:00 does not exist -> 03:00 CEST
        (date(2026, 3, 28), time(3), 4),
        (date(2027, 3, 27), time(4), 5),
        # Ordinary night.
        (date(2026, 10, 31), time(2), 4),
        (date(2026, 10, 31), time(3), 5),
    ],
)
def test_saturday_night_past_midnight(saturday, closes, hours):
    assert saturday.weekday() == SAT
    window = Interval(at(saturday, 12), at(saturday + DAY, 12))
    result = opening_intervals([WeeklyHours(SAT, time(22), closes)], window)
    assert len(result) == 1
    assert result[0].duration == timedelta(hours=hours)
    assert local_wall(result[0].start)[:2] == (SAT, time(22))


@pytest.mark.parametrize("sunday, hours", [(SPRING_2026, 23), (AUTUMN_2026, 25), (date(2026, 6, 7), 24)])
def test_24_hour_opening(sunday, hours):
    window = local_days(sunday - DAY, sunday + 2 * DAY)
    result = opening_intervals([WeeklyHours(SUN, time(0), time(0))], window)
    assert result == [local_day(sunday).to_utc()]
    assert result[0].duration == hours * H


@pytest.mark.parametrize(
    "zone, day, hours, utc_start, utc_end",
    [
        # US spring forward, Sunday 8 March 2026 02:00 -> 03:00: 01:00 EST .. 04:00 EDT
        ("America/New_York", date(2026, 3, 8), (time(1), time(4)), utc(2026, 3, 8, 6), utc(2026, 3, 8, 8)),
        # nonexistent 02:30 in New York moves to 03:00 EDT (07:00 UTC)
        ("America/New_York", date(2026, 3, 8), (time(2, 30), time(4)), utc(2026, 3, 8, 7), utc(2026, 3, 8, 8)),
        # New Zealand DST ends Sunday 5 April 2026 03:00 -> 02:00: 00:00 NZDT .. 06:00 NZST, 7 h
        ("Pacific/Auckland", date(2026, 4, 5), (time(0), time(6)), utc(2026, 4, 4, 11), utc(2026, 4, 4, 18)),
        # late evening in Auckland is the next UTC morning's previous day: local dates, not UTC dates
        (
            "Pacific/Auckland",
            date(2026, 7, 12),
            (time(22), time(23, 30)),
            utc(2026, 7, 12, 10),
            utc(2026, 7, 12, 11, 30),
        ),
    ],
)
def test_other_time_zones(zone, day, hours, utc_start, utc_end):
    tz = ZoneInfo(zone)
    window = local_days(day, day + DAY, tz).to_utc()
    assert opening_intervals([WeeklyHours(day.weekday(), *hours)], window, tz) == [Interval(utc_start, utc_end)]
    assert free_intervals([WeeklyHours(day.weekday(), *hours)], [], [], window, tz=tz) == [Interval(utc_start, utc_end)]


def test_past_midnight_opening_of_previous_day_spills_into_window():
    # Saturday 22:00-02:00, window only Sunday 00:00-01:00: the whole window is open.
    window = Interval(berlin(2026, 6, 7, 0), berlin(2026, 6, 7, 1))
    assert opening_intervals([WeeklyHours(SAT, time(22), time(2))], window) == [window.to_utc()]
    # and the Sunday entry itself does not open on Sunday night
    assert opening_intervals([WeeklyHours(SUN, time(22), time(2))], window) == []


def test_window_ending_just_after_local_midnight():
    # The window ends on Sunday in Berlin but still on Saturday in UTC.
    window = Interval(berlin(2026, 12, 5, 20), berlin(2026, 12, 6, 0, 45))
    assert as_utc(window.end).date() == date(2026, 12, 5)
    assert opening_intervals([WeeklyHours(SUN, time(0), time(6))], window) == [
        Interval(berlin(2026, 12, 6, 0), berlin(2026, 12, 6, 0, 45)).to_utc()
    ]


def test_adjacent_openings_merge_across_midnight():
    hours = [WeeklyHours(MON, time(20), time(0)), WeeklyHours(TUE, time(0), time(2))]
    window = Interval(berlin(2026, 6, 1), berlin(2026, 6, 3))
    assert opening_intervals(hours, window) == [Interval(berlin(2026, 6, 1, 20), berlin(2026, 6, 2, 2)).to_utc()]


@pytest.mark.parametrize(
    "booking, free, busy",
    [
        # overlaps the opening edge: only the part inside opening hours counts as busy
        ((berlin(2026, 6, 2, 17), berlin(2026, 6, 2, 18, 30)), [(18, 30, 20, 0)], [(18, 0, 18, 30)]),
        ((berlin(2026, 6, 2, 19, 30), berlin(2026, 6, 2, 21)), [(18, 0, 19, 30)], [(19, 30, 20, 0)]),
        # inside
        ((berlin(2026, 6, 2, 18, 30), berlin(2026, 6, 2, 19)), [(18, 0, 18, 30), (19, 0, 20, 0)], [(18, 30, 19, 0)]),
        # exactly the opening, and a larger booking
        ((berlin(2026, 6, 2, 18), berlin(2026, 6, 2, 20)), [], [(18, 0, 20, 0)]),
        ((berlin(2026, 6, 2, 8), berlin(2026, 6, 3, 8)), [], [(18, 0, 20, 0)]),
        # touching the opening from outside: no effect
        ((berlin(2026, 6, 2, 17), berlin(2026, 6, 2, 18)), [(18, 0, 20, 0)], []),
        ((berlin(2026, 6, 2, 20), berlin(2026, 6, 2, 21)), [(18, 0, 20, 0)], []),
        # same booking written in UTC
        ((utc(2026, 6, 2, 15), utc(2026, 6, 2, 16, 30)), [(18, 30, 20, 0)], [(18, 0, 18, 30)]),
    ],
)
def test_booking_is_clipped_to_opening_hours(booking, free, busy):
    window = local_day(date(2026, 6, 2))

    def on_day(spec):
        return [Interval(berlin(2026, 6, 2, a, b), berlin(2026, 6, 2, c, d)).to_utc() for a, b, c, d in spec]

    assert free_intervals(TUESDAY_18_20, [], [Interval(*booking)], window) == on_day(free)
    assert busy_within_opening(TUESDAY_18_20, [], [Interval(*booking)], window) == on_day(busy)
    # a closure over the same time has the same effect
    assert free_intervals(TUESDAY_18_20, [Interval(*booking)], [], window) == on_day(free)


def test_closure_covering_a_whole_day_removes_it():
    hours = [WeeklyHours(wd, time(9), time(17)) for wd in (MON, TUE, WED)]
    window = Interval(berlin(2026, 10, 26), berlin(2026, 10, 29))  # Mon..Wed after fall back
    closure = Interval(berlin(2026, 10, 27), berlin(2026, 10, 28))  # all of Tuesday
    free = free_intervals(hours, [closure], [], window)
    assert free == [
        Interval(utc(2026, 10, 26, 8), utc(2026, 10, 26, 16)),
        Interval(utc(2026, 10, 28, 8), utc(2026, 10, 28, 16)),
    ]
    assert busy_within_opening(hours, [closure], [], window) == [Interval(utc(2026, 10, 27, 8), utc(2026, 10, 27, 16))]


def test_closures_and_bookings_combined():
    hours = [WeeklyHours(SAT, time(10), time(18))]
    window = local_day(date(2026, 6, 6))
    closures = [Interval(berlin(2026, 6, 6, 10), berlin(2026, 6, 6, 12))]
    bookings = [
        Interval(berlin(2026, 6, 6, 11), berlin(2026, 6, 6, 13)),
        Interval(berlin(2026, 6, 6, 15), berlin(2026, 6, 6, 16)),
    ]
    assert free_intervals(hours, closures, bookings, window) == [
        Interval(berlin(2026, 6, 6, 13), berlin(2026, 6, 6, 15)).to_utc(),
        Interval(berlin(2026, 6, 6, 16), berlin(2026, 6, 6, 18)).to_utc(),
    ]
    assert busy_within_opening(hours, closures, bookings, window) == [
        Interval(berlin(2026, 6, 6, 10), berlin(2026, 6, 6, 13)).to_utc(),
        Interval(berlin(2026, 6, 6, 15), berlin(2026, 6, 6, 16)).to_utc(),
    ]


@pytest.mark.parametrize(
    "window, expected",
    [
        ((berlin(2026, 6, 1, 10), berlin(2026, 6, 1, 12)), (berlin(2026, 6, 1, 10), berlin(2026, 6, 1, 12))),
        ((berlin(2026, 6, 1, 7), berlin(2026, 6, 1, 9)), (berlin(2026, 6, 1, 8), berlin(2026, 6, 1, 9))),
        ((berlin(2026, 6, 1, 19), berlin(2026, 6, 1, 23)), (berlin(2026, 6, 1, 19), berlin(2026, 6, 1, 20))),
        ((utc(2026, 6, 1, 6), utc(2026, 6, 1, 6, 30)), (utc(2026, 6, 1, 6), utc(2026, 6, 1, 6, 30))),
    ],
)
def test_window_smaller_than_opening_clips_it(window, expected):
    result = opening_intervals([WeeklyHours(MON, time(8), time(20))], Interval(*window))
    assert result == [Interval(*expected).to_utc()]
    assert free_intervals([WeeklyHours(MON, time(8), time(20))], [], [], Interval(*window)) == result


def test_window_outside_opening_hours_is_empty():
    window = Interval(berlin(2026, 6, 1, 20), berlin(2026, 6, 2, 8))
    assert opening_intervals([WeeklyHours(MON, time(8), time(20))], window) == []
    assert opening_intervals([], window) == []


def test_input_zone_does_not_matter():
    hours = [WeeklyHours(SUN, time(0), time(6))]
    window_berlin = local_day(AUTUMN_2026)
    window_utc = window_berlin.to_utc()
    booking_berlin = Interval(berlin(2026, 10, 25, 2, 30, fold=1), berlin(2026, 10, 25, 3))  # second 02:30 (CET)
    booking_utc = booking_berlin.to_utc()
    assert booking_utc == Interval(utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2))
    a = free_intervals(hours, [], [booking_berlin], window_berlin)
    b = free_intervals(hours, [], [booking_utc], window_utc)
    assert a == b == [
        Interval(utc(2026, 10, 24, 22), utc(2026, 10, 25, 1, 30)),
        Interval(utc(2026, 10, 25, 2), utc(2026, 10, 25, 5)),
    ]


def test_year_long_window_with_many_bookings():
    hours = [
        WeeklyHours(TUE, time(18), time(20)),
        WeeklyHours(SAT, time(22), time(2)),
        WeeklyHours(SUN, time(0), time(6)),
        WeeklyHours(WED, time(9), time(9)),
    ]
    window = Interval(berlin(2026, 1, 1), berlin(2027, 1, 1))
    rng = random.Random(20260329)
    w0 = as_utc(window.start)
    bookings = []
    for _ in range(600):
        start = w0 + timedelta(minutes=15 * rng.randrange(0, 4 * 24 * 365))
        bookings.append(Interval(start, start + timedelta(minutes=15 * rng.randrange(1, 16))))

    free = free_intervals(hours, [], bookings, window)
    busy = busy_within_opening(hours, [], bookings, window)
    opening = opening_intervals(hours, window)

    assert merge([*free, *busy]) == opening
    merged_bookings = merge(bookings)
    assert intersect(free, merged_bookings) == []
    # Every Tuesday opening is 18:00-20:00 local all year, whatever the UTC offset.
    tuesdays = opening_intervals(TUESDAY_18_20, window)
    assert len(tuesdays) == 52
    assert {(local_wall(o.start)[:2], local_wall(o.end)[:2]) for o in tuesdays} == {((TUE, time(18)), (TUE, time(20)))}
    assert {local_wall(o.start)[2] for o in tuesdays} == {1, 2}


# ---------------------------------------------------------------- value objects


@pytest.mark.parametrize(
    "start, end",
    [
        (datetime(2026, 6, 1, 10), utc(2026, 6, 1, 11)),  # naive start
        (utc(2026, 6, 1, 10), datetime(2026, 6, 1, 11)),  # naive end
        (datetime(2026, 6, 1, 10), datetime(2026, 6, 1, 11)),
        (utc(2026, 6, 1, 11), utc(2026, 6, 1, 10)),  # reversed
        (utc(2026, 6, 1, 10), utc(2026, 6, 1, 10)),  # empty
        (utc(2026, 6, 1, 10), berlin(2026, 6, 1, 12)),  # empty: the same instant in two zones
        (berlin(2026, 6, 1, 14), utc(2026, 6, 1, 11)),  # reversed across zones: 14:00 CEST is 12:00 UTC
        # second 02:30 (01:30 UTC) is after first 02:45 (00:45 UTC), although the wall clock says otherwise
        (berlin(2026, 10, 25, 2, 30, fold=1), berlin(2026, 10, 25, 2, 45, fold=0)),
    ],
)
def test_interval_rejects_naive_reversed_and_empty(start, end):
    with pytest.raises(ValueError):
        Interval(start, end)


class _NoOffset(tzinfo):
    def utcoffset(self, dt):
        return None

    def dst(self, dt):
        return None


def test_interval_rejects_tzinfo_without_offset_and_non_datetimes():
    with pytest.raises(ValueError):
        Interval(datetime(2026, 6, 1, tzinfo=_NoOffset()), utc(2026, 6, 2))
    with pytest.raises(TypeError):
        Interval(date(2026, 6, 1), utc(2026, 6, 2))


def test_interval_duration_and_overlaps():
    assert Interval(berlin(2026, 10, 25, 0), berlin(2026, 10, 25, 6)).duration == 7 * H
    assert Interval(berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 6)).duration == 5 * H
    assert Interval(utc(2026, 6, 1, 10), berlin(2026, 6, 1, 14)).duration == 2 * H
    a = Interval(utc(2026, 6, 1, 10), utc(2026, 6, 1, 12))
    assert a.overlaps(Interval(utc(2026, 6, 1, 11), utc(2026, 6, 1, 13)))
    assert a.overlaps(Interval(berlin(2026, 6, 1, 12), berlin(2026, 6, 1, 12, 1)))  # 10:00 UTC
    assert not a.overlaps(Interval(utc(2026, 6, 1, 12), utc(2026, 6, 1, 13)))  # touching
    assert not a.overlaps(Interval(berlin(2026, 6, 1, 11), berlin(2026, 6, 1, 12)))  # touching, other zone
    assert not Interval(utc(2026, 6, 1, 12), utc(2026, 6, 1, 13)).overlaps(a)
    assert a.contains(berlin(2026, 6, 1, 12)) and not a.contains(berlin(2026, 6, 1, 14))
    # fold-aware: first 02:00-02:30 (CEST) and second 02:00-02:30 (CET) are different hours
    first = Interval(berlin(2026, 10, 25, 2, 0), berlin(2026, 10, 25, 2, 30))
    second = Interval(berlin(2026, 10, 25, 2, 0, fold=1), berlin(2026, 10, 25, 2, 30, fold=1))
    assert not first.overlaps(second)
    assert merge([first, second]) == [first.to_utc(), second.to_utc()]


def test_merge_and_subtract_edge_cases():
    a = Interval(utc(2026, 6, 1, 10), utc(2026, 6, 1, 12))
    b = Interval(berlin(2026, 6, 1, 14), berlin(2026, 6, 1, 15))  # 12:00-13:00 UTC, touches a
    c = Interval(utc(2026, 6, 1, 11), utc(2026, 6, 1, 11, 30))  # inside a
    assert merge([b, c, a]) == [Interval(utc(2026, 6, 1, 10), utc(2026, 6, 1, 13))]
    assert merge([]) == []
    assert subtract([a], []) == [a]
    assert subtract([], [a]) == []
    assert subtract([a], [c]) == [
        Interval(utc(2026, 6, 1, 10), utc(2026, 6, 1, 11)),
        Interval(utc(2026, 6, 1, 11, 30), utc(2026, 6, 1, 12)),
    ]
    assert subtract([a], [a]) == []
    assert subtract([a], [b]) == [a]
    # tiny gaps survive: a microsecond between two bookings is free
    us = timedelta(microseconds=1)
    left = Interval(utc(2026, 6, 1, 10), utc(2026, 6, 1, 11))
    right = Interval(utc(2026, 6, 1, 11) + us, utc(2026, 6, 1, 12))
    assert subtract([a], [left, right]) == [Interval(utc(2026, 6, 1, 11), utc(2026, 6, 1, 11) + us)]
    assert merge([left, right]) == [left, right]


@pytest.mark.parametrize("weekday", [-1, 7, 10, True, 1.0, "1"])
def test_weekly_hours_rejects_bad_weekday(weekday):
    with pytest.raises(ValueError):
        WeeklyHours(weekday, time(9), time(17))


def test_weekly_hours_accepts_all_weekdays_and_rejects_bad_times():
    for wd in range(7):
        assert WeeklyHours(wd, time(9), time(17)).weekday == wd
    with pytest.raises(ValueError):
        WeeklyHours(MON, "09:00", time(17))
    with pytest.raises(ValueError):
        WeeklyHours(MON, time(9, tzinfo=UTC), time(17))
