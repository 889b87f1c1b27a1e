"""Tests for spaces.core.recurrence: series of meetings expanded in Berlin wall-clock time.

Pure tests, no database. Europe/Berlin DST dates used below:
2026: forward Sun 29 March (02:00 -> 03:00), back Sun 25 October (03:00 -> 02:00);
2027: forward Sun 28 March, back Sun 31 October.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from dateutil.rrule import rrulestr
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from spaces.core import recurrence
from spaces.core.availability import BERLIN, Interval
from spaces.core.recurrence import (
    MAX_DAYS_AHEAD,
    MAX_OCCURRENCES,
    AmbiguousTime,
    Frequency,
    NonexistentTime,
    RecurrenceError,
    SeriesRequest,
    TooManyOccurrences,
    describe,
    expand,
    occurrence_dates,
    rrule_text,
)

UTC = UTC
H = timedelta(hours=1)
DAY = timedelta(days=1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(iv_start: datetime) -> datetime:
    """Naive Berlin wall time of an aware instant."""
    return iv_start.astimezone(BERLIN).replace(tzinfo=None)


def weekly(first_day, starts, ends, **kw) -> SeriesRequest:
    return SeriesRequest(first_day, starts, ends, Frequency.WEEKLY, **kw)


# ----------------------------------------------------------------- DST: wall clock stays put


def test_weekly_series_keeps_local_time_across_autumn_change():
    series = weekly(date(2026, 10, 6), time(18), time(20), until=date(2026, 11, 24))
    meetings = expand(series)
    assert len(meetings) == 8
    assert [local(m.start).date() for m in meetings] == [date(2026, 10, 6) + 7 * k * DAY for k in range(8)]
    assert all(local(m.start).time() == time(18) and local(m.end).time() == time(20) for m in meetings)
    # 6, 13, 20 October: CEST; from 27 October: CET
    assert meetings[2] == Interval(utc(2026, 10, 20, 16), utc(2026, 10, 20, 18))
    assert meetings[3] == Interval(utc(2026, 10, 27, 17), utc(2026, 10, 27, 19))
    assert [m.start.hour for m in meetings] == [16, 16, 16, 17, 17, 17, 17, 17]
    assert all(m.start.tzinfo is UTC and m.end.tzinfo is UTC for m in meetings)
    assert all(m.duration == 2 * H for m in meetings)
    assert meetings == sorted(meetings)


def test_weekly_series_keeps_local_time_across_spring_change():
    series = weekly(date(2027, 3, 16), time(18), time(20), until=date(2027, 4, 6))
    meetings = expand(series)
    assert [m.start for m in meetings] == [
        utc(2027, 3, 16, 17),
        utc(2027, 3, 23, 17),
        utc(2027, 3, 30, 16),
        utc(2027, 4, 6, 16),
    ]
    assert all(local(m.start).time() == time(18) for m in meetings)


def test_until_is_inclusive_and_need_not_be_a_meeting_day():
    on_day = weekly(date(2026, 10, 6), time(18), time(20), until=date(2026, 10, 20))
    after = weekly(date(2026, 10, 6), time(18), time(20), until=date(2026, 10, 26))
    assert len(expand(on_day)) == 3
    assert len(expand(after)) == 3


# ----------------------------------------------------------------- frequencies


def test_biweekly_with_count():
    series = SeriesRequest(date(2026, 10, 6), time(18), time(20), Frequency.BIWEEKLY, count=5)
    meetings = expand(series)
    assert [local(m.start).date() for m in meetings] == [
        date(2026, 10, 6),
        date(2026, 10, 20),
        date(2026, 11, 3),
        date(2026, 11, 17),
        date(2026, 12, 1),
    ]
    assert [m.start.hour for m in meetings] == [16, 16, 17, 17, 17]


def test_monthly_same_day_of_month():
    series = SeriesRequest(date(2026, 1, 15), time(10), time(12), Frequency.MONTHLY, until=date(2026, 6, 30))
    assert occurrence_dates(series) == [date(2026, m, 15) for m in range(1, 7)]
    meetings = expand(series)
    assert meetings[0].start == utc(2026, 1, 15, 9)  # CET
    assert meetings[-1].start == utc(2026, 6, 15, 8)  # CEST


def test_monthly_on_the_31st_skips_short_months():
    series = SeriesRequest(date(2026, 1, 31), time(18), time(20), Frequency.MONTHLY, until=date(2026, 12, 31))
    assert occurrence_dates(series) == [date(2026, m, 31) for m in (1, 3, 5, 7, 8, 10, 12)]
    counted = replace(series, until=None, count=4)
    assert occurrence_dates(counted) == [date(2026, 1, 31), date(2026, 3, 31), date(2026, 5, 31), date(2026, 7, 31)]
    assert all(local(m.start).time() == time(18) for m in expand(counted))


def test_monthly_by_weekday():
    # 10 Nov 2026 is the second Tuesday of November
    series = SeriesRequest(
        date(2026, 11, 10), time(18), time(20), Frequency.MONTHLY, count=4, monthly_by_weekday=True
    )
    assert occurrence_dates(series) == [date(2026, 11, 10), date(2026, 12, 8), date(2027, 1, 12), date(2027, 2, 9)]
    assert rrule_text(series) == "FREQ=MONTHLY;COUNT=4;BYDAY=+2TU"
    assert describe(series) == "jeden 2. Dienstag im Monat, 18:00–20:00 Uhr, vom 10.11.2026 bis 9.2.2027 (4 Termine)"
    # 29 Dec 2026, a Tuesday in the fifth week: the last Tuesday of each month
    last = replace(series, first_day=date(2026, 12, 29), count=3)
    assert occurrence_dates(last) == [date(2026, 12, 29), date(2027, 1, 26), date(2027, 2, 23)]
    assert describe(last).startswith("jeden letzten Dienstag im Monat, ")


def test_once_is_a_single_meeting():
    series = SeriesRequest(date(2026, 10, 25), time(18), time(20), Frequency.ONCE)
    assert expand(series) == [Interval(utc(2026, 10, 25, 17), utc(2026, 10, 25, 19))]
    assert rrule_text(series) == ""


def test_frequency_may_be_given_as_string():
    series = SeriesRequest(date(2026, 10, 6), time(18), time(20), "weekly", count=2)
    assert series.frequency is Frequency.WEEKLY
    assert len(expand(series)) == 2


# ----------------------------------------------------------------- nonexistent and ambiguous times


def test_nonexistent_start_is_refused_with_the_date():
    series = SeriesRequest(date(2026, 3, 15), time(2, 30), time(4), Frequency.WEEKLY, until=date(2026, 4, 12))
    with pytest.raises(NonexistentTime) as info:
        expand(series)
    err = info.value
    assert err.code == "nonexistent"
    assert err.dates == (date(2026, 3, 29),)
    assert "29.03.2026" in err.message and "02:30" in err.message
    assert str(err) == err.message
    assert isinstance(err, RecurrenceError) and isinstance(err, ValueError)


def test_nonexistent_end_is_refused_too():
    # Saturday 23:00 to Sunday 02:15 across the spring-forward night
    series = weekly(date(2026, 3, 21), time(23), time(2, 15), count=3, ends_next_day=True)
    with pytest.raises(NonexistentTime) as info:
        expand(series)
    assert info.value.dates == (date(2026, 3, 29),)
    assert info.value.times == (time(2, 15),)


def test_nonexistent_lists_every_affected_date():
    # every last Sunday of the month at 02:30 (29 March 2026 is a fifth Sunday), over two spring
    # changes; the autumn ones in between are ambiguous, but the nonexistent ones are reported
    series = SeriesRequest(
        date(2026, 3, 29), time(2, 30), time(3, 30), Frequency.MONTHLY, count=13, monthly_by_weekday=True
    )
    with pytest.raises(NonexistentTime) as info:
        expand(series)
    assert info.value.dates == (date(2026, 3, 29), date(2027, 3, 28))
    assert "29.03.2026" in info.value.message and "28.03.2027" in info.value.message


def test_nonexistent_wins_over_ambiguous_and_fold_does_not_help():
    series = weekly(date(2026, 3, 1), time(2, 30), time(3, 30), until=date(2026, 11, 1), fold=0)
    with pytest.raises(NonexistentTime):
        expand(series)


def test_ambiguous_start_needs_a_decision():
    series = SeriesRequest(date(2026, 10, 25), time(2, 30), time(3, 30), Frequency.ONCE)
    with pytest.raises(AmbiguousTime) as info:
        expand(series)
    err = info.value
    assert err.code == "ambiguous"
    assert err.dates == (date(2026, 10, 25),)
    assert "25.10.2026" in err.message and "Sommerzeit" in err.message and "Winterzeit" in err.message


@pytest.mark.parametrize(("fold", "start_hour"), [(0, 0), (1, 1)])
def test_fold_decides_the_ambiguous_time(fold, start_hour):
    series = SeriesRequest(date(2026, 10, 25), time(2, 30), time(3, 30), Frequency.ONCE, fold=fold)
    [meeting] = expand(series)
    assert meeting.start == utc(2026, 10, 25, start_hour, 30)
    assert meeting.end == utc(2026, 10, 25, 2, 30)  # 03:30 CET exists once


def test_ambiguous_time_in_a_weekly_series():
    series = SeriesRequest(date(2026, 10, 11), time(2, 30), time(3, 30), Frequency.WEEKLY, count=4)
    with pytest.raises(AmbiguousTime) as info:
        expand(series)
    assert info.value.dates == (date(2026, 10, 25),)
    decided = expand(replace(series, fold=1))
    assert [m.start for m in decided] == [
        utc(2026, 10, 11, 0, 30),
        utc(2026, 10, 18, 0, 30),
        utc(2026, 10, 25, 1, 30),
        utc(2026, 11, 1, 1, 30),
    ]


def test_ambiguous_end_past_midnight():
    # Saturday 22:00 to Sunday 02:00 over the fall-back night: 02:00 exists twice
    series = SeriesRequest(date(2026, 10, 24), time(22), time(2), Frequency.ONCE, ends_next_day=True)
    with pytest.raises(AmbiguousTime) as info:
        expand(series)
    assert info.value.dates == (date(2026, 10, 25),)
    assert info.value.times == (time(2),)
    [first] = expand(replace(series, fold=0))
    [second] = expand(replace(series, fold=1))
    assert first.duration == 4 * H and second.duration == 5 * H


# ----------------------------------------------------------------- past midnight


def test_past_midnight_meetings_end_next_day():
    series = weekly(date(2026, 10, 20), time(22), time(1), count=2, ends_next_day=True)
    assert series.past_midnight
    meetings = expand(series)
    assert meetings == [
        Interval(utc(2026, 10, 20, 20), utc(2026, 10, 20, 23)),  # CEST
        Interval(utc(2026, 10, 27, 21), utc(2026, 10, 28, 0)),  # CET
    ]
    assert [local(m.end) for m in meetings] == [datetime(2026, 10, 21, 1), datetime(2026, 10, 28, 1)]


def test_past_midnight_over_the_autumn_night_lasts_an_hour_longer():
    series = SeriesRequest(date(2026, 10, 24), time(22), time(4), Frequency.ONCE, ends_next_day=True)
    [meeting] = expand(series)
    assert meeting == Interval(utc(2026, 10, 24, 20), utc(2026, 10, 25, 3))
    assert meeting.duration == 7 * H


# ----------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "code", "words"),
    [
        (dict(starts=time(18), ends=time(18)), "same_time", "Beginn und Ende sind gleich"),
        (dict(starts=time(20), ends=time(18)), "ends_before_start", "Ende liegt vor dem Beginn"),
        (dict(starts=time(18), ends=time(20), ends_next_day=True), "longer_than_a_day", "höchstens 24 Stunden"),
        (dict(until=date(2026, 10, 5)), "until_before_start", "vor dem ersten Termin"),
        (dict(until=None), "missing_end", "Enddatum oder eine Anzahl"),
        (dict(count=3), "until_and_count", "nicht beides"),
        (dict(until=None, count=0), "count_too_small", "mindestens 1"),
        (dict(until=None, count=-2), "count_too_small", "mindestens 1"),
        (dict(frequency="daily"), "invalid_frequency", "Unbekannte Wiederholung"),
        (dict(fold=2), "invalid_fold", "Sommerzeit"),
        (dict(frequency=Frequency.ONCE), "once_with_end", "einmaliger Termin"),
        (dict(monthly_by_weekday=True), "by_weekday_not_monthly", "monatlicher"),
    ],
)
def test_validation_errors(kwargs, code, words):
    base = dict(
        first_day=date(2026, 10, 6), starts=time(18), ends=time(20), frequency=Frequency.WEEKLY, until=date(2026, 12, 1)
    )
    with pytest.raises(RecurrenceError) as info:
        SeriesRequest(**{**base, **kwargs})
    assert info.value.code == code
    assert words in info.value.message


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(first_day=datetime(2026, 10, 6, 18)),
        dict(first_day="2026-10-06"),
        dict(starts="18:00"),
        dict(ends=time(20, tzinfo=UTC)),
        dict(until=datetime(2026, 12, 1)),
        dict(until=None, count=True),
    ],
)
def test_wrong_types_are_type_errors(kwargs):
    base = dict(
        first_day=date(2026, 10, 6), starts=time(18), ends=time(20), frequency=Frequency.WEEKLY, until=date(2026, 12, 1)
    )
    with pytest.raises(TypeError):
        SeriesRequest(**{**base, **kwargs})


def test_too_many_occurrences_by_count():
    series = weekly(date(2026, 1, 6), time(18), time(20), count=MAX_OCCURRENCES + 1)
    with pytest.raises(TooManyOccurrences) as info:
        expand(series)
    assert info.value.code == "too_many"
    assert str(MAX_OCCURRENCES) in info.value.message


def test_too_far_ahead_by_until():
    first = date(2026, 11, 3)
    ok = weekly(first, time(18), time(20), until=first + timedelta(days=MAX_DAYS_AHEAD))
    assert len(expand(ok)) == MAX_DAYS_AHEAD // 7 + 1
    with pytest.raises(TooManyOccurrences) as info:
        expand(replace(ok, until=first + timedelta(days=MAX_DAYS_AHEAD + 1)))
    assert info.value.code == "too_far"
    assert isinstance(info.value, RecurrenceError)


def test_too_far_ahead_by_count():
    # 30 monthly meetings reach 2.5 years ahead
    series = SeriesRequest(date(2026, 1, 15), time(18), time(20), Frequency.MONTHLY, count=30)
    with pytest.raises(TooManyOccurrences) as info:
        describe(series)
    assert info.value.code == "too_far"


def test_limits_are_read_at_call_time(monkeypatch):
    monkeypatch.setattr(recurrence, "MAX_OCCURRENCES", 3)
    series = weekly(date(2026, 10, 6), time(18), time(20), until=date(2026, 11, 24))
    with pytest.raises(TooManyOccurrences):
        expand(series)
    assert len(expand(replace(series, until=date(2026, 10, 20)))) == 3


# ----------------------------------------------------------------- rrule_text


@pytest.mark.parametrize(
    ("series", "text"),
    [
        (weekly(date(2026, 11, 3), time(18), time(20), until=date(2027, 6, 30)), "FREQ=WEEKLY;UNTIL=20270630T235959"),
        (
            SeriesRequest(date(2026, 11, 3), time(18), time(20), Frequency.BIWEEKLY, until=date(2027, 6, 30)),
            "FREQ=WEEKLY;INTERVAL=2;UNTIL=20270630T235959",
        ),
        (SeriesRequest(date(2026, 1, 31), time(9), time(10), Frequency.MONTHLY, count=6), "FREQ=MONTHLY;COUNT=6"),
        (weekly(date(2026, 10, 24), time(22), time(1), count=5, ends_next_day=True), "FREQ=WEEKLY;COUNT=5"),
    ],
)
def test_rrule_text_round_trips(series, text):
    assert rrule_text(series) == text
    dtstart = datetime.combine(series.first_day, series.starts)
    assert series.dtstart == dtstart
    parsed = list(rrulestr(text, dtstart=dtstart))
    assert parsed == [local(m.start) for m in expand(series)]


# ----------------------------------------------------------------- describe


@pytest.mark.parametrize(
    ("series", "text"),
    [
        (
            weekly(date(2026, 11, 3), time(18), time(20), until=date(2027, 6, 30)),
            "jeden Dienstag, 18:00–20:00 Uhr, vom 3.11.2026 bis 30.6.2027 (35 Termine)",
        ),
        (
            SeriesRequest(date(2026, 10, 6), time(18), time(20), Frequency.BIWEEKLY, count=5),
            "jeden zweiten Dienstag, 18:00–20:00 Uhr, vom 6.10.2026 bis 1.12.2026 (5 Termine)",
        ),
        (
            SeriesRequest(date(2026, 1, 15), time(9, 30), time(11), Frequency.MONTHLY, until=date(2026, 6, 30)),
            "jeden 15. des Monats, 09:30–11:00 Uhr, vom 15.1.2026 bis 30.6.2026 (6 Termine)",
        ),
        (
            SeriesRequest(date(2026, 1, 31), time(18), time(20), Frequency.MONTHLY, count=3),
            "jeden 31. des Monats (in Monaten ohne 31. kein Termin), 18:00–20:00 Uhr,"
            " vom 31.1.2026 bis 31.5.2026 (3 Termine)",
        ),
        (
            SeriesRequest(date(2026, 11, 3), time(18), time(20), Frequency.ONCE),
            "einmalig am Dienstag, 3.11.2026, 18:00–20:00 Uhr",
        ),
        (
            weekly(date(2026, 11, 6), time(22), time(1), count=1, ends_next_day=True),
            "jeden Freitag, 22:00–01:00 Uhr (Ende am Folgetag), vom 6.11.2026 bis 6.11.2026 (1 Termin)",
        ),
    ],
)
def test_describe(series, text):
    assert describe(series) == text


def test_describe_does_not_need_the_ambiguous_time_decided():
    series = SeriesRequest(date(2026, 10, 25), time(2, 30), time(3, 30), Frequency.ONCE)
    assert describe(series) == "einmalig am Sonntag, 25.10.2026, 02:30–03:30 Uhr"


# ----------------------------------------------------------------- property


@st.composite
def weekly_series(draw):
    first_day = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
    starts = draw(st.times(min_value=time(6), max_value=time(23)).map(lambda t: t.replace(microsecond=0)))
    ends = draw(st.times().map(lambda t: t.replace(microsecond=0)))
    assume(ends != starts)
    assume(not time(2) <= ends < time(3))  # past midnight into a DST night: tested above
    if draw(st.booleans()):
        until = draw(st.dates(min_value=first_day, max_value=min(first_day + timedelta(days=700), date(2028, 12, 31))))
        return weekly(first_day, starts, ends, until=until, ends_next_day=ends < starts)
    return weekly(first_day, starts, ends, count=draw(st.integers(min_value=1, max_value=100)),
                  ends_next_day=ends < starts)


@settings(max_examples=200, deadline=None)
@given(weekly_series())
def test_weekly_series_keep_wall_clock_time(series):
    meetings = expand(series)
    starts = [local(m.start) for m in meetings]
    ends = [local(m.end) for m in meetings]
    if series.count is not None:
        assert len(meetings) == series.count
    else:
        assert len(meetings) == (series.until - series.first_day).days // 7 + 1
        assert starts[-1].date() <= series.until
    assert starts[0].date() == series.first_day
    wall_duration = ends[0] - starts[0]
    assert timedelta(0) < wall_duration < DAY
    for start, end in zip(starts, ends):
        assert start.time() == series.starts
        assert start.weekday() == series.first_day.weekday()
        assert end - start == wall_duration  # equal in wall-clock terms
    for before, after in zip(starts, starts[1:]):
        assert (after.date() - before.date()).days == 7
    for m in meetings:  # real durations differ from wall durations by at most the DST hour
        assert abs(m.duration - wall_duration) <= H
        assert m.start.tzinfo is UTC
    assert meetings == sorted(meetings)


# ----------------------------------------------------------------------------- dates left out (public holidays)


def test_a_count_with_skipped_dates_still_gives_that_many_meetings():
    from spaces.core.recurrence import series_dates

    fridays = SeriesRequest(first_day=date(2026, 12, 18), starts=time(18), ends=time(20), frequency=Frequency.WEEKLY,
                            count=4)
    holidays = {date(2026, 12, 25), date(2027, 1, 1)}
    assert series_dates(fridays, holidays) == (
        [date(2026, 12, 18), date(2027, 1, 8), date(2027, 1, 15), date(2027, 1, 22)],
        [date(2026, 12, 25), date(2027, 1, 1)])
    assert len(expand(fridays, skip=holidays)) == 4
    assert describe(fridays, holidays).endswith("(4 Termine, ohne 2 Feiertage)")
    until = SeriesRequest(first_day=date(2026, 12, 18), starts=time(18), ends=time(20), frequency=Frequency.WEEKLY,
                          until=date(2027, 1, 1))
    assert series_dates(until, holidays) == ([date(2026, 12, 18)], [date(2026, 12, 25), date(2027, 1, 1)])
    assert series_dates(until) == ([date(2026, 12, 18), date(2026, 12, 25), date(2027, 1, 1)], [])


def test_niedersachsen_holidays_from_the_library():
    from spaces.core import holidays

    found = holidays.between(date(2027, 3, 1), date(2027, 12, 31))
    assert found[date(2027, 3, 29)] == "Ostermontag"
    assert found[date(2027, 10, 31)] == "Reformationstag"  # a holiday in Niedersachsen since 2018
    assert date(2027, 1, 6) not in found and date(2027, 11, 1) not in found  # not holidays in Niedersachsen
