"""The usage report's arithmetic (spaces.core.usage), without a database: weekday counts, Berlin's clock
changes, and hours open from the weekly pieces equal to the booking rules' own opening intervals
(spaces.core.availability), in total and per heat-grid cell, around both clock changes."""

from datetime import date, time

import pytest

from spaces.core.availability import WeeklyHours, opening_intervals
from spaces.core.usage import (
    HOUR,
    Figures,
    HeatGrid,
    Transition,
    booked_cells,
    cells_of,
    local_window,
    open_time,
    parse_week,
    transitions,
    week_of,
    weekday_counts,
)


def test_weekday_counts():
    # 19.10.2026 is a Monday; two weeks and two days: Monday and Tuesday three times
    assert weekday_counts(date(2026, 10, 19), date(2026, 11, 3)) == (3, 3, 2, 2, 2, 2, 2)
    assert weekday_counts(date(2026, 10, 21), date(2026, 10, 21)) == (0, 0, 1, 0, 0, 0, 0)
    assert weekday_counts(date(2026, 10, 22), date(2026, 10, 21)) == (0,) * 7


def test_berlins_clock_changes():
    assert transitions(date(2026, 1, 1), date(2027, 12, 31)) == [
        Transition(date(2026, 3, 29), 2, True), Transition(date(2026, 10, 25), 2, False),
        Transition(date(2027, 3, 28), 2, True), Transition(date(2027, 10, 31), 2, False)]
    assert transitions(date(2026, 3, 30), date(2026, 10, 24)) == []


def test_parse_week_reads_postgresqls_text():
    assert parse_week("{}").pieces == ()
    assert parse_week("{[64800,72000),[151200,158400)}").pieces == ((64800, 72000), (151200, 158400))


AWKWARD = {
    "Tue 18-22 and Sat 22-Sun 04 (through both clock-change nights)": [
        WeeklyHours(1, time(18), time(22)), WeeklyHours(5, time(22), time(4))],
    "Sun 01:00-02:30 and 02:45-04:00 (into and out of the changing hour)": [
        WeeklyHours(6, time(1), time(2, 30)), WeeklyHours(6, time(2, 45), time(4))],
    "Sun 02:10-02:40 (inside it)": [WeeklyHours(6, time(2, 10), time(2, 40))],
    "Sat 23:00-Sun 03:00 (ends where the repeated hour ends)": [WeeklyHours(5, time(23), time(3))],
    "every day 24 hours (opens = closes)": [WeeklyHours(d, time(9), time(9)) for d in range(7)],
    "touching Tue 10-14 and 14-18, Fri 20-02": [
        WeeklyHours(1, time(10), time(14)), WeeklyHours(1, time(14), time(18)), WeeklyHours(4, time(20), time(2))],
    "Sun 00:00-00:00 (a whole Sunday, into Monday)": [WeeklyHours(6, time(0), time(0))],
    "Sun 03:00-05:00 (after the changing hour)": [WeeklyHours(6, time(3), time(5))],
}
PERIODS = [(date(2026, 3, 22), date(2026, 4, 5)), (date(2026, 10, 18), date(2026, 11, 1)),
           (date(2026, 1, 1), date(2026, 12, 31)), (date(2026, 10, 25), date(2026, 10, 25)),
           (date(2026, 3, 28), date(2026, 3, 29))]


@pytest.mark.parametrize("first,last", PERIODS)
@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_hours_open_equal_the_booking_rules_opening_intervals(name, first, last):
    hours = AWKWARD[name]
    expected = opening_intervals(hours, local_window(first, last))
    opened = open_time(week_of(hours), first, last)
    assert opened.seconds == sum(iv.duration.total_seconds() for iv in expected)
    grid, truth = HeatGrid(), HeatGrid()
    grid.add_week(week_of(hours), opened.counts, opened.corrections)
    for interval in expected:
        truth.add_open(cells_of(interval))
    assert grid.open == truth.open


def test_the_autumn_night_counts_its_repeated_hour_in_its_cell():
    # Saturday 24.10.2026 22:00 to Sunday 04:00: seven real hours, two of them in Sunday's 2 o'clock cell
    hours = [WeeklyHours(5, time(22), time(4))]
    opened = open_time(week_of(hours), date(2026, 10, 24), date(2026, 10, 25))
    assert opened.seconds == 7 * HOUR
    grid = HeatGrid()
    grid.add_week(week_of(hours), opened.counts, opened.corrections)
    assert grid.open[6 * 24 + 2] == 2 * HOUR and grid.open[6 * 24 + 3] == HOUR and grid.open[5 * 24 + 22] == HOUR
    # and in spring that cell never opens
    opened = open_time(week_of(hours), date(2026, 3, 28), date(2026, 3, 29))
    assert opened.seconds == 5 * HOUR
    grid = HeatGrid()
    grid.add_week(week_of(hours), opened.counts, opened.corrections)
    assert grid.open[6 * 24 + 2] == 0 and grid.share(6 * 24 + 2) is None


def test_figures_unite_groups_cap_utilisation_and_share_declined():
    a = Figures(open_seconds=10 * HOUR, booked_seconds=4 * HOUR, confirmed=2, declined=1, groups={1, 2}, spaces=1)
    b = Figures(open_seconds=2 * HOUR, booked_seconds=3 * HOUR, confirmed=1, groups={2, 3}, spaces=1)
    assert a.utilisation == 0.4 and a.declined_share == pytest.approx(1 / 3)
    assert b.utilisation == 1.0 and b.overbooked
    total = Figures()
    total.add(a)
    total.add(b)
    assert total.group_count == 3 and total.spaces == 2 and total.declined_share == 0.25
    assert total.utilisation == pytest.approx(7 / 12) and not total.overbooked
    assert Figures().utilisation is None and Figures().declined_share is None


def test_booked_cells_equals_cutting_each_booking_into_hours():
    """The heat grid's booked time from the pieces' starts and ends counted per hour equals cutting every
    booking into hours (cells_of), across both clock changes and over the window's edges."""
    import random
    from datetime import timedelta

    from spaces.core.availability import Interval

    window = local_window(date(2026, 3, 27), date(2026, 10, 27))
    rnd = random.Random(14)
    pieces = []
    for _ in range(400):
        start = window.start + timedelta(minutes=rnd.randrange(-900, int((window.end - window.start).total_seconds()
                                                                           // 60) + 900))
        pieces.append((start, start + timedelta(minutes=rnd.randrange(1, 40 * 60)), rnd.randrange(0, 3)))
    expected = [0.0] * 168
    for start, end, n in pieces:
        start, end = max(start, window.start), min(end, window.end)
        if end > start:
            for cell, seconds in cells_of(Interval(start, end)).items():
                expected[cell] += n * seconds
    assert booked_cells(window, pieces) == expected
    assert booked_cells(window, []) == [0.0] * 168
