"""Tests for spaces.core.bookability, the one set of rules: pure, no database.

Europe/Berlin DST 2027: forward Sun 28 March (02:00 -> 03:00), back Sun 31 October (03:00 -> 02:00).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spaces.core.availability import BERLIN, Interval, WeeklyHours, merge
from spaces.core.bookability import (
    TIME_CODES,
    Closing,
    Occupancy,
    SpaceTerms,
    bookable_span,
    check,
    free_time,
    horizon,
    may_act_for,
    request_problems,
    slot_problems,
    usable_time,
)

UTC = UTC
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
Q = timedelta(minutes=15)


def berlin(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN)


def codes(problems) -> set[str]:
    return {p.code for p in problems}


def inside(slot: Interval, free: list[Interval]) -> bool:
    return any(f.start <= slot.start.astimezone(UTC) and slot.end.astimezone(UTC) <= f.end for f in free)


NOW = berlin(2027, 3, 1, 9)  # a Monday morning
NO_ONE = Occupancy()
ALL_WEEK = tuple(WeeklyHours(d, time(0), time(0)) for d in range(7))  # opens == closes: around the clock


# ------------------------------------------------------------------ each rule, by hand


def test_touching_openings_are_one_opening():
    terms = SpaceTerms(capacity=10, hours=(WeeklyHours(TUE, time(10), time(14)), WeeklyHours(TUE, time(14), time(18))))
    slot = Interval(berlin(2027, 3, 2, 13), berlin(2027, 3, 2, 15))
    assert slot_problems(terms, NO_ONE, slot, NOW) == []
    assert free_time(terms, NO_ONE, slot, NOW) == [slot.to_utc()]


def test_an_opening_past_midnight_is_one_opening():
    terms = SpaceTerms(capacity=10, hours=(WeeklyHours(FRI, time(20), time(2)),))
    assert slot_problems(terms, NO_ONE, Interval(berlin(2027, 3, 5, 23), berlin(2027, 3, 6, 1)), NOW) == []
    late = slot_problems(terms, NO_ONE, Interval(berlin(2027, 3, 6, 1), berlin(2027, 3, 6, 3)), NOW)
    assert codes(late) == {"outside_hours"}


def test_the_period_runs_from_local_midnight_to_local_midnight():
    terms = SpaceTerms(capacity=10, hours=ALL_WEEK, available_from=date(2027, 3, 10), available_until=date(2027, 3, 20))
    assert codes(slot_problems(terms, NO_ONE, Interval(berlin(2027, 3, 9, 23), berlin(2027, 3, 10, 1)), NOW)) == {
        "before_period"}
    assert slot_problems(terms, NO_ONE, Interval(berlin(2027, 3, 10, 0), berlin(2027, 3, 10, 1)), NOW) == []
    assert slot_problems(terms, NO_ONE, Interval(berlin(2027, 3, 20, 22), berlin(2027, 3, 21, 0)), NOW) == []
    assert codes(slot_problems(terms, NO_ONE, Interval(berlin(2027, 3, 20, 23), berlin(2027, 3, 21, 1)), NOW)) == {
        "after_period"}
    week = Interval(berlin(2027, 3, 8), berlin(2027, 3, 22))
    assert free_time(terms, NO_ONE, week, NOW) == [Interval(berlin(2027, 3, 10), berlin(2027, 3, 21)).to_utc()]


def test_a_period_that_ended_leaves_nothing_bookable():
    terms = SpaceTerms(capacity=10, hours=(WeeklyHours(TUE, time(9), time(21)),), available_until=date(2020, 6, 30))
    assert bookable_span(terms, NOW) is None
    assert free_time(terms, NO_ONE, Interval(berlin(2027, 3, 1), berlin(2027, 3, 8)), NOW) == []


def test_the_advance_window_counts_calendar_days_in_berlin():
    """30 days ahead on Monday 1 March 2027, 9:00: the last bookable day is Wednesday 31 March."""
    terms = SpaceTerms(capacity=10, hours=ALL_WEEK, max_days_in_advance=30)
    assert horizon(terms, NOW) == berlin(2027, 4, 1).astimezone(UTC)
    assert slot_problems(terms, NO_ONE, Interval(berlin(2027, 3, 31, 22), berlin(2027, 4, 1)), NOW) == []
    too_far = slot_problems(terms, NO_ONE, Interval(berlin(2027, 3, 31, 23), berlin(2027, 4, 1, 1)), NOW)
    assert codes(too_far) == {"too_far_ahead"} and "31.03.2027" in too_far[0].message
    # The same at 23:59 of 1 March: calendar days, not 24-hour steps.
    assert horizon(terms, berlin(2027, 3, 1, 23, 59)) == berlin(2027, 4, 1).astimezone(UTC)
    # Across the spring DST change the horizon is still local midnight.
    assert horizon(terms, berlin(2027, 3, 20, 12)).astimezone(BERLIN).time() == time(0)


def test_nothing_that_has_begun_is_offered():
    terms = SpaceTerms(capacity=10, hours=(WeeklyHours(MON, time(8), time(20)),))
    assert codes(slot_problems(terms, NO_ONE, Interval(berlin(2027, 3, 1, 8, 30), berlin(2027, 3, 1, 10)), NOW)) == {
        "begun"}
    assert codes(slot_problems(terms, NO_ONE, Interval(berlin(2027, 3, 1, 8), berlin(2027, 3, 1, 8, 30)), NOW)) == {
        "past"}
    assert slot_problems(terms, NO_ONE, Interval(NOW, berlin(2027, 3, 1, 10)), NOW) == []
    today = Interval(berlin(2027, 3, 1), berlin(2027, 3, 2))
    assert free_time(terms, NO_ONE, today, NOW) == [Interval(NOW, berlin(2027, 3, 1, 20)).to_utc()]


def test_closures_and_bookings_take_time_away_and_say_why():
    terms = SpaceTerms(capacity=10, hours=(WeeklyHours(TUE, time(9), time(21)),))
    occupancy = Occupancy(closures=(Closing(Interval(berlin(2027, 3, 2, 9), berlin(2027, 3, 2, 12)), "Putzen"),),
                          taken=(Interval(berlin(2027, 3, 2, 18), berlin(2027, 3, 2, 20)),))
    assert [p.message for p in slot_problems(terms, occupancy, Interval(berlin(2027, 3, 2, 11), berlin(2027, 3, 2, 13)),
                                             NOW)] == ["Geschlossen: Putzen."]
    assert codes(slot_problems(terms, occupancy, Interval(berlin(2027, 3, 2, 19), berlin(2027, 3, 2, 21)), NOW)) == {
        "taken"}
    day = Interval(berlin(2027, 3, 2), berlin(2027, 3, 3))
    assert free_time(terms, occupancy, day, NOW) == [
        Interval(berlin(2027, 3, 2, 12), berlin(2027, 3, 2, 18)).to_utc(),
        Interval(berlin(2027, 3, 2, 20), berlin(2027, 3, 2, 21)).to_utc()]


@pytest.mark.parametrize(("terms", "organisation_id", "attendees", "expected"), [
    pytest.param(SpaceTerms(capacity=10), 5, 10, set(), id="fits"),
    pytest.param(SpaceTerms(capacity=10), 5, 11, {"over_capacity"}, id="too-many"),
    pytest.param(SpaceTerms(capacity=10), 5, 0, {"attendees"}, id="nobody"),
    pytest.param(SpaceTerms(capacity=10, booking_mode="not_bookable"), 5, 3, {"not_bookable"}, id="not-bookable"),
    pytest.param(SpaceTerms(capacity=10, bookable_by="listed", owner_id=1, allowed=frozenset({2})), 5, 3,
                 {"group_not_allowed"}, id="not-listed"),
    pytest.param(SpaceTerms(capacity=10, bookable_by="listed", owner_id=1, allowed=frozenset({2})), 2, 3, set(),
                 id="listed"),
    pytest.param(SpaceTerms(capacity=10, bookable_by="listed", owner_id=1), 1, 3, set(), id="provider"),
])
def test_request_rules(terms, organisation_id, attendees, expected):
    assert codes(request_problems(terms, organisation_id=organisation_id, attendees=attendees)) == expected


def test_deciding_a_request_leaves_mode_and_groups_to_the_manager_but_not_size():
    terms = SpaceTerms(capacity=10, booking_mode="not_bookable", bookable_by="listed", owner_id=1)
    assert request_problems(terms, organisation_id=5, attendees=3, deciding=True) == []
    assert codes(request_problems(terms, organisation_id=5, attendees=30, deciding=True)) == {"over_capacity"}


@pytest.mark.parametrize(("member", "qm", "active", "expected"), [
    (True, False, True, True), (False, True, True, True), (False, False, True, False), (True, False, False, False),
])
def test_who_may_act_for_a_group(member, qm, active, expected):
    assert may_act_for(is_member=member, is_qm_admin=qm, is_active=active) is expected


def test_slots_of_one_request_must_not_overlap_each_other():
    terms = SpaceTerms(capacity=10, hours=(WeeklyHours(TUE, time(8), time(22)),))
    long = Interval(berlin(2027, 3, 2, 9), berlin(2027, 3, 2, 15))
    inner1, inner2 = (Interval(berlin(2027, 3, 2, h), berlin(2027, 3, 2, h + 1)) for h in (10, 12))
    verdicts = check(terms, NO_ONE, [long, inner1, inner2], now=NOW, organisation_id=1, attendees=5)
    assert [v.codes for v in verdicts] == [[], ["overlaps_request"], ["overlaps_request"]]


# ------------------------------------------------------------------ property: free time ⇔ no time problem

ANCHORS = (date(2027, 3, 2), date(2027, 3, 28), date(2027, 10, 31), date(2027, 6, 15))
wall = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
weekly_hours = st.lists(st.builds(WeeklyHours, st.integers(0, 6), wall, wall), max_size=6).map(tuple)


@st.composite
def scenarios(draw):
    anchor = datetime.combine(draw(st.sampled_from(ANCHORS)), time(0), tzinfo=BERLIN)

    def instant(spread_days=3):
        return (anchor + Q * draw(st.integers(-4 * 24 * spread_days, 4 * 24 * spread_days))).astimezone(UTC)

    def interval(max_quarters=48):
        start = instant()
        return Interval(start, start + Q * draw(st.integers(1, max_quarters)))

    day = anchor.date()
    maybe_day = st.one_of(st.none(), st.builds(lambda n: day + timedelta(days=n), st.integers(-4, 4)))
    first, last = draw(maybe_day), draw(maybe_day)
    if first and last and last < first:
        first, last = last, first
    terms = SpaceTerms(capacity=10, hours=draw(weekly_hours), available_from=first, available_until=last,
                       max_days_in_advance=draw(st.one_of(st.none(), st.integers(1, 6))))
    taken = []
    for _ in draw(st.lists(st.just(None), max_size=5)):
        iv = interval()
        if not any(iv.overlaps(t) for t in taken):  # as the database guarantees
            taken.append(iv)
    occupancy = Occupancy(closures=tuple(Closing(interval(96)) for _ in draw(st.lists(st.just(None), max_size=2))),
                          taken=tuple(taken))
    slot = interval(24)
    window = Interval(slot.start - Q * draw(st.integers(0, 200)), slot.end + Q * draw(st.integers(0, 200)))
    return terms, occupancy, slot, window, instant(6)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_a_slot_has_no_time_problem_exactly_when_it_lies_in_free_time(scenario):
    terms, occupancy, slot, window, now = scenario
    free = free_time(terms, occupancy, window, now)
    problems = slot_problems(terms, occupancy, slot, now)
    assert codes(problems) <= TIME_CODES
    assert (not problems) == inside(slot, free), (problems, free)
    # Free time is usable time cut to the bookable span, and nothing free has begun.
    usable = usable_time(terms, occupancy, window)
    assert all(inside(f, usable) for f in free)
    assert all(f.start >= now for f in free)
    assert free == merge(free)


def test_free_evening_hours_count_open_unclosed_unbooked_evening_time():
    """Tuesday 15-23 open; evenings are 17-22: 5 h, minus a booking 18-19 and a closure from 21:30: 3.5 h."""
    from spaces.core.bookability import free_evening_hours

    terms = SpaceTerms(capacity=10, hours=(WeeklyHours(TUE, time(15), time(23)),))
    week = Interval(berlin(2027, 3, 1), berlin(2027, 3, 8))
    assert free_evening_hours(terms, NO_ONE, week) == 5.0
    occupancy = Occupancy(closures=(Closing(Interval(berlin(2027, 3, 2, 21, 30), berlin(2027, 3, 2, 23))),),
                          taken=(Interval(berlin(2027, 3, 2, 18), berlin(2027, 3, 2, 19)),))
    assert free_evening_hours(terms, occupancy, week) == 3.5
    # Evenings are wall-clock: on the DST Sunday 28 March 2027 17-22 is still five hours.
    sunday = SpaceTerms(capacity=10, hours=(WeeklyHours(SUN, time(0), time(0)),))
    assert free_evening_hours(sunday, NO_ONE, Interval(berlin(2027, 3, 28), berlin(2027, 3, 29))) == 5.0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_free_evening_hours_are_the_length_of_the_free_evenings(scenario):
    """The gap report's fast count equals the interval arithmetic it stands for."""
    from datetime import timedelta as td

    from spaces.core.availability import intersect, subtract
    from spaces.core.bookability import evenings, free_evening_hours

    terms, occupancy, _, window, _ = scenario
    blocked = [*(c.interval for c in occupancy.closures), *occupancy.taken]
    free = subtract(intersect(usable_time(terms, Occupancy(), window), evenings(window)), blocked)
    assert free_evening_hours(terms, occupancy, window) == pytest.approx(
        sum((i.duration for i in free), td(0)) / td(hours=1), abs=1e-6)
