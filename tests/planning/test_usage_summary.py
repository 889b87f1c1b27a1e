"""The usage summary (migration 0022): the whole city's report read from the figures kept per local month by the
bookings' trigger equals the report computed from the bookings alone, after a seeded random mix of inserts,
updates and deletes (across month boundaries and through the nights the clocks change); compaction changes no
answer; the trigger ignores changes that do not count; the synthetic city's summary is right after its COPY."""

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from factories import create_organisation, create_space
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import event, text

from spaces.clock import BERLIN
from spaces.core.usage import local_window
from spaces.db import db
from spaces.dev.synthetic import generate_city
from spaces.models import OpeningHours, Quartier
from spaces.planning.usage import data, service, summary
from spaces.planning.usage.data import Scope
from spaces.planning.usage.service import build_report
from spaces.planning.usage.summary import TRIGGERS

# Days where a booking meets something: local month ends, and the days the clocks change (last Sunday of
# March and October 2026 and 2027), with their neighbours.
SPECIAL_DAYS = [date(2026, 3, 31), date(2026, 3, 28), date(2026, 3, 29), date(2026, 4, 30), date(2026, 9, 30),
                date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 31), date(2026, 12, 31), date(2027, 1, 31),
                date(2027, 2, 28), date(2027, 3, 27), date(2027, 3, 28), date(2027, 3, 31), date(2027, 10, 30),
                date(2027, 10, 31), date(2027, 11, 30), date(2027, 12, 31)]
FIRST_DAY, DAYS = date(2026, 1, 1), 2 * 365 + 30

PERIODS = {
    "a year": (date(2027, 1, 1), date(2027, 12, 31)),
    "whole months": (date(2026, 3, 1), date(2026, 10, 31)),
    "partial edges": (date(2026, 3, 15), date(2027, 4, 10)),
    "from a clock change": (date(2026, 10, 25), date(2027, 3, 28)),
    "one whole month and a bit": (date(2026, 9, 30), date(2026, 11, 1)),
    "shorter than a month": (date(2026, 10, 20), date(2026, 11, 5)),
}


def _instant(rng: random.Random) -> datetime:
    """A start: often late on a special day (so that it crosses midnight, a month end or a clock change)."""
    if rng.random() < 0.6:
        day = rng.choice(SPECIAL_DAYS)
        return datetime.combine(day, time(0), BERLIN).astimezone(UTC) + timedelta(minutes=30 * rng.randrange(48))
    day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
    return datetime.combine(day, time(0), UTC) + timedelta(minutes=15 * rng.randrange(96))


def _length(rng: random.Random) -> timedelta:
    r = rng.random()
    if r < 0.75:
        return timedelta(minutes=30 * rng.randint(1, 12))
    if r < 0.97:
        return timedelta(hours=rng.randint(13, 60))
    return timedelta(days=rng.randint(25, 70))  # longer than a month: whole months inside it


STATUSES = ["confirmed", "confirmed", "declined", "requested", "cancelled"]


@pytest.fixture
def city(session):
    """Two Quartiers, two providers with six bookable spaces, four groups (and none)."""
    for name, lon in (("Westquartier", 9.70), ("Ostquartier", 9.80)):
        session.add(Quartier(name=name, centre=from_shape(Point(lon, 52.37), srid=4326)))
    providers = [create_organisation(session, name=f"Summenträger {i}") for i in (1, 2)]
    groups = [create_organisation(session, name=f"Summengruppe {i}", kind="initiative").id for i in range(4)]
    spaces = [create_space(session, organisation=providers[i % 2], lon=9.69 + 0.03 * i, lat=52.37,
                           booking_mode="instant").id for i in range(6)]
    for space_id in spaces:
        session.add_all(OpeningHours(space_id=space_id, weekday=wd, opens=time(8), closes=time(22)) for wd in range(7))
    session.flush()
    return {"spaces": spaces, "groups": groups + [None]}


def _try(session, sql: str, **params) -> bool:
    """One change in a savepoint; False (and undone) where the bookings' rules refuse it (an overlap)."""
    savepoint = session.begin_nested()
    try:
        session.execute(text(sql), params)
    except Exception:  # noqa: BLE001 (the exclusion constraint: that slot is taken)
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _shuffle(session, city, seed: int, operations: int) -> None:
    """A seeded random mix of inserts, status changes, moves in time and to another space, other groups,
    public toggled, and deletes."""
    rng = random.Random(seed)
    ids: list[int] = []
    for _ in range(operations):
        op = rng.random() if ids else 0.0
        booking = rng.choice(ids) if ids else None
        if op < 0.4:
            start = _instant(rng)
            _try(session, "INSERT INTO bookings (space_id, organisation_id, during, status, attendees, is_public) "
                 "VALUES (:space, :group, tstzrange(:start, :end, '[)'), :status, 3, :public)",
                 space=rng.choice(city["spaces"]), group=rng.choice(city["groups"]), start=start,
                 end=start + _length(rng), status=rng.choice(STATUSES), public=rng.random() < 0.3)
            ids = list(session.execute(text("SELECT id FROM bookings ORDER BY id")).scalars())
        elif op < 0.6:
            _try(session, "UPDATE bookings SET status = :s WHERE id = :id", s=rng.choice(STATUSES), id=booking)
        elif op < 0.7:
            start = _instant(rng)
            _try(session, "UPDATE bookings SET during = tstzrange(:start, :end, '[)') WHERE id = :id",
                 start=start, end=start + _length(rng), id=booking)
        elif op < 0.78:
            _try(session, "UPDATE bookings SET space_id = :space WHERE id = :id", space=rng.choice(city["spaces"]),
                 id=booking)
        elif op < 0.85:
            _try(session, "UPDATE bookings SET organisation_id = :group WHERE id = :id",
                 group=rng.choice(city["groups"]), id=booking)
        elif op < 0.92:
            _try(session, "UPDATE bookings SET is_public = NOT is_public WHERE id = :id", id=booking)
        else:
            _try(session, "DELETE FROM bookings WHERE id = :id", id=booking)
            ids.remove(booking)


def _figures(report) -> dict:
    """Everything the report says that comes from the bookings (and the open time, to see the same spaces)."""
    def f(x):
        return (x.confirmed, x.public, x.booked_seconds, x.declined, frozenset(x.groups), x.open_seconds, x.spaces)

    return {
        "spaces": {s.id: f(s.figures) for s in report.spaces},
        "providers": [(q.name, p.id, f(p.figures)) for q in report.quartiers for p in q.providers],
        "quartiers": [(q.name, f(q.figures)) for q in report.quartiers],
        "total": f(report.total),
        "heat booked": report.heat.booked,
        "heat open": report.heat.open,
    }


def _both(app, session, monkeypatch, first, last):
    """The whole city's report from the summary and from the bookings alone; and whether the summary was read."""
    calls = []
    real = data.summarised_figures
    monkeypatch.setattr(data, "summarised_figures", lambda *a: calls.append(1) or real(*a))
    with app.test_request_context():
        summarised = _figures(build_report(session, Scope(), first, last))
        with monkeypatch.context() as m:
            m.setattr(service, "whole_months", lambda first, last: None)
            raw = _figures(build_report(session, Scope(), first, last))
    return summarised, raw, bool(calls)


def _assert_equal(summarised, raw):
    assert summarised["total"][0] > 0, "no confirmed booking in the period: the test would prove nothing"
    for key in raw:
        assert summarised[key] == raw[key], key


def test_the_summary_equals_the_bookings_after_random_changes(app, session, city, monkeypatch):
    _shuffle(session, city, seed=14, operations=400)
    counts = dict(session.execute(text("SELECT status, count(*) FROM bookings GROUP BY status")).all())
    assert counts.get("confirmed", 0) > 40 and counts.get("declined", 0) > 10
    for name, (first, last) in PERIODS.items():
        summarised, raw, read = _both(app, session, monkeypatch, first, last)
        assert read == (name != "shorter than a month"), name
        _assert_equal(summarised, raw)

    before = summary.rows(session)
    assert summary.compact(session)
    after = summary.rows(session)
    assert after.figures < before.figures / 2 and after.heat < before.heat / 2
    for first, last in PERIODS.values():
        _assert_equal(*_both(app, session, monkeypatch, first, last)[:2])
    # compacted is what a rebuild from the bookings gives, row for row
    compacted = _rows(session)
    summary.rebuild(session)
    assert _rows(session) == compacted
    # compacting twice changes nothing, and more changes after a compaction still add up
    assert summary.compact(session) and _rows(session) == compacted
    _shuffle(session, city, seed=15, operations=120)
    for first, last in PERIODS.values():
        _assert_equal(*_both(app, session, monkeypatch, first, last)[:2])


def _rows(session) -> tuple[list, list]:
    return (session.execute(text("SELECT space_id, organisation_id, month, confirmed, public, seconds, declined "
                                 "FROM usage_month_figures ORDER BY 1, 2 NULLS FIRST, 3")).all(),
            session.execute(text("SELECT month, cell, seconds FROM usage_month_heat ORDER BY 1, 2")).all())


def test_a_booking_across_months_and_the_clock_change_is_cut_where_it_lies(session, city):
    """Confirmed Saturday 31 October 2026 22:00 to Sunday 1 November 03:00 (no clock change: that was 25.10.)
    and Saturday 27 March 2027 23:00 to Sunday 28 March 04:00 (02:00 does not happen): per month and cell."""
    space, group = city["spaces"][0], city["groups"][0]
    for start, end in ((datetime(2026, 10, 31, 22, tzinfo=BERLIN), datetime(2026, 11, 1, 3, tzinfo=BERLIN)),
                       (datetime(2027, 3, 27, 23, tzinfo=BERLIN), datetime(2027, 3, 28, 4, tzinfo=BERLIN))):
        session.execute(text("INSERT INTO bookings (space_id, organisation_id, during, status, attendees) "
                             "VALUES (:s, :g, tstzrange(:a, :b, '[)'), 'confirmed', 2)"),
                        {"s": space, "g": group, "a": start, "b": end})
    summary.compact(session)
    figures, heat = _rows(session)
    assert [(r.month, r.confirmed, r.seconds) for r in figures] == [
        (date(2026, 10, 1), 1, 2 * 3600), (date(2026, 11, 1), 0, 3 * 3600), (date(2027, 3, 1), 1, 4 * 3600)]
    sat, sun = 5 * 24, 6 * 24
    assert {(r.month, r.cell): r.seconds for r in heat} == {
        (date(2026, 10, 1), sat + 22): 3600, (date(2026, 10, 1), sat + 23): 3600,
        (date(2026, 11, 1), sun + 0): 3600, (date(2026, 11, 1), sun + 1): 3600, (date(2026, 11, 1), sun + 2): 3600,
        (date(2027, 3, 1), sat + 23): 3600, (date(2027, 3, 1), sun + 0): 3600, (date(2027, 3, 1), sun + 1): 3600,
        (date(2027, 3, 1), sun + 3): 3600}  # no 2 o'clock on 28 March 2027


def test_changes_that_do_not_count_write_nothing(session, city):
    start = datetime(2027, 5, 3, 10, tzinfo=BERLIN)
    booking = session.execute(text(
        "INSERT INTO bookings (space_id, organisation_id, during, status, attendees) "
        "VALUES (:s, :g, tstzrange(:a, :b, '[)'), 'confirmed', 2) RETURNING id"),
        {"s": city["spaces"][0], "g": city["groups"][0], "a": start, "b": start + timedelta(hours=2)}).scalar_one()
    before = summary.rows(session)
    assert before.figures == 1 and before.heat == 2
    session.execute(text("UPDATE bookings SET attendees = 7, purpose = 'Probe', decision_note = 'ok' WHERE id = :id"),
                    {"id": booking})
    assert summary.rows(session) == before
    for status in ("requested", "cancelled", "requested"):  # a booking that does not count, changed: nothing
        session.execute(text("UPDATE bookings SET status = :s WHERE id = :id"), {"s": status, "id": booking})
    after_cancel = summary.rows(session)
    session.execute(text("UPDATE bookings SET is_public = true, space_id = :s WHERE id = :id"),
                    {"s": city["spaces"][1], "id": booking})
    assert summary.rows(session) == after_cancel


def test_the_edges_are_read_through_an_index(session, city):
    """The partial months are found through ix_bookings_usage (not a scan of all bookings)."""
    session.execute(text("SET LOCAL enable_seqscan = off"))
    window, inner = local_window(date(2027, 1, 15), date(2027, 3, 10)), local_window(date(2027, 2, 1),
                                                                                       date(2027, 2, 28))
    sql = "EXPLAIN " + data._SUMMARISED
    plan = "\n".join(session.execute(text(sql), {"start": window.start, "end": window.end, "m0": date(2027, 2, 1),
                                                 "m1": date(2027, 3, 1), "f0": inner.start,
                                                 "f1": inner.end}).scalars())
    assert "ix_bookings_usage" in plan and "Seq Scan on bookings" not in plan


def test_the_city_report_sends_no_more_statements_than_before(app, session, city, monkeypatch):
    _shuffle(session, city, seed=3, operations=40)
    seen = []

    def count(*_):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with app.test_request_context():
            build_report(session, Scope(), *PERIODS["partial edges"])
            summarised = len(seen)
            seen.clear()
            monkeypatch.setattr(service, "whole_months", lambda first, last: None)
            build_report(session, Scope(), *PERIODS["partial edges"])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert summarised == len(seen) <= 9


def test_the_synthetic_city_has_its_summary(app, session, monkeypatch):
    generate_city(session.connection(), spaces=120, bookings=2000, seed=5, start=date(2026, 9, 20), days=200)
    enabled = dict(session.execute(text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgname = ANY(:names)"),
                                   {"names": list(TRIGGERS)}).all())
    assert enabled == {name: "O" for name in TRIGGERS}  # on again after the COPY
    assert summary.rows(session).figures > 0
    for first, last in ((date(2026, 10, 1), date(2027, 3, 31)), (date(2026, 10, 12), date(2027, 2, 20))):
        summarised, raw, read = _both(app, session, monkeypatch, first, last)
        assert read
        _assert_equal(summarised, raw)


def test_the_commands_compact_and_rebuild(app, session, city):
    _shuffle(session, city, seed=9, operations=60)
    runner = app.test_cli_runner()
    compacted = runner.invoke(args=["usage", "compact"])
    assert compacted.exit_code == 0 and "Nutzungszusammenfassung verdichtet" in compacted.output
    rows = _rows(session)
    rebuilt = runner.invoke(args=["usage", "rebuild"])
    assert rebuilt.exit_code == 0 and "neu berechnet" in rebuilt.output
    assert _rows(session) == rows and len(rows[0]) > 0
