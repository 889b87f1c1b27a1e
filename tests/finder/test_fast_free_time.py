"""The shortcuts that let the search ask every space in view (migration 0012) say what the rule says:

* spaces.week_open, the weekly opening hours in seconds of the week, is kept by a trigger whatever writes
  opening_hours (the ORM, one statement with many rows, updates, deletes);
* "open throughout a window" from week_open equals the openings of the window's days (openings_between)
  for any hours and any window within one local day without a DST change nearby;
* the booking check reads the taken spaces of the window once, through ix_bookings_slot_time, and asks
  each space from a hash;
* spaces.map_x/map_y are Web-Mercator metres, as PostGIS's own EPSG:3857.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from factories import create_booking, create_space, utc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import Range
from test_query_plans import _plan
from werkzeug.datastructures import MultiDict

from spaces.core.availability import BERLIN, wall_time_to_utc
from spaces.finder.queries import BoundWindow, _week_seconds, open_throughout, search_spaces, window_values
from spaces.finder.search import parse_search
from spaces.models import OpeningHours, Space

MONDAY = 86400 * 0
SUNDAY = 86400 * 6


def _week_open(session, space_id: int) -> list[tuple[int, int]]:
    ranges = session.scalar(select(Space.week_open).where(Space.id == space_id))
    return [(r.lower, r.upper) for r in ranges]


def test_the_trigger_keeps_the_weekly_hours_whatever_writes_them(session):
    space = create_space(session)
    assert _week_open(session, space.id) == []
    # Monday 10-14 and 14-18 touch: one range. Sunday 22:00-02:00 runs into Monday.
    session.add_all([OpeningHours(space_id=space.id, weekday=0, opens=time(10), closes=time(14)),
                     OpeningHours(space_id=space.id, weekday=0, opens=time(14), closes=time(18)),
                     OpeningHours(space_id=space.id, weekday=6, opens=time(22), closes=time(2))])
    session.flush()
    assert _week_open(session, space.id) == [(0, 2 * 3600), (10 * 3600, 18 * 3600), (SUNDAY + 22 * 3600, 604800)]

    session.execute(text("UPDATE opening_hours SET closes = '13:00' WHERE space_id = :id AND opens = '10:00'"),
                    {"id": space.id})
    assert _week_open(session, space.id) == [(0, 2 * 3600), (10 * 3600, 13 * 3600), (14 * 3600, 18 * 3600),
                                             (SUNDAY + 22 * 3600, 604800)]
    session.execute(text("DELETE FROM opening_hours WHERE space_id = :id AND weekday = 6"), {"id": space.id})
    assert _week_open(session, space.id) == [(10 * 3600, 13 * 3600), (14 * 3600, 18 * 3600)]

    # One statement writing the hours of several spaces (as imports and the synthetic city's COPY do).
    other = create_space(session)
    session.execute(text("""INSERT INTO opening_hours (space_id, weekday, opens, closes) VALUES
        (:a, 2, '08:00', '08:00'), (:b, 4, '09:30', '12:15'), (:b, 4, '12:15', '00:00')"""),
        {"a": space.id, "b": other.id})
    assert _week_open(session, space.id) == [(10 * 3600, 13 * 3600), (14 * 3600, 18 * 3600),
                                             (2 * 86400 + 8 * 3600, 3 * 86400 + 8 * 3600)]  # 24 hours from 08:00
    assert _week_open(session, other.id) == [(4 * 86400 + 9 * 3600 + 1800, 5 * 86400)]

    session.execute(text("DELETE FROM opening_hours WHERE space_id IN (:a, :b)"), {"a": space.id, "b": other.id})
    assert _week_open(session, space.id) == [] and _week_open(session, other.id) == []


@pytest.mark.parametrize("start, end, expected", [
    ((2027, 1, 11, 18), (2027, 1, 11, 20), (18 * 3600, 20 * 3600)),  # a Monday in winter
    ((2027, 6, 13, 22), (2027, 6, 14, 0), (SUNDAY + 22 * 3600, 604800)),  # Sunday until midnight, summer time
    ((2027, 1, 11, 23), (2027, 1, 12, 1), None),  # over midnight: two days
    ((2027, 1, 12, 9, 0, 30, 500), (2027, 1, 12, 9, 1, 30, 500), (86400 + 9 * 3600 + 30, 86400 + 9 * 3600 + 91)),
])
def test_a_window_in_seconds_of_the_week(start, end, expected):
    def local(*parts):
        return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)

    assert _week_seconds(local(*start), local(*end)) == expected


quarter = st.integers(0, 95)
hours_strategy = st.lists(st.tuples(st.integers(0, 6), quarter, quarter), max_size=8)


def _t(quarters: int) -> time:
    return time(quarters // 4, quarters % 4 * 15)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hours=hours_strategy, day=st.integers(0, 6), begin=quarter, length=st.integers(1, 96))
def test_open_throughout_from_week_open_equals_the_openings_of_the_days(session, hours, day, begin, length):
    """Touching, overnight and 24-hour openings, windows up to midnight: both ways give the same answer."""
    space = create_space(session)
    seen = set()
    for weekday, opens, closes in hours:
        if (weekday, opens) not in seen:
            seen.add((weekday, opens))
            session.add(OpeningHours(space_id=space.id, weekday=weekday, opens=_t(opens), closes=_t(closes)))
    session.flush()
    local_day = datetime(2027, 1, 11).date() + timedelta(days=day)  # a week in January: no DST change
    start = wall_time_to_utc(local_day, _t(begin))
    end_quarters = min(begin + length, 96)
    end = (wall_time_to_utc(local_day + timedelta(days=1), time(0)) if end_quarters == 96
           else wall_time_to_utc(local_day, _t(end_quarters)))
    values = window_values("w", start, end, utc(2027, 1, 1))
    assert values["w_in_week"], "a window within one winter day uses week_open"
    answer = select(open_throughout(BoundWindow("w"))).where(Space.id == space.id)
    fast = session.scalar(answer.params(values))
    slow = session.scalar(answer.params({**values, "w_in_week": False}))
    assert fast == slow, (hours, local_day, _t(begin), end)
    session.execute(text("DELETE FROM opening_hours WHERE space_id = :id"), {"id": space.id})


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


WINDOW = {"date": "2027-01-12", "from": "18:00", "to": "20:00"}


@pytest.mark.parametrize("args, spaces_index", [
    (WINDOW, None),  # the whole city (the map zoomed out): every space is read, in any order
    ({**WINDOW, "lat": "52.37", "lon": "9.72", "walk": "15", "capacity": "10", "sort": "distance"},
     "ix_spaces_location_geography"),  # the walk search: candidates from the geography index
    ({**WINDOW, "bbox": "9.70,52.36,9.76,52.38"}, "idx_spaces_location"),  # a district
])
def test_the_booking_check_reads_the_window_once_and_asks_each_space_from_a_hash(session, args, spaces_index):
    """The plan the walk search and the map keep whatever the point and date: spaces from their index, the
    window's bookings read once through ix_bookings_slot_time, each candidate asked from a hash."""
    for i in range(20):
        space = create_space(session, lon=9.70 + i * 0.003, lat=52.37)
        create_booking(session, space, utc(2027, 1, 12, 17 + i % 3))
    search = parse_search(MultiDict(args), today=datetime(2027, 1, 1).date())
    plan = _plan(session, search_spaces(search, now=utc(2027, 1, 1), limit=50))
    nodes = list(_nodes(plan))
    taken = [n for n in nodes if n.get("Relation Name") == "bookings"]
    assert taken and all(n.get("Index Name") == "ix_bookings_slot_time" for n in taken), json.dumps(plan, indent=1)
    filters = " ".join(n.get("Filter", "") for n in nodes)
    assert "hashed SubPlan" in filters, json.dumps(plan, indent=1)
    if spaces_index:
        assert spaces_index in {n.get("Index Name") for n in nodes}, json.dumps(plan, indent=1)


def test_the_stored_map_coordinates_are_web_mercator(session):
    for lon, lat in ((9.7320, 52.3744), (9.55, 52.28), (9.95, 52.47), (13.4, 52.52)):
        space = create_space(session, lon=lon, lat=lat)
        x, y, px, py = session.execute(select(
            Space.map_x, Space.map_y, func.ST_X(func.ST_Transform(Space.location, 3857)),
            func.ST_Y(func.ST_Transform(Space.location, 3857))).where(Space.id == space.id)).one()
        assert abs(x - px) < 1e-6 and abs(y - py) < 1e-6


def test_the_list_says_how_many_match_in_all(client, session, clock):
    clock.set(utc(2027, 1, 4, 9))
    spaces = [create_space(session, lon=9.70 + i * 0.001, lat=52.37, capacity=10 + i) for i in range(5)]
    for space in spaces:
        session.add(OpeningHours(space_id=space.id, weekday=1, opens=time(8), closes=time(22)))
    create_booking(session, spaces[0], utc(2027, 1, 5, 17))  # 18:00 Berlin, taken
    session.flush()
    query = "/api/spaces?bbox=9.69,52.36,9.72,52.38&date=2027-01-05&from=18:00&to=20:00&limit=2&sort=capacity"
    body = client.get(query).get_json()
    assert body["total"] == 4 and body["truncated"] is True and len(body["features"]) == 2
    assert [f["id"] for f in body["features"]] == [spaces[1].id, spaces[2].id]
    assert client.get(query + "&capacity=14").get_json()["total"] == 1
    assert client.get(query + "&capacity=100").get_json() | {"features": []} == {
        "type": "FeatureCollection", "features": [], "total": 0, "limit": 2, "truncated": False}


def test_a_booking_range_is_half_open_so_the_slot_time_index_equals_during(session):
    """ix_bookings_slot_time indexes tstzrange(lower, upper), which is `during` only for [) ranges."""
    space = create_space(session)
    booking = create_booking(session, space, utc(2027, 1, 12, 17))
    with pytest.raises(Exception, match="during_bounded"), session.begin_nested():
        booking.during = Range(utc(2027, 1, 12, 17), utc(2027, 1, 12, 19), bounds="[]")
        session.flush()


# ----------------------------------------------------------------------------- the map's points, built in PostGIS

POINT_QUERIES = [
    "bbox=9.60,52.30,9.90,52.45",
    "bbox=9.60,52.30,9.90,52.45&capacity=20&step_free=1",
    "lat=52.368&lon=9.719&walk=30&sort=distance",
    "lat=52.368&lon=9.719&walk=30&date={day}&from=18:00&to=20:00&sort=distance",
    "bbox=9.60,52.30,9.90,52.45&date={day}",
]
MAP_POINT_KEYS = {"id", "name", "kind", "capacity", "step_free", "accessible_wc", "available_from",
                  "available_until", "free_now", "distance_m"}


@pytest.mark.parametrize("query", POINT_QUERIES)
def test_the_map_points_are_the_spaces_the_api_lists(client, demo, demo_clock, query):
    """/api/spaces/points answers the same spaces, order, total and "free now" as /api/spaces, with only what a
    marker shows; the document's schema holds."""
    from spaces.finder.schemas import MapPointCollection

    query = query.format(day="2026-11-26") + "&limit=7"
    full = client.get("/api/spaces?" + query).get_json()
    answer = client.get("/api/spaces/points?" + query)
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    points = MapPointCollection.model_validate_json(answer.data).model_dump(mode="json", exclude_none=True)
    assert (points["total"], points["limit"], points["truncated"]) == (full["total"], 7, full["truncated"])
    assert [f["id"] for f in points["features"]] == [f["id"] for f in full["features"]]
    for point, feature in zip(points["features"], full["features"], strict=True):
        assert point["geometry"] == feature["geometry"]
        expected = {k: v for k, v in feature["properties"].items() if k in MAP_POINT_KEYS and v is not None}
        assert point["properties"] == expected
    assert full["total"] > 0


def test_the_map_points_of_an_empty_view_and_bad_input(client, demo, demo_clock):
    empty = client.get("/api/spaces/points?bbox=9.0,52.0,9.01,52.01").get_json()
    assert empty == {"type": "FeatureCollection", "total": 0, "limit": 1000, "truncated": False, "features": []}
    bad = client.get("/api/spaces/points?bbox=1,2,3")
    assert bad.status_code == 400 and "bbox" in bad.get_json()["error"]


def test_a_marker_carries_any_name_exactly_and_follows_the_space(client, session, clock):
    """spaces.marker_json (migration 0023) escapes what JSON must (quotes, backslashes, control characters) and
    keeps the rest as it is; a renamed or moved space's marker follows at once."""
    clock.set(utc(2026, 11, 26, 9))
    name = 'Saal "Süd" \\ C:\\temp\t</script><b>&amp; 🙂'
    space = create_space(session, lon=9.7123456, lat=52.3765432, name=name, kind="hall")
    session.flush()
    view = "/api/spaces/points?bbox=9.70,52.37,9.72,52.38"
    [feature] = client.get(view).get_json()["features"]
    assert feature["properties"]["name"] == name and feature["properties"]["kind"] == "hall"
    assert feature["geometry"]["coordinates"] == [9.712346, 52.376543]
    session.execute(Space.__table__.update().where(Space.id == space.id).values(
        name="Neu", capacity=5, available_until=date(2027, 1, 31),
        location=func.ST_SetSRID(func.ST_MakePoint(9.71, 52.375), 4326)))
    [feature] = client.get(view).get_json()["features"]
    assert feature["properties"]["name"] == "Neu" and feature["properties"]["capacity"] == 5
    assert feature["properties"]["available_until"] == "2027-01-31"
    assert feature["geometry"]["coordinates"] == [9.71, 52.375]
