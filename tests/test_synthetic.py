"""The synthetic city for benchmarks: bulk-loaded, plausible, reproducible, loadable twice."""

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from spaces.dev.synthetic import generate_city, synthetic_city_command

TABLES = ("organisations", "sites", "spaces", "opening_hours", "bookings")
START = date(2026, 3, 1)  # the year holds both daylight-saving changes (29 March, 25 October)
DAYS = 365


def _counts(session) -> dict:
    return {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def _max_ids(session) -> dict:
    return {t: session.execute(text(f"SELECT coalesce(max(id), 0) FROM {t}")).scalar_one() for t in TABLES}


def _generate(session, **params) -> tuple[dict, dict]:
    """Generate a city; returns its counts and the id bounds {table: (after, up to)} of its rows."""
    before = _max_ids(session)
    counts = generate_city(session.connection(), **{"spaces": 200, "bookings": 3000, "seed": 7,
                                                    "start": START, "days": DAYS, **params})
    after = _max_ids(session)
    return counts, {t: (before[t], after[t]) for t in TABLES}


def _scalar(session, sql: str, bounds: dict, **params):
    values = {f"{t}_lo": lo for t, (lo, _) in bounds.items()} | {f"{t}_hi": hi for t, (_, hi) in bounds.items()}
    return session.execute(text(sql), {**values, **params}).scalar_one()


SPACES_OF_RUN = "s.id > :spaces_lo AND s.id <= :spaces_hi"
BOOKINGS_OF_RUN = "b.id > :bookings_lo AND b.id <= :bookings_hi"


@pytest.fixture
def city(session):
    counts, bounds = _generate(session)
    return counts, bounds


def test_counts_match_the_tables(session, city):
    counts, bounds = city
    assert counts["spaces"] == 200
    assert counts["bookings"] == 3000
    assert 5 <= counts["organisations"] <= 15  # about spaces / 20
    assert 50 <= counts["sites"] <= 100  # about one per 3 spaces
    assert 5 * 200 <= counts["opening_hours"] <= 7 * 200
    for table, (lo, hi) in bounds.items():
        in_run = session.execute(text(f"SELECT count(*) FROM {table} WHERE id > :lo AND id <= :hi"),
                                 {"lo": lo, "hi": hi}).scalar_one()
        assert in_run == counts[table], table
    keys = session.execute(text(
        "SELECT key, id FROM organisations WHERE id > :lo AND id <= :hi"
    ), {"lo": bounds["organisations"][0], "hi": bounds["organisations"][1]}).all()
    assert all(key == f"synth-{oid}" for key, oid in keys)


def test_spaces_lie_in_hannover_and_cluster(session, city):
    _, bounds = city
    outside = _scalar(session, f"""
        SELECT count(*) FROM spaces s
        WHERE {SPACES_OF_RUN}
          AND NOT (ST_X(s.location) BETWEEN 9.60 AND 9.92 AND ST_Y(s.location) BETWEEN 52.30 AND 52.45
                   AND ST_SRID(s.location) = 4326)""", bounds)
    assert outside == 0
    # Spaces of one site share its point; sites spread over many distinct places.
    same_point = _scalar(session, f"""
        SELECT count(*) FROM spaces s JOIN sites t ON t.id = s.site_id
        WHERE {SPACES_OF_RUN} AND ST_Equals(s.location, t.location)""", bounds)
    assert same_point == 200
    places = _scalar(session, f"SELECT count(DISTINCT ST_AsText(s.location)) FROM spaces s WHERE {SPACES_OF_RUN}",
                     bounds)
    assert places > 50


def test_space_attributes_are_plausible(session, city):
    _, bounds = city
    rows = session.execute(text(f"""
        SELECT kind, capacity, area_m2, step_free, accessible_wc, equipment, booking_mode, cost_eur,
               available_from, available_until, name
        FROM spaces s WHERE {SPACES_OF_RUN}"""),
        {"spaces_lo": bounds["spaces"][0], "spaces_hi": bounds["spaces"][1]}).all()
    assert {r.kind for r in rows} == {"room", "hall", "kitchen", "workshop", "coworking", "outdoor"}
    assert all(4 <= r.capacity <= 150 for r in rows)
    assert sorted(r.capacity for r in rows)[100] < 40  # skewed small
    assert all(1.9 * r.capacity <= float(r.area_m2) <= 3.2 * r.capacity for r in rows)
    assert 0.45 < sum(r.step_free for r in rows) / 200 < 0.75
    assert 0.2 < sum(r.accessible_wc for r in rows) / 200 < 0.5
    equipment = {"kitchen", "projector", "screen", "chairs", "tables", "wifi", "stage", "sound"}
    assert all(set(r.equipment) <= equipment for r in rows)
    modes = Counter(r.booking_mode for r in rows)
    assert set(modes) <= {"instant", "on_request", "not_bookable"}
    assert modes["not_bookable"] < 30
    free = sum(r.cost_eur == 0 for r in rows)
    assert 0.45 < free / 200 < 0.75
    assert all(r.cost_eur == 0 or 5 <= r.cost_eur <= 80 for r in rows)
    today = START + timedelta(days=30)
    temporary = [r for r in rows if r.available_until]
    planned = [r for r in rows if r.available_from]
    assert 3 <= len(temporary) <= 35 and 1 <= len(planned) <= 25
    assert all(today < r.available_until <= today + timedelta(days=365) for r in temporary)
    assert all(today + timedelta(days=300) <= r.available_from <= today + timedelta(days=3 * 366) for r in planned)
    assert all(r.name.rsplit(" ", 1)[1].isdigit() for r in rows)


def test_opening_hours(session, city):
    _, bounds = city
    per_space = session.execute(text(f"""
        SELECT s.kind, count(*), bool_and(o.opens = '00:00' AND o.closes = '00:00'),
               bool_and(o.opens < o.closes)
        FROM spaces s JOIN opening_hours o ON o.space_id = s.id
        WHERE {SPACES_OF_RUN} GROUP BY s.id, s.kind"""),
        {"spaces_lo": bounds["spaces"][0], "spaces_hi": bounds["spaces"][1]}).all()
    assert len(per_space) == 200
    for kind, rows, around_the_clock, same_day in per_space:
        if kind == "outdoor":
            assert rows == 7 and around_the_clock
        else:
            assert 5 <= rows <= 7 and same_day


def test_slot_holding_bookings_never_overlap(session, city):
    _, bounds = city
    overlaps = _scalar(session, f"""
        SELECT count(*) FROM bookings b JOIN bookings c
          ON c.space_id = b.space_id AND c.id < b.id AND c.during && b.during
        WHERE {BOOKINGS_OF_RUN}
          AND b.status IN ('requested', 'confirmed') AND c.status IN ('requested', 'confirmed')""", bounds)
    assert overlaps == 0


def test_bookings_lie_in_opening_hours_on_full_or_half_hours(session, city):
    _, bounds = city
    outside = _scalar(session, f"""
        SELECT count(*) FROM bookings b
        WHERE {BOOKINGS_OF_RUN} AND NOT EXISTS (
            SELECT 1 FROM opening_hours o
            WHERE o.space_id = b.space_id
              AND o.weekday = extract(isodow FROM lower(b.during) AT TIME ZONE 'Europe/Berlin') - 1
              AND (lower(b.during) AT TIME ZONE 'Europe/Berlin')::time >= o.opens
              AND (upper(b.during) AT TIME ZONE 'Europe/Berlin')
                  <= (lower(b.during) AT TIME ZONE 'Europe/Berlin')::date + o.closes
                     + CASE WHEN o.closes <= o.opens THEN interval '1 day' ELSE interval '0' END)""", bounds)
    assert outside == 0
    odd = _scalar(session, f"""
        SELECT count(*) FROM bookings b
        WHERE {BOOKINGS_OF_RUN} AND NOT (
            extract(minute FROM lower(b.during) AT TIME ZONE 'Europe/Berlin') IN (0, 30)
            AND extract(second FROM lower(b.during) AT TIME ZONE 'Europe/Berlin') = 0
            AND upper(b.during) - lower(b.during) BETWEEN interval '1 hour' AND interval '3 hours'
            AND extract(epoch FROM upper(b.during) - lower(b.during))::int % 1800 = 0
            AND (lower(b.during) AT TIME ZONE 'Europe/Berlin')::date BETWEEN :first AND :last)""",
        bounds, first=START, last=START + timedelta(days=DAYS - 1))
    assert odd == 0


def test_bookings_respect_capacity_availability_and_status_mix(session, city):
    _, bounds = city
    too_many = _scalar(session, f"""
        SELECT count(*) FROM bookings b JOIN spaces s ON s.id = b.space_id
        WHERE {BOOKINGS_OF_RUN} AND NOT (b.attendees BETWEEN 1 AND s.capacity)""", bounds)
    assert too_many == 0
    unavailable = _scalar(session, f"""
        SELECT count(*) FROM bookings b JOIN spaces s ON s.id = b.space_id
        WHERE {BOOKINGS_OF_RUN} AND (
            s.booking_mode = 'not_bookable'
            OR (lower(b.during) AT TIME ZONE 'Europe/Berlin')::date < coalesce(s.available_from, '-infinity')
            OR (lower(b.during) AT TIME ZONE 'Europe/Berlin')::date > coalesce(s.available_until, 'infinity'))""",
        bounds)
    assert unavailable == 0
    rows = session.execute(text(f"SELECT status, is_public, purpose FROM bookings b WHERE {BOOKINGS_OF_RUN}"),
                           {"bookings_lo": bounds["bookings"][0], "bookings_hi": bounds["bookings"][1]}).all()
    status = Counter(r.status for r in rows)
    assert set(status) == {"confirmed", "requested", "cancelled", "declined"}
    assert 0.80 < status["confirmed"] / 3000 < 0.90
    assert 0.05 < status["requested"] / 3000 < 0.11
    public = [r for r in rows if r.is_public]
    assert 0.07 < len(public) / 3000 < 0.13
    assert all(r.purpose for r in public)
    assert "Nachbarschaftscafé" in {r.purpose for r in public}
    # Some spaces are much busier than others, and the bookings spread over many spaces.
    per_space = Counter(session.execute(text(f"SELECT space_id FROM bookings b WHERE {BOOKINGS_OF_RUN}"),
                                        {"bookings_lo": bounds["bookings"][0],
                                         "bookings_hi": bounds["bookings"][1]}).scalars())
    assert len(per_space) > 100
    assert max(per_space.values()) > 3 * (3000 / len(per_space))


def _fingerprint(session, bounds) -> tuple:
    """The data of one run without its ids: spaces in order, bookings by space number and time."""
    values = {"spaces_lo": bounds["spaces"][0], "spaces_hi": bounds["spaces"][1],
              "bookings_lo": bounds["bookings"][0], "bookings_hi": bounds["bookings"][1]}
    spaces = session.execute(text(f"""
        SELECT s.name, s.kind, s.capacity, s.area_m2, s.step_free, s.accessible_wc, s.equipment,
               s.booking_mode, s.cost_eur, s.available_from, s.available_until, ST_AsText(s.location), t.address,
               (SELECT array_agg(array[o.weekday::text, o.opens::text, o.closes::text] ORDER BY o.weekday)
                FROM opening_hours o WHERE o.space_id = s.id)
        FROM spaces s JOIN sites t ON t.id = s.site_id WHERE {SPACES_OF_RUN} ORDER BY s.id"""), values).all()
    bookings = session.execute(text(f"""
        SELECT s.name, lower(b.during), upper(b.during), b.status, b.attendees, b.purpose, b.is_public
        FROM bookings b JOIN spaces s ON s.id = b.space_id WHERE {BOOKINGS_OF_RUN}
        ORDER BY b.id"""), values).all()
    return tuple(map(tuple, spaces)), tuple(map(tuple, bookings))


def test_second_run_adds_as_much_again_with_the_same_data(session):
    before = _counts(session)
    first, first_bounds = _generate(session)
    second, second_bounds = _generate(session)
    assert first == second
    assert _counts(session) == {t: before[t] + 2 * first[t] for t in TABLES}
    one, two = _fingerprint(session, first_bounds), _fingerprint(session, second_bounds)
    assert Counter(row[2] for row in one[0]) == Counter(row[2] for row in two[0])  # capacities
    assert one == two
    third, third_bounds = _generate(session, seed=8, spaces=50, bookings=300)
    assert third["spaces"] == 50 and third["bookings"] == 300
    assert _fingerprint(session, third_bounds)[0] != one[0][:50]


def test_too_many_bookings_are_refused(session):
    with pytest.raises(ValueError, match="not enough free slots"):
        generate_city(session.connection(), spaces=3, bookings=10_000, seed=1, start=START, days=7)


def test_no_bookings_and_default_start(session):
    counts = generate_city(session.connection(), spaces=10, bookings=0)
    assert counts["spaces"] == 10 and counts["bookings"] == 0


def test_command_prints_counts(app, session):
    result = app.test_cli_runner().invoke(
        synthetic_city_command, ["--spaces", "30", "--bookings", "200", "--seed", "3", "--days", "60"]
    )
    assert result.exit_code == 0, result.output
    assert "30 spaces" in result.output and "200 bookings" in result.output
