"""Tests for spaces.core.gaps: demand, supply, gap and coverage per construction phase and quarter.

Pure tests, no database. Expected values are computed by hand (or, for coverage, by an
independent numerical integration / grid count that does not use shapely's set operations).
Defaults used throughout: Norm() = 150 m² and 60 seats per 1,000 residents, walk 500 m with
detour 1.3, i.e. a straight-line radius r = 500 / 1.3 ≈ 384.615 m; reference 20 h; ramp 12 months.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, box

from geo.crs import to_metric, to_wgs84
from spaces.core.gaps import (
    Norm,
    PhaseInput,
    PhaseQuarter,
    Signal,
    SpaceInput,
    gap_report,
    phase_input_from_wgs84,
    quarters,
    residents_at,
    space_input_from_wgs84,
)

R = 500 / 1.3
LONG_AGO = date(2000, 1, 1)
TODAY = date(2026, 5, 1)
SQUARE = box(0, 0, 400, 400)


def phase(id="A", area=SQUARE, move_in=LONG_AGO, residents=1000):
    return PhaseInput(id=id, name=f"BA {id}", area=area, move_in=move_in, residents=residents)


def space(id="S", x=600.0, y=200.0, area_m2=100.0, seats=50, available_from=None, available_until=None,
          public_hours=20.0):
    return SpaceInput(id=id, point=Point(x, y), area_m2=area_m2, seats=seats, available_from=available_from,
                      available_until=available_until, public_hours=public_hours)


def only(rows: list[PhaseQuarter], phase_id="A", quarter: date | None = None) -> PhaseQuarter:
    found = [r for r in rows if r.phase_id == phase_id and (quarter is None or r.quarter_start == quarter)]
    assert len(found) == 1, found
    return found[0]


def disk_in_rect_area(cx, cy, r, x0, y0, x1, y1, steps=200_000) -> float:
    """Area of the disk (cx, cy, r) inside the rectangle, by midpoint integration over x."""
    a, b = max(x0, cx - r), min(x1, cx + r)
    if b <= a:
        return 0.0
    dx = (b - a) / steps
    x = a + dx * (np.arange(steps) + 0.5)
    h = np.sqrt(np.maximum(r * r - (x - cx) ** 2, 0.0))
    return float(np.sum(np.clip(np.minimum(y1, cy + h) - np.maximum(y0, cy - h), 0.0, None)) * dx)


def grid_coverage(x0, y0, x1, y1, centres, r, step=2.0) -> float:
    """Share of the rectangle within r of any centre, counted on a grid of cell midpoints."""
    xs = np.arange(x0 + step / 2, x1, step)
    ys = np.arange(y0 + step / 2, y1, step)
    gx, gy = np.meshgrid(xs, ys)
    covered = np.zeros(gx.shape, dtype=bool)
    for cx, cy in centres:
        covered |= (gx - cx) ** 2 + (gy - cy) ** 2 <= r * r
    return float(covered.mean())


# --- the worked example -----------------------------------------------------------------------


def test_square_phase_with_one_space_outside_its_east_edge():
    rows = gap_report([phase()], [space()], Norm(), start=TODAY, until=TODAY)
    row = only(rows)
    assert row.quarter_start == date(2026, 4, 1)
    assert row.as_of == TODAY
    assert row.residents == 1000
    assert row.demand_m2 == pytest.approx(150.0)
    assert row.demand_seats == pytest.approx(60.0)
    assert row.supply_m2 == pytest.approx(100.0)
    assert row.supply_seats == pytest.approx(50.0)
    assert row.gap_m2 == pytest.approx(50.0)
    assert row.gap_seats == pytest.approx(10.0)
    assert row.counted_spaces == ("S",)
    assert row.shares == (1.0,)
    assert row.signals == 0
    # The disk of radius r = 384.6 m around (600, 200) reaches 184.6 m into the square. Its
    # half-chord reaches 200 m (the square's half-height) at x_c = 600 - sqrt(r² - 200²) = 271.47:
    # east of x_c the disk fills the full 400 m height, west of it is a circular cap of the disk
    # at distance d = 600 - x_c = 328.53 from the centre: r² acos(d/r) - d sqrt(r² - d²).
    x_c = 600 - math.sqrt(R * R - 200 * 200)
    d = 600 - x_c
    cap = R * R * math.acos(d / R) - d * math.sqrt(R * R - d * d)
    analytic = (400 * (400 - x_c) + cap) / 160_000
    assert analytic == pytest.approx(0.41625, abs=1e-5)  # 51,410 m² + 15,190 m² of 160,000 m²
    assert disk_in_rect_area(600, 200, R, 0, 0, 400, 400) / 160_000 == pytest.approx(analytic, rel=1e-6)
    assert row.coverage == pytest.approx(analytic, rel=0.01)


def test_coverage_by_a_space_at_the_corner_is_a_quarter_disk():
    row = only(gap_report([phase()], [space(x=0, y=0)], Norm(), start=TODAY, until=TODAY))
    assert row.coverage == pytest.approx(math.pi * R * R / 4 / 160_000, rel=0.005)  # 0.7262


def test_a_space_in_the_middle_covers_a_small_square_completely():
    # The farthest corner is 283 m away < 384.6 m.
    row = only(gap_report([phase()], [space(x=200, y=200)], Norm(), start=TODAY, until=TODAY))
    assert row.coverage == 1.0


def test_coverage_of_overlapping_disks_matches_a_grid_count():
    centres = [(-100, 50), (150, 450), (500, 380), (200, 200), (420, -60)]
    spaces = [space(id=i, x=x, y=y) for i, (x, y) in enumerate(centres)]
    row = only(gap_report([phase(area=box(0, 0, 1000, 600))], spaces, Norm(), start=TODAY, until=TODAY))
    assert row.coverage == pytest.approx(grid_coverage(0, 0, 1000, 600, centres, R), abs=0.005)


def test_coverage_with_many_spaces_near_a_large_phase_matches_a_grid_count():
    # Enough disks to take the quadtree path (cells covered by one disk, exact unions at the edges).
    rng = np.random.default_rng(7)
    centres = [tuple(p) for p in rng.uniform([-300, -300], [2300, 1300], size=(25, 2))]
    spaces = [space(id=i, x=x, y=y) for i, (x, y) in enumerate(centres)]
    row = only(gap_report([phase(area=box(0, 0, 2000, 1000))], spaces, Norm(), start=TODAY, until=TODAY))
    assert 0.2 < row.coverage < 1.0
    assert row.coverage == pytest.approx(grid_coverage(0, 0, 2000, 1000, centres, R, step=2.5), abs=0.005)


def test_coverage_is_zero_without_a_counted_space():
    row = only(gap_report([phase()], [], Norm(), start=TODAY, until=TODAY))
    assert (row.supply_m2, row.supply_seats, row.coverage, row.counted_spaces) == (0.0, 0.0, 0.0, ())
    assert row.gap_m2 == pytest.approx(150.0)


# --- reach ------------------------------------------------------------------------------------


def test_reach_is_straight_line_distance_times_detour():
    near = space(id="near", x=400 + 384.0, y=200)  # 384 m × 1.3 = 499.2 m
    far = space(id="far", x=400 + 385.0, y=200)  # 385 m × 1.3 = 500.5 m
    row = only(gap_report([phase()], [near, far], Norm(), start=TODAY, until=TODAY))
    assert row.counted_spaces == ("near",)
    assert row.supply_m2 == pytest.approx(100.0)


def test_a_space_beyond_reach_counts_nothing():
    row = only(gap_report([phase()], [space(x=2000, y=2000)], Norm(), start=TODAY, until=TODAY))
    assert row.counted_spaces == ()
    assert row.supply_m2 == 0.0 and row.supply_seats == 0.0 and row.coverage == 0.0
    assert row.gap_m2 == pytest.approx(150.0) and row.gap_seats == pytest.approx(60.0)


def test_reach_depends_on_the_norm():
    s = space(x=1000, y=200)  # 600 m from the square
    assert only(gap_report([phase()], [s], Norm(), start=TODAY, until=TODAY)).counted_spaces == ()
    assert only(gap_report([phase()], [s], Norm(walk_m=800, detour=1.3), start=TODAY,
                           until=TODAY)).counted_spaces == ("S",)  # 780 m
    assert only(gap_report([phase()], [s], Norm(walk_m=800, detour=1.4), start=TODAY,
                           until=TODAY)).counted_spaces == ()  # 840 m


def test_a_space_inside_a_multipolygon_part_is_reached():
    area = MultiPolygon([box(0, 0, 100, 100), box(5000, 0, 5100, 100)])
    row = only(gap_report([phase(area=area)], [space(x=5050, y=50)], Norm(), start=TODAY, until=TODAY))
    assert row.counted_spaces == ("S",)
    assert row.coverage == pytest.approx(0.5)  # the disk covers the second part entirely


# --- residents over time ----------------------------------------------------------------------


def test_residents_ramp_linearly_from_move_in():
    p = phase(move_in=date(2027, 1, 1), residents=1000)
    assert residents_at(p, date(2026, 12, 31)) == 0
    assert residents_at(p, date(2027, 1, 1)) == 0
    assert residents_at(p, date(2027, 4, 1)) == pytest.approx(250)
    assert residents_at(p, date(2027, 7, 1)) == pytest.approx(500)
    assert residents_at(p, date(2027, 7, 16)) == pytest.approx(1000 * (6 + 15 / 31) / 12)
    assert residents_at(p, date(2028, 1, 1)) == 1000
    assert residents_at(p, date(2035, 1, 1)) == 1000
    assert residents_at(p, date(2027, 4, 1), Norm(ramp_months=6)) == pytest.approx(500)
    assert residents_at(p, date(2027, 1, 1), Norm(ramp_months=0)) == 1000
    assert residents_at(p, date(2026, 12, 31), Norm(ramp_months=0)) == 0


def test_residents_ramp_from_a_month_end():
    p = phase(move_in=date(2027, 1, 31), residents=1200)
    assert residents_at(p, date(2027, 2, 28)) == pytest.approx(100)  # one calendar month (clamped)
    assert residents_at(p, date(2027, 3, 31)) == pytest.approx(200)


def test_unknown_move_in_means_no_residents():
    assert residents_at(phase(move_in=None), date(2030, 1, 1)) == 0
    row = only(gap_report([phase(move_in=None)], [space()], Norm(), start=TODAY, until=TODAY))
    assert row.demand_m2 == 0 and row.residents == 0


def test_a_phase_moving_in_next_year_has_no_demand_today_and_half_after_six_months():
    rows = gap_report([phase(move_in=date(2027, 1, 1))], [space()], Norm(), start=TODAY, until=date(2028, 1, 1))
    assert [r.quarter_start for r in rows] == quarters(TODAY, date(2028, 1, 1))
    today = only(rows, quarter=date(2026, 4, 1))
    assert today.demand_m2 == 0 and today.demand_seats == 0
    assert today.gap_m2 == pytest.approx(-100.0)  # the space is a surplus until people arrive
    half = only(rows, quarter=date(2027, 7, 1))
    assert half.residents == pytest.approx(500)
    assert half.demand_m2 == pytest.approx(75.0) and half.demand_seats == pytest.approx(30.0)
    assert only(rows, quarter=date(2028, 1, 1)).demand_m2 == pytest.approx(150.0)


def test_until_defaults_to_the_quarter_when_the_last_phase_is_full():
    phases = [phase("A", move_in=date(2027, 2, 15)), phase("B", area=box(5000, 0, 5400, 400), move_in=None)]
    rows = gap_report(phases, [], Norm(), start=TODAY)
    a = [r for r in rows if r.phase_id == "A"]
    assert a[0].quarter_start == date(2026, 4, 1)
    assert a[-1].quarter_start == date(2028, 4, 1)  # full on 2028-02-15; first quarter start after it
    assert a[-1].residents == 1000 and a[-2].residents < 1000
    assert len(rows) == 2 * len(a)
    # Nothing known: just today's quarter.
    assert [r.quarter_start for r in gap_report([phase(move_in=None)], [], start=TODAY)] == [date(2026, 4, 1)]


# --- quarters ---------------------------------------------------------------------------------


def test_quarters_boundaries():
    assert quarters(date(2026, 5, 1), date(2026, 5, 1)) == [date(2026, 4, 1)]
    assert quarters(date(2026, 4, 1), date(2026, 6, 30)) == [date(2026, 4, 1)]
    assert quarters(date(2026, 3, 31), date(2026, 4, 1)) == [date(2026, 1, 1), date(2026, 4, 1)]
    assert quarters(date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)]
    assert quarters(date(2026, 11, 15), date(2027, 2, 1)) == [date(2026, 10, 1), date(2027, 1, 1)]
    assert quarters(date(2026, 5, 1), date(2026, 4, 30)) == []
    assert len(quarters(date(2026, 5, 1), date(2029, 2, 1))) == 12


# --- fair sharing -----------------------------------------------------------------------------


def test_a_space_shared_by_two_phases_is_split_by_residents():
    a = phase("A", area=box(0, 0, 400, 400), residents=1000)
    b = phase("B", area=box(800, 0, 1200, 400), residents=3000)
    shared = space(x=600, y=200)  # 200 m from both
    rows = gap_report([a, b], [shared], Norm(), start=TODAY, until=TODAY)
    ra, rb = only(rows, "A"), only(rows, "B")
    assert ra.shares == (pytest.approx(0.25),) and rb.shares == (pytest.approx(0.75),)
    assert ra.supply_m2 == pytest.approx(25.0) and rb.supply_m2 == pytest.approx(75.0)
    assert ra.supply_seats == pytest.approx(12.5) and rb.supply_seats == pytest.approx(37.5)
    assert ra.supply_m2 + rb.supply_m2 == pytest.approx(100.0)  # the space's area, once
    assert ra.gap_m2 == pytest.approx(150 - 25) and rb.gap_m2 == pytest.approx(450 - 75)
    # Coverage is not shared: both phases see the same disk reaching 184.6 m into them.
    assert ra.coverage == pytest.approx(rb.coverage)


def test_sharing_follows_the_residents_of_the_day():
    a = phase("A", area=box(0, 0, 400, 400), residents=1000)  # long there
    b = phase("B", area=box(800, 0, 1200, 400), move_in=date(2027, 1, 1), residents=1000)
    rows = gap_report([a, b], [space(x=600, y=200)], Norm(), start=TODAY, until=date(2028, 1, 1))
    assert only(rows, "A", date(2026, 4, 1)).supply_m2 == pytest.approx(100)  # B has nobody yet
    assert only(rows, "B", date(2026, 4, 1)).supply_m2 == 0
    assert only(rows, "A", date(2027, 7, 1)).supply_m2 == pytest.approx(100 * 1000 / 1500)
    assert only(rows, "B", date(2027, 7, 1)).supply_m2 == pytest.approx(100 * 500 / 1500)
    assert only(rows, "B", date(2028, 1, 1)).supply_m2 == pytest.approx(50)


def test_phases_without_residents_share_equally():
    a = phase("A", area=box(0, 0, 400, 400), move_in=date(2030, 1, 1))
    b = phase("B", area=box(800, 0, 1200, 400), move_in=None)
    rows = gap_report([a, b], [space(x=600, y=200)], Norm(), start=TODAY, until=TODAY)
    assert only(rows, "A").supply_m2 == pytest.approx(50) and only(rows, "B").supply_m2 == pytest.approx(50)


def test_a_phase_out_of_reach_takes_no_share():
    a = phase("A", area=box(0, 0, 400, 400), residents=1000)
    b = phase("B", area=box(3000, 0, 3400, 400), residents=3000)
    rows = gap_report([a, b], [space(x=600, y=200)], Norm(), start=TODAY, until=TODAY)
    assert only(rows, "A").supply_m2 == pytest.approx(100)
    assert only(rows, "B").counted_spaces == () and only(rows, "B").supply_m2 == 0


# --- which spaces count, and how much ---------------------------------------------------------


def test_a_temporary_space_counts_only_inside_its_period():
    temp = space(available_from=date(2026, 8, 15), available_until=date(2027, 1, 1))
    rows = gap_report([phase()], [temp], Norm(), start=date(2026, 7, 1), until=date(2027, 4, 1))
    counted = {r.quarter_start: r.counted_spaces for r in rows}
    assert counted == {date(2026, 7, 1): (), date(2026, 10, 1): ("S",), date(2027, 1, 1): ("S",),
                       date(2027, 4, 1): ()}  # both ends inclusive
    assert only(rows, quarter=date(2027, 4, 1)).supply_m2 == 0
    assert only(rows, quarter=date(2027, 4, 1)).coverage == 0


def test_a_planned_space_counts_from_its_opening():
    planned = space(available_from=date(2027, 1, 1))
    rows = gap_report([phase()], [planned], Norm(), start=TODAY, until=date(2027, 7, 1))
    assert [r.quarter_start for r in rows][3] == date(2027, 1, 1)
    assert [r.supply_m2 for r in rows] == [0, 0, 0, pytest.approx(100), pytest.approx(100), pytest.approx(100)]


def test_the_first_quarter_is_evaluated_today():
    opened_last_week = space(available_from=date(2026, 4, 24))  # after the quarter start 2026-04-01
    closed_last_week = space(id="T", x=610, available_until=date(2026, 4, 24))
    row = only(gap_report([phase()], [opened_last_week, closed_last_week], Norm(), start=TODAY, until=TODAY))
    assert row.quarter_start == date(2026, 4, 1) and row.as_of == TODAY
    assert row.counted_spaces == ("S",)


def test_public_hours_below_the_minimum_do_not_count():
    norm = Norm(min_public_evening_hours=4)
    rows = gap_report([phase()], [space(public_hours=3)], norm, start=TODAY, until=TODAY)
    assert only(rows).counted_spaces == () and only(rows).supply_m2 == 0 and only(rows).coverage == 0
    rows = gap_report([phase()], [space(public_hours=4)], norm, start=TODAY, until=TODAY)
    assert only(rows).counted_spaces == ("S",) and only(rows).supply_m2 == pytest.approx(100 * 4 / 20)


def test_half_the_reference_hours_count_half_and_more_count_fully():
    row = only(gap_report([phase()], [space(public_hours=10)], Norm(), start=TODAY, until=TODAY))
    assert row.supply_m2 == pytest.approx(50.0) and row.supply_seats == pytest.approx(25.0)
    assert row.coverage > 0.3  # weight scales supply, not coverage
    row = only(gap_report([phase()], [space(public_hours=60)], Norm(), start=TODAY, until=TODAY))
    assert row.supply_m2 == pytest.approx(100.0)
    row = only(gap_report([phase()], [space(public_hours=10)], Norm(reference_hours=10), start=TODAY, until=TODAY))
    assert row.supply_m2 == pytest.approx(100.0)


def test_a_space_without_public_hours_does_not_count():
    row = only(gap_report([phase()], [space(public_hours=0)], Norm(), start=TODAY, until=TODAY))
    assert row.counted_spaces == () and row.coverage == 0


def test_unknown_area_counts_zero_square_metres_but_its_seats():
    row = only(gap_report([phase()], [space(area_m2=None)], Norm(), start=TODAY, until=TODAY))
    assert row.supply_m2 == 0 and row.supply_seats == pytest.approx(50) and row.counted_spaces == ("S",)


# --- signals ----------------------------------------------------------------------------------


def test_signals_are_counted_only_inside_the_phase():
    signals = [
        Signal(Point(100, 100), "unmet_need"),
        Signal(Point(400, 200), "declined_request"),  # on the boundary: counts
        Signal(Point(401, 200), "unmet_need"),  # 1 m outside
        Signal(Point(-50, -50), "declined_request"),
    ]
    rows = gap_report([phase()], [], Norm(), start=TODAY, until=date(2026, 12, 1), signals=signals)
    assert [r.signals for r in rows] == [2, 2, 2]


# --- from WGS84 -------------------------------------------------------------------------------


def test_phase_input_from_wgs84_converts_to_metres():
    metric = box(560_000, 5_800_000, 560_400, 5_800_400)
    wgs = to_wgs84(metric)
    p = phase_input_from_wgs84(7, "BA 7", MultiPolygon([wgs]), date(2027, 1, 1), homes=300,
                               persons_per_home=Decimal("2.10"))
    assert p.residents == pytest.approx(630)
    assert p.area.area == pytest.approx(160_000, rel=1e-6)
    assert p.area.bounds == pytest.approx(metric.bounds, abs=0.01)
    assert phase_input_from_wgs84(1, "x", wgs, None, expected_residents=500, homes=300,
                                  persons_per_home=2).residents == 500
    assert phase_input_from_wgs84(1, "x", wgs, None).residents == 0


def test_space_input_from_wgs84_and_a_report_in_real_coordinates():
    p = phase_input_from_wgs84(1, "BA", to_wgs84(box(560_000, 5_800_000, 560_400, 5_800_400)), LONG_AGO,
                               expected_residents=1000)
    s = space_input_from_wgs84("S", to_wgs84(Point(560_600, 5_800_200)), area_m2=Decimal("100.0"), seats=50,
                               available_from=None, available_until=None, public_hours=20)
    assert s.point.x == pytest.approx(560_600, abs=0.01)
    row = only(gap_report([p], [s], Norm(), start=TODAY, until=TODAY), phase_id=1)
    assert row.supply_m2 == pytest.approx(100) and row.gap_m2 == pytest.approx(50)
    assert row.coverage == pytest.approx(disk_in_rect_area(600, 200, R, 0, 0, 400, 400) / 160_000, rel=0.01)
    assert to_metric(to_wgs84(s.point)).distance(s.point) < 0.01


def test_norm_rejects_nonsense():
    with pytest.raises(ValueError):
        Norm(detour=0)
    with pytest.raises(ValueError):
        Norm(ramp_months=-1)
    with pytest.raises(ValueError):
        phase(residents=-1)


# --- properties -------------------------------------------------------------------------------

_days = st.one_of(st.none(), st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31)))


@st.composite
def instances(draw):
    n_phases = draw(st.integers(1, 4))
    phases = []
    for i in range(n_phases):
        x, y = draw(st.floats(0, 1500)), draw(st.floats(0, 1500))
        w, h = draw(st.floats(20, 1500)), draw(st.floats(20, 1500))
        phases.append(PhaseInput(id=f"P{i}", name=str(i), area=box(x, y, x + w, y + h), move_in=draw(_days),
                                 residents=draw(st.integers(0, 5000))))
    spaces = []
    for j in range(draw(st.integers(0, 24))):
        a, b = draw(_days), draw(_days)
        if a is not None and b is not None and a > b:
            a, b = b, a
        spaces.append(SpaceInput(
            id=j, point=Point(draw(st.floats(-400, 2500)), draw(st.floats(-400, 2500))),
            area_m2=draw(st.one_of(st.none(), st.floats(1, 500))), seats=draw(st.integers(1, 200)),
            available_from=a, available_until=b, public_hours=draw(st.floats(0, 50)),
        ))
    norm = Norm(min_public_evening_hours=draw(st.floats(0, 10)), ramp_months=draw(st.integers(0, 24)))
    return phases, spaces, norm


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_a_space_is_never_counted_twice_and_gaps_are_demand_minus_supply(instance):
    phases, spaces, norm = instance
    start, until = date(2026, 2, 10), date(2028, 6, 1)
    rows = gap_report(phases, spaces, norm, start=start, until=until)
    qs = quarters(start, until)
    assert len(rows) == len(phases) * len(qs)
    by_space = {s.id: s for s in spaces}
    r = norm.walk_m / norm.detour
    for q in qs:
        quarter_rows = [row for row in rows if row.quarter_start == q]
        total_share: dict = {}
        for row, ph in zip(quarter_rows, phases):
            assert row.gap_m2 == row.demand_m2 - row.supply_m2
            assert row.gap_seats == row.demand_seats - row.supply_seats
            assert row.residents == residents_at(ph, row.as_of, norm)
            assert 0.0 <= row.coverage <= 1.0
            if not row.counted_spaces:
                assert row.coverage == 0.0
            else:
                # Against a plain union of fine 256-gons (no quadtree, no shortcut). The module's
                # 64-gons lie between the disks of radius r - 0.2 m and r + 0.4 m, so the coverage
                # lies between the plain ones for r - 1 m and r + 1 m (matters for tiny phases).
                def plain(radius, row=row, ph=ph):
                    disks = [by_space[sid].point.buffer(radius, quad_segs=64) for sid in row.counted_spaces]
                    return shapely.union_all(disks).intersection(ph.area).area / ph.area.area

                assert plain(r - 1) - 1e-9 <= row.coverage <= plain(r + 1) + 1e-9
                assert row.coverage == pytest.approx(plain(r), abs=0.01)
            assert len(row.shares) == len(row.counted_spaces)
            expected_m2 = expected_seats = 0.0
            for sid, share in zip(row.counted_spaces, row.shares):
                s = by_space[sid]
                assert 0.0 <= share <= 1.0
                assert ph.area.distance(s.point) * norm.detour <= norm.walk_m
                assert (s.available_from or date.min) <= row.as_of <= (s.available_until or date.max)
                assert s.public_hours >= norm.min_public_evening_hours
                total_share[sid] = total_share.get(sid, 0.0) + share
                expected_m2 += share * norm.weight(s.public_hours) * (s.area_m2 or 0.0)
                expected_seats += share * norm.weight(s.public_hours) * s.seats
            assert row.supply_m2 == pytest.approx(expected_m2, rel=1e-9, abs=1e-9)
            assert row.supply_seats == pytest.approx(expected_seats, rel=1e-9, abs=1e-9)
        for total in total_share.values():
            # Never counted twice, and never lost: a counted space is attributed exactly once.
            assert total == pytest.approx(1.0, abs=1e-9)
            assert total <= 1.0 + 1e-9
        supply = sum(row.supply_m2 for row in quarter_rows)
        assert supply <= sum(norm.weight(s.public_hours) * (s.area_m2 or 0.0) for s in spaces) + 1e-6
        # Every open, eligible space within reach of a phase is counted by that phase.
        for row, ph in zip(quarter_rows, phases):
            for s in spaces:
                in_reach = ph.area.distance(s.point) * norm.detour <= norm.walk_m
                open_ = (s.available_from or date.min) <= row.as_of <= (s.available_until or date.max)
                ok = s.public_hours >= norm.min_public_evening_hours and norm.weight(s.public_hours) > 0
                assert (s.id in row.counted_spaces) == (in_reach and open_ and ok)


@pytest.mark.parametrize(("expected", "homes", "persons", "residents"), [
    pytest.param(None, 5, Decimal("2.5"), 13, id="half-up-to-whole-people"),
    pytest.param(None, 300, Decimal("2.10"), 630, id="homes-times-persons"),
    pytest.param(500, 300, 2, 500, id="given-wins"),
    pytest.param(None, 0, 2, 0, id="no-homes"),
    pytest.param(None, None, None, 0, id="nothing-known"),
])
def test_residents_when_full_is_one_rule_in_whole_people(expected, homes, persons, residents):
    from spaces.core.gaps import residents_when_full

    assert residents_when_full(expected, homes, persons) == residents


def test_whole_measures_round_seats_up_for_need_down_for_supply_and_never_show_a_false_100_percent():
    from spaces.core.gaps import PhaseQuarter, whole_measures

    row = PhaseQuarter(phase_id=1, quarter_start=date(2027, 1, 1), residents=1234.0, demand_m2=185.1,
                       demand_seats=74.04, supply_m2=100.4, supply_seats=49.9, gap_m2=84.7, gap_seats=24.14,
                       coverage=0.996, counted_spaces=(7,), signals=0)
    w = whole_measures(row)
    assert (w.residents, w.demand_m2, w.supply_m2, w.gap_m2) == (1234, 185, 100, 85)
    assert (w.demand_seats, w.supply_seats, w.gap_seats) == (75, 49, 26)  # 74.04 → 75 chairs; 49.9 → 49
    assert w.coverage == 0.99 and not w.all_reachable and not w.enough_space and not w.enough_seats
    exact = whole_measures(PhaseQuarter(1, date(2027, 1, 1), 1000.0, 150.0, 60.0, 150.0, 60.0, 0.0, 0.0, 1.0,
                                        (7,), 0))
    assert (exact.gap_m2, exact.gap_seats, exact.coverage) == (0, 0, 1.0) and exact.enough_space
