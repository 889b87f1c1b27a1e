"""The database itself refuses what must never happen."""

import pytest
from factories import create_booking, create_space, utc
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import DataError, IntegrityError


def test_overlapping_confirmed_booking_is_refused(session):
    space = create_space(session)
    create_booking(session, space, utc(2026, 12, 1, 17), hours=2)
    with pytest.raises(IntegrityError, match="bookings_no_overlap"):
        create_booking(session, space, utc(2026, 12, 1, 18), hours=2)


@pytest.mark.parametrize(
    "first, second, refused",
    [
        ("confirmed", "confirmed", True),
        ("confirmed", "requested", True),
        ("requested", "requested", True),
        ("cancelled", "confirmed", False),
        ("declined", "confirmed", False),
        ("confirmed", "cancelled", False),
        ("confirmed", "declined", False),
    ],
)
def test_only_slot_holding_bookings_exclude_each_other(session, first, second, refused):
    space = create_space(session)
    create_booking(session, space, utc(2026, 12, 1, 17), status=first)
    if refused:
        with pytest.raises(IntegrityError, match="bookings_no_overlap"):
            create_booking(session, space, utc(2026, 12, 1, 17, 30), status=second)
    else:
        create_booking(session, space, utc(2026, 12, 1, 17, 30), status=second)


def test_reinstating_a_cancelled_booking_into_a_taken_slot_is_refused(session):
    space = create_space(session)
    cancelled = create_booking(session, space, utc(2026, 12, 1, 17), status="cancelled")
    create_booking(session, space, utc(2026, 12, 1, 17), status="confirmed")
    cancelled.status = "confirmed"
    with pytest.raises(IntegrityError, match="bookings_no_overlap"):
        session.flush()


def test_back_to_back_bookings_and_other_spaces_are_fine(session):
    space, other = create_space(session), create_space(session)
    create_booking(session, space, utc(2026, 12, 1, 17), hours=2)
    create_booking(session, space, utc(2026, 12, 1, 19), hours=2)  # starts when the first ends
    create_booking(session, other, utc(2026, 12, 1, 17), hours=2)


def test_reversed_time_range_is_refused(session):
    space = create_space(session)
    with pytest.raises(DataError, match="lower bound must be less than or equal to range upper bound"):
        create_booking(session, space, utc(2026, 12, 1, 19), hours=-2)


@pytest.mark.parametrize(
    "during",
    [
        Range(utc(2026, 12, 1, 17), utc(2026, 12, 1, 17), bounds="[)"),  # empty
        Range(utc(2026, 12, 1, 17), None, bounds="[)"),  # open end
        Range(None, utc(2026, 12, 1, 17), bounds="[)"),  # open start
        Range(utc(2026, 12, 1, 17), utc(2026, 12, 1, 19), bounds="[]"),  # closed end
    ],
    ids=["empty", "no-end", "no-start", "inclusive-end"],
)
def test_unbounded_or_empty_booking_ranges_are_refused(session, during):
    space = create_space(session)
    with pytest.raises(IntegrityError, match="ck_bookings_during_bounded"):
        create_booking(session, space, utc(2026, 12, 1, 17), during=during)


def test_empty_closure_is_refused(session):
    space = create_space(session)
    with pytest.raises(IntegrityError, match="ck_closures_during_bounded"):
        session.execute(
            text("INSERT INTO closures (space_id, during) VALUES (:id, tstzrange(now(), now()))"), {"id": space.id}
        )


@pytest.mark.parametrize("capacity", [0, -5])
def test_capacity_must_be_positive(session, capacity):
    with pytest.raises(IntegrityError, match="ck_spaces_capacity_positive"):
        create_space(session, capacity=capacity)


def test_attendees_must_be_positive(session):
    space = create_space(session)
    with pytest.raises(IntegrityError, match="ck_bookings_attendees_positive"):
        create_booking(session, space, utc(2026, 12, 1, 17), attendees=0)


BOWTIE = "MULTIPOLYGON(((9.80 52.32, 9.82 52.34, 9.82 52.32, 9.80 52.34, 9.80 52.32)))"
SQUARE = "MULTIPOLYGON(((9.80 52.32, 9.82 52.32, 9.82 52.34, 9.80 52.34, 9.80 52.32)))"


def _insert_phase(session, wkt):
    session.execute(
        text("INSERT INTO construction_phases (name, geom, status) "
             "VALUES ('Testfeld', ST_GeomFromText(:wkt, 4326), 'planned')"),
        {"wkt": wkt},
    )


def test_self_intersecting_polygon_is_refused(session):
    with pytest.raises(IntegrityError, match="ck_construction_phases_geom_valid"):
        _insert_phase(session, BOWTIE)


def test_valid_polygon_is_stored(session):
    _insert_phase(session, SQUARE)
    area = session.execute(text("SELECT ST_Area(geom::geography) FROM construction_phases")).scalar_one()
    assert 3_000_000 < area < 3_100_000  # about 1.36 km x 2.22 km


def test_geometry_of_another_srid_is_refused(session):
    with pytest.raises(DataError, match="SRID"):
        session.execute(
            text("INSERT INTO construction_phases (name, geom, status) "
                 "VALUES ('UTM', ST_GeomFromText(:wkt, 25832), 'planned')"),
            {"wkt": "MULTIPOLYGON(((550000 5800000, 551000 5800000, 551000 5801000, 550000 5800000)))"},
        )


def test_spatial_columns_have_gist_indexes(session):
    rows = session.execute(text(
        "SELECT tablename, indexdef FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'"
    )).all()
    indexed = {(t, d.split("(")[-1].rstrip(")")) for t, d in rows}
    for table, column in [("spaces", "location"), ("construction_phases", "geom"), ("sites", "location")]:
        assert (table, column) in indexed
