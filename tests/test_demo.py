"""The Hannover demo data loads, and loading it twice changes nothing."""

from sqlalchemy import func, select, text

from spaces.dev.demo import load
from spaces.models import ConstructionPhase, OpeningHours, Organisation, Quartier, Site, Space

MODELS = (Organisation, Quartier, Site, Space, OpeningHours, ConstructionPhase)


def _counts(session) -> dict:
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in MODELS}


def test_loading_twice_gives_the_same_counts(session):
    load(session)
    first = _counts(session)
    load(session)
    session.flush()
    assert _counts(session) == first
    assert first["spaces"] == 29
    assert first["construction_phases"] == 4
    assert first["organisations"] == 5
    assert first["quartiers"] == 8


def test_loading_again_restores_changed_demo_values(session):
    load(session)
    space = session.scalars(select(Space).filter_by(name="Die Übersee")).one()
    space.capacity = 1
    session.flush()
    load(session)
    session.refresh(space)
    assert space.capacity == 60


def test_kronsrode_phases_are_valid_areas_in_the_east_of_hannover(session):
    load(session)
    rows = session.execute(text(
        "SELECT name, ST_IsValid(geom), ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)), "
        "ST_Area(geom::geography) FROM construction_phases ORDER BY name"
    )).all()
    assert [r[0] for r in rows] == [f"Kronsrode Baufeld {i}" for i in range(1, 5)]
    for name, valid, lon, lat, area in rows:
        assert valid
        assert 9.78 < lon < 9.85 and 52.31 < lat < 52.35, name
        assert 50_000 < area < 500_000, name  # a construction field, not a city


def test_spaces_share_one_site_per_address(session):
    load(session)
    sites = session.scalar(select(func.count()).select_from(Site))
    addresses = session.scalar(select(func.count(func.distinct(Site.address))))
    assert sites == addresses == 11


def test_outdoor_spot_is_open_around_the_clock_and_not_bookable(session):
    load(session)
    spot = session.scalars(select(Space).filter_by(kind="outdoor")).one()
    assert spot.booking_mode == "not_bookable"
    assert len(spot.opening_hours) == 7
    assert all(h.opens == h.closes for h in spot.opening_hours)


def test_booking_modes_and_opening_hours_come_from_the_file(session):
    """8 spaces book at once, 20 on request, 1 not at all; each with the hours the file gives in OSM syntax."""
    from collections import Counter

    load(session)
    modes = Counter(session.scalars(select(Space.booking_mode)))
    assert modes == {"instant": 8, "on_request": 20, "not_bookable": 1}
    uebersee = session.scalars(select(Space).filter_by(name="Die Übersee")).one()
    from datetime import time

    assert [(h.weekday, h.opens, h.closes) for h in uebersee.opening_hours] == \
        [(d, time(16), time(23)) for d in range(5)] + [(5, time(12), time(0))]
    treff = session.scalars(select(Space).filter(Space.name.like("Quartierstreff Kronsberg-Süd%"))).one()
    assert treff.booking_mode == "instant"
    assert [(h.weekday, h.opens, h.closes) for h in treff.opening_hours] == [
        (1, time(15), time(21)), (3, time(15), time(21)), (5, time(10), time(14))]
