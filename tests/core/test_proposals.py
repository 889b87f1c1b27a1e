"""Tests for spaces.core.proposals: ranking spaces with concrete weekly slots for a need.

Pure tests, no database. Europe/Berlin DST 2027: back on Sun 31 October (03:00 -> 02:00).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spaces.core.availability import BERLIN, Interval, WeeklyHours, opening_intervals, wall_time_to_utc
from spaces.core.proposals import (
    NeedSpec,
    SpaceFacts,
    TimePattern,
    capacity_fit,
    meeting_dates,
    propose,
    walking_fit,
)

UTC = UTC
NOW = datetime(2027, 1, 4, 9, tzinfo=BERLIN)  # asked well before every season below
TUE = 1
THU = 3

# 2027-03-02 is a Tuesday; ten Tuesdays: 2 Mar .. 4 May.
SPRING = TimePattern(weekdays=(TUE,), window_from=time(17), window_to=time(21),
                     first_day=date(2027, 3, 2), last_day=date(2027, 5, 4))


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return wall_time_to_utc(day, time(hh, mm))


TUESDAY_EVENING = (WeeklyHours(TUE, time(17), time(22)),)


def space(id=1, *, capacity=20, step_free=True, accessible_wc=True, equipment=(), cost=0.0, walk=None,
          hours=TUESDAY_EVENING, closures=(), busy=(), available_from=None,
          available_until=None, name=None) -> SpaceFacts:
    return SpaceFacts(id=id, name=name or f"Raum {id}", capacity=capacity, step_free=step_free,
                      accessible_wc=accessible_wc, equipment=frozenset(equipment), cost_eur=cost, walk_m=walk,
                      hours=tuple(hours), closures=tuple(closures), busy=tuple(busy),
                      available_from=available_from, available_until=available_until)


def need(pattern=SPRING, *, group=12, hours=2, **kw) -> NeedSpec:
    return NeedSpec(group_size=group, duration=timedelta(hours=hours), pattern=pattern, **kw)


# ---------------------------------------------------------------- hand examples


def test_meeting_dates_are_the_weekdays_of_the_season():
    days = meeting_dates(SPRING, TUE)
    assert len(days) == 10 and days[0] == date(2027, 3, 2) and days[-1] == date(2027, 5, 4)
    assert all(d.weekday() == TUE for d in days)
    assert meeting_dates(SPRING, THU)[0] == date(2027, 3, 4)


def test_one_booking_gives_nine_of_ten_and_earliest_start():
    booked = Interval(local(date(2027, 3, 16), 18), local(date(2027, 3, 16), 20))
    [p] = propose(need(), [space(busy=[booked])], now=NOW)
    assert (p.weekday, p.starts, p.ends) == (TUE, time(17), time(19))  # every start loses 16 March
    assert p.wanted == 10 and len(p.dates) == 9
    assert p.reasons[0] == "9 von 10 Terminen frei"
    assert all(not d.overlaps(booked) for d in p.dates)
    # 0.5 * 0.9 + 0.2 * 1 (20 <= 24) + 0.2 * 0.5 (no place) + 0.1 * 1 (no extras wished)
    assert p.score == pytest.approx(0.45 + 0.2 + 0.1 + 0.1)


def test_booking_early_moves_the_start_later():
    # Booked 17-18 every Tuesday: 17:00 and 17:30 lose all dates, 18:00 keeps all ten.
    busy = [Interval(local(d, 17), local(d, 18)) for d in meeting_dates(SPRING, TUE)]
    [p] = propose(need(), [space(busy=busy)], now=NOW)
    assert p.starts == time(18) and p.ends == time(20) and len(p.dates) == 10


def test_closure_and_availability_window_reduce_dates():
    closed = Interval(datetime(2027, 3, 29, tzinfo=UTC), datetime(2027, 4, 12, tzinfo=UTC))  # Easter: 30 Mar, 6 Apr
    [p] = propose(need(), [space(closures=[closed], available_until=date(2027, 4, 20))], now=NOW)
    # 2,9,16,23 Mar and 13,20 Apr free; 27 Apr and 4 May after available_until
    assert len(p.dates) == 6 and p.wanted == 10


def test_no_free_date_drops_the_proposal_and_short_window_gives_nothing():
    assert propose(need(), [space(hours=[WeeklyHours(THU, time(17), time(22))])], now=NOW) == []
    short = TimePattern((TUE,), time(17), time(18), date(2027, 3, 2), date(2027, 3, 9))
    assert propose(need(short), [space()], now=NOW) == []


@pytest.mark.parametrize(
    "kw, facts",
    [
        ({}, dict(capacity=11)),
        ({"step_free": True}, dict(step_free=False)),
        ({"accessible_wc": True}, dict(accessible_wc=False)),
        ({"equipment": frozenset({"beamer", "kueche"})}, dict(equipment=("beamer",))),
        ({"free_only": True}, dict(cost=15.0)),
        ({"free_only": True}, dict(cost=None)),
        ({"max_walk_m": 500.0}, dict(walk=650.0)),
    ],
)
def test_hard_filters(kw, facts):
    assert propose(need(**kw), [space(**facts)], now=NOW) == []


@pytest.mark.parametrize(
    "kw, facts",
    [
        ({}, dict(capacity=12)),
        ({"equipment": frozenset({"beamer"})}, dict(equipment=("beamer", "kueche"))),
        ({"free_only": True}, dict(cost=0.0)),
        ({"max_walk_m": 500.0}, dict(walk=500.0)),
        ({"max_walk_m": 500.0}, dict(walk=None)),  # no place given: not filtered
    ],
)
def test_hard_filters_pass(kw, facts):
    assert len(propose(need(**kw), [space(**facts)], now=NOW)) == 1


def test_dst_autumn_keeps_local_time():
    pattern = TimePattern((TUE,), time(18), time(20), date(2027, 10, 5), date(2027, 11, 30))
    [p] = propose(need(pattern), [space()], now=NOW)
    assert p.starts == time(18) and p.wanted == 9 and len(p.dates) == 9
    for d in p.dates:
        assert d.start.astimezone(BERLIN).time() == time(18)
        assert d.end.astimezone(BERLIN).time() == time(20)
    before = [d for d in p.dates if d.start < datetime(2027, 10, 31, tzinfo=UTC)]
    after = [d for d in p.dates if d.start > datetime(2027, 10, 31, tzinfo=UTC)]
    assert {d.start.hour for d in before} == {16} and len(before) == 4  # CEST
    assert {d.start.hour for d in after} == {17} and len(after) == 5  # CET


def test_two_weekdays_give_one_proposal_each():
    pattern = TimePattern((TUE, THU), time(17), time(21), date(2027, 3, 1), date(2027, 3, 31))
    hours = [WeeklyHours(TUE, time(17), time(22)), WeeklyHours(THU, time(19), time(22))]
    props = propose(need(pattern), [space(hours=hours)], now=NOW)
    assert [(p.weekday, p.starts) for p in props] == [(TUE, time(17)), (THU, time(19))]
    assert [p.wanted for p in props] == [5, 4]


def test_score_components():
    assert capacity_fit(24, 12) == 1.0 and capacity_fit(60, 12) == 0.0
    assert capacity_fit(42, 12) == pytest.approx(0.5)
    assert walking_fit(None, None) == 0.5 and walking_fit(0, None) == 1.0
    assert walking_fit(750, None) == pytest.approx(0.5) and walking_fit(3000, None) == 0.0
    assert walking_fit(250, 500) == pytest.approx(0.5)


def test_ranking_and_reasons():
    booked = Interval(local(date(2027, 3, 16), 17), local(date(2027, 3, 16), 21))
    spaces = [
        space(1, capacity=60, walk=1200.0),  # all free, too big, far
        space(2, capacity=30, walk=650.0, equipment=("beamer",), busy=[booked]),
        space(3, capacity=15, walk=100.0, equipment=("beamer",)),  # best
        space(4, capacity=15, walk=100.0, equipment=("beamer",)),  # tie with 3: id order
    ]
    props = propose(need(nice_equipment=frozenset({"beamer"})), spaces, now=NOW)
    assert [p.space_id for p in props] == [3, 4, 2, 1]
    assert props[0].score == props[1].score
    assert props[0].score > props[2].score > props[3].score
    p2 = props[2]
    assert p2.reasons == ("9 von 10 Terminen frei", "Platz für 30 (Gruppe 12)", "650 m zu Fuß", "beamer vorhanden")
    # 0.5*0.9 + 0.2*(5-2.5)/3 + 0.2*(1-650/1500) + 0.1*1
    assert p2.score == pytest.approx(0.45 + 0.2 * 2.5 / 3 + 0.2 * (1 - 650 / 1500) + 0.1, abs=1e-4)
    assert props[3].reasons[2] == "1,2 km zu Fuß" and props[3].reasons[3] == "beamer fehlt"
    assert props[3].score == pytest.approx(0.5 + 0 + 0.2 * 0.2, abs=1e-4)
    assert len(propose(need(nice_equipment=frozenset({"beamer"})), spaces, limit=2, now=NOW)) == 2


# ---------------------------------------------------------------- properties

SEASON_START = date(2027, 9, 27)  # Monday; seasons run across the 31 Oct 2027 DST change


@st.composite
def scenarios(draw):
    first = SEASON_START + timedelta(days=draw(st.integers(0, 34)))
    last = first + timedelta(days=draw(st.integers(0, 27)))
    wf = draw(st.integers(6 * 2, 20 * 2))  # half hours
    wt = draw(st.integers(wf + 1, 47))
    pattern = TimePattern(tuple(draw(st.sets(st.integers(0, 6), min_size=1, max_size=3))),
                          time(wf // 2, 30 * (wf % 2)), time(wt // 2, 30 * (wt % 2)), first, last)
    duration = timedelta(minutes=draw(st.sampled_from([30, 60, 90, 120, 180])))

    def half_hour(lo, hi):
        v = draw(st.integers(lo, hi))
        return time(v // 2, 30 * (v % 2))

    # Mostly long openings on the pattern's weekdays (so that proposals exist), some others.
    hours = []
    for _ in range(draw(st.integers(0, 6))):
        wd = draw(st.sampled_from(sorted({*pattern.weekdays, draw(st.integers(0, 6))})))
        a = draw(st.integers(0, 40))
        b = draw(st.integers(a + 1, 47))
        hours.append(WeeklyHours(wd, time(a // 2, 30 * (a % 2)), time(b // 2, 30 * (b % 2))))

    ndays = (last - first).days + 1

    def intervals(n):
        # Local evening-ish blocks on season days (so they hit meetings), in UTC.
        out = []
        for _ in range(n):
            day = first + timedelta(days=draw(st.integers(-1, ndays)))
            start = wall_time_to_utc(day, half_hour(12, 44))
            out.append(Interval(start, start + timedelta(minutes=30 * draw(st.integers(1, 10)))))
        return out

    spaces = []
    for i in range(draw(st.integers(1, 3))):
        spaces.append(space(i, hours=hours if i == 0 else hours[: len(hours) // 2 + 1],
                            busy=intervals(draw(st.integers(0, 8))), closures=intervals(draw(st.integers(0, 2)))))
    step = draw(st.sampled_from([15, 30, 60]))
    return NeedSpec(10, duration, pattern), spaces, step


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_properties(scenario):
    nd, spaces, step = scenario
    by_id = {s.id: s for s in spaces}
    pattern = nd.pattern
    season = Interval(wall_time_to_utc(pattern.first_day, time(0)),
                      wall_time_to_utc(pattern.last_day + timedelta(days=1), time(0)))
    props = propose(nd, spaces, step_minutes=step, now=NOW)
    assert len({(p.space_id, p.weekday) for p in props}) == len(props)
    assert [p.score for p in props] == sorted((p.score for p in props), reverse=True)
    for p in props:
        sp = by_id[p.space_id]
        opening = opening_intervals(sp.hours, season)
        assert p.weekday in pattern.weekdays
        assert 0 < len(p.dates) <= p.wanted == len(meeting_dates(pattern, p.weekday))
        assert 0.0 <= p.score <= 1.0
        assert pattern.window_from <= p.starts and p.ends <= pattern.window_to
        for d in p.dates:
            assert not any(d.overlaps(b) for b in (*sp.busy, *sp.closures))
            assert any(o.start <= d.start and d.end <= o.end for o in opening)
            ls, le = d.start.astimezone(BERLIN), d.end.astimezone(BERLIN)
            assert ls.date() == le.date() and ls.weekday() == p.weekday
            assert pattern.first_day <= ls.date() <= pattern.last_day
            assert (ls.time(), le.time()) == (p.starts, p.ends)
            assert pattern.window_from <= ls.time() and le.time() <= pattern.window_to


def _brute_free_count(nd, sp, weekday, start, end, season):
    """Free meetings counted directly (no binary search): opening covers, nothing overlaps."""
    opening = opening_intervals(sp.hours, season)
    n = 0
    for day in meeting_dates(nd.pattern, weekday):
        if sp.available_from and day < sp.available_from or sp.available_until and day > sp.available_until:
            continue
        s, e = wall_time_to_utc(day, start), wall_time_to_utc(day, end)
        if s >= e:
            continue
        m = Interval(s, e)
        if any(o.start <= s and e <= o.end for o in opening) and not any(
            m.overlaps(b) for b in (*sp.busy, *sp.closures)
        ):
            n += 1
    return n


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_best_start_matches_brute_force(scenario):
    nd, spaces, step = scenario
    pattern = nd.pattern
    season = Interval(wall_time_to_utc(pattern.first_day, time(0)),
                      wall_time_to_utc(pattern.last_day + timedelta(days=1), time(0)))
    got = {(p.space_id, p.weekday): p for p in propose(nd, spaces, step_minutes=step, limit=1000, now=NOW)}
    anchor = date(2000, 1, 3)
    for sp in spaces:
        for wd in set(pattern.weekdays):
            best = (0, None)
            cur = datetime.combine(anchor, pattern.window_from)
            while cur + nd.duration <= datetime.combine(anchor, pattern.window_to):
                n = _brute_free_count(nd, sp, wd, cur.time(), (cur + nd.duration).time(), season)
                if n > best[0]:
                    best = (n, cur.time())
                cur += timedelta(minutes=step)
            if best[0] == 0:
                assert (sp.id, wd) not in got
            else:
                p = got[(sp.id, wd)]
                assert (len(p.dates), p.starts) == best
