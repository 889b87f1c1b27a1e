"""The map's counts over the whole city without filters are kept between requests (spaces.finder.map_cache) and
served only while they are true: same day, no space written since, a view holding every space."""

import json
from datetime import timedelta

from factories import create_space
from sqlalchemy import select, text

from spaces.clock import BERLIN
from spaces.finder.map_cache import map_counts

CITY = "/api/spaces/clusters?bbox=9.0,52.0,10.5,53.0&zoom=11"
LISTED = "/api/spaces?bbox=9.0,52.0,10.5,53.0&limit=1"  # the list's total: the same rule, never kept


def _kept(session) -> list:
    return session.execute(select(map_counts.c.zoom, map_counts.c.day, map_counts.c.version)).all()


def _plant(session, marker: str = '{"kept": true}') -> None:
    session.execute(text("UPDATE map_counts SET geojson = :g"), {"g": marker})


def test_the_city_view_is_kept_and_served_until_a_space_changes(client, session, demo, demo_clock):
    listed = client.get(LISTED).get_json()["total"]
    first = client.get(CITY).get_json()
    assert first["total"] == listed > 20 and len(_kept(session)) == 1
    _plant(session)  # what is kept is what is served
    assert client.get(CITY).get_json() == {"kept": True}
    assert client.get(CITY.replace("zoom=11", "zoom=12")).get_json()["total"] == listed  # another zoom: its own

    create_space(session, lon=9.75, lat=52.37)  # any write to spaces makes what is kept too old
    fresh = client.get(CITY).get_json()
    assert fresh["total"] == listed + 1 and fresh != {"kept": True}
    assert sum(f["properties"]["count"] for f in fresh["features"]) == listed + 1


def test_it_is_not_served_on_another_day_or_for_a_view_without_every_space(client, session, demo, demo_clock):
    client.get(CITY)
    _plant(session)
    demo_clock.advance(timedelta(days=40))  # into 2027: the spaces that closed in December are gone
    listed = client.get(LISTED).get_json()["total"]
    assert client.get(CITY).get_json()["total"] == listed
    _plant(session)
    west = client.get("/api/spaces/clusters?bbox=9.0,52.0,9.72,53.0&zoom=11").get_json()
    assert "kept" not in west and 0 < west["total"] < listed
    assert [row.zoom for row in _kept(session)] == [11]  # a view without every space is not kept


def test_filters_are_never_answered_with_the_counts_of_everything(client, session, demo, demo_clock):
    client.get(CITY)
    _plant(session)
    for query in ("&capacity=40", "&step_free=1", "&kind=hall", "&free=1", "&equipment=kitchen",
                  "&date=2026-11-26", "&date=2026-11-26&from=18:00&to=20:00", "&lat=52.37&lon=9.73&walk=60"):
        answer = client.get(CITY + query).get_json()
        assert "kept" not in answer, query
        assert answer["total"] == client.get(LISTED + query).get_json()["total"], query
    assert json.loads(session.scalar(select(map_counts.c.geojson))) == {"kept": True}


def test_writing_spaces_in_any_way_moves_the_version(session, demo):
    def version():
        return session.scalar(text("SELECT n FROM spaces_version"))

    before = version()
    session.execute(text("UPDATE spaces SET capacity = capacity WHERE false"))  # a statement, even of no rows
    assert version() == before + 1
    session.execute(text("DELETE FROM spaces WHERE id = (SELECT min(id) FROM spaces)"))
    assert version() >= before + 2  # and again for the opening hours the delete cascades to


def test_the_extent_of_the_spaces_is_learnt_once_per_version_and_day(client, session, demo, demo_clock):
    """A district view learns from spaces_version that it does not hold every space, without a scan each time."""
    def extent():
        return session.execute(text("SELECT extent_day, west, south, east, north FROM spaces_version")).one()

    district = "/api/spaces/clusters?bbox=9.70,52.36,9.74,52.39&zoom=15"
    assert extent().extent_day is None
    client.get(district)
    day, west, south, east, north = extent()
    open_spaces = [f["geometry"]["coordinates"] for f in client.get(LISTED.replace("limit=1", "limit=100"))
                   .get_json()["features"]]
    assert day == demo_clock.now.astimezone(BERLIN).date()
    assert (west, south) == (min(c[0] for c in open_spaces), min(c[1] for c in open_spaces))
    assert (east, north) == (max(c[0] for c in open_spaces), max(c[1] for c in open_spaces))
    assert _kept(session) == []  # the district was counted, not kept
    create_space(session, lon=9.75, lat=52.37)
    assert extent().extent_day is None  # a write to spaces forgets it
