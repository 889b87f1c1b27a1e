"""The search queries use indexes: EXPLAIN must show no sequential scan of spaces or bookings.

With tables this small PostgreSQL would rightly prefer sequential scans, so the planner is told
to avoid them (enable_seqscan = off): where an index can serve the query it is then used, and
where none can, the plan still shows a Seq Scan and the test fails.
"""

import json
from datetime import UTC, date, datetime

import pytest
from factories import create_booking, create_space, utc
from sqlalchemy import func, literal, select
from werkzeug.datastructures import MultiDict

from spaces.finder.queries import cluster_spaces, count_spaces, nearest_spaces, search_query, search_spaces
from spaces.finder.search import parse_search
from spaces.models import Booking

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
GUARDED = ("spaces", "bookings", "closures", "opening_hours")


def _plan(session, statement) -> dict:
    sql = str(statement.compile(dialect=session.get_bind().dialect,
                                compile_kwargs={"literal_binds": True, "render_postcompile": True}))
    cursor = session.connection().connection.driver_connection.cursor()
    cursor.execute("SET LOCAL enable_seqscan = off")
    cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
    return cursor.fetchone()[0][0]["Plan"]


def _seq_scans(plan: dict) -> list[str]:
    found = [plan["Relation Name"]] if plan.get("Node Type") == "Seq Scan" else []
    for child in plan.get("Plans", []):
        found += _seq_scans(child)
    return found


@pytest.fixture
def city(session):
    for i in range(30):
        space = create_space(session, lon=9.70 + i * 0.005, lat=52.36 + (i % 5) * 0.004, capacity=5 + i,
                             equipment=["kitchen"] if i % 2 else [], step_free=bool(i % 3))
        create_booking(session, space, utc(2026, 12, 1, 17))
    session.execute(func.now().select())  # flush
    return session


SEARCHES = {
    "bbox only": {"bbox": "9.70,52.35,9.80,52.40"},
    "district with every filter and a free window": {
        "bbox": "9.70,52.35,9.80,52.40", "date": "2026-12-01", "from": "18:00", "to": "20:00",
        "capacity": "10", "step_free": "1", "accessible_wc": "1", "equipment": "kitchen", "kind": "room",
        "free": "1",
    },
    "near a point within 15 minutes": {"lat": "52.37", "lon": "9.72", "walk": "15"},
    "near a point, free on a day": {"lat": "52.37", "lon": "9.72", "date": "2026-12-01", "from": "18:00",
                                    "to": "20:00", "sort": "distance"},
    "whole city list by name": {},
    "whole city list with a free window": {"date": "2026-12-01", "from": "18:00", "to": "20:00"},
    "district, free some time on a day": {"bbox": "9.70,52.35,9.80,52.40", "date": "2026-12-01"},
    "free window on a DST day": {"bbox": "9.70,52.35,9.80,52.40", "date": "2027-03-28", "from": "01:00", "to": "04:00"},
}


@pytest.mark.parametrize("args", SEARCHES.values(), ids=SEARCHES.keys())
def test_search_uses_indexes(city, args):
    """A page of the list comes with the number of all matches: without a bbox or a place that counts every
    space, and reading them all is the right plan for the count (the page itself is read by index)."""
    search = parse_search(MultiDict(args), today=TODAY)
    statement = search_spaces(search, now=NOW, limit=51)
    plan = _plan(city, statement)
    allowed = () if search.bbox or search.near else ("spaces",)
    assert [t for t in _seq_scans(plan) if t in GUARDED and t not in allowed] == [], json.dumps(plan, indent=1)
    assert _seq_scans(plan).count("spaces") <= 1, json.dumps(plan, indent=1)


@pytest.mark.parametrize("args", SEARCHES.values(), ids=SEARCHES.keys())
def test_the_map_counts_and_the_list_total_use_indexes(city, args):
    """The map's counts (/api/spaces/clusters) and the list's total ask the same matching query. Without a
    bbox or a place every space is counted, and reading them all in order is the right plan."""
    search = parse_search(MultiDict(args), today=TODAY)
    allowed = () if search.bbox or search.near else ("spaces",)
    for query in (cluster_spaces(search, now=NOW, zoom=12), count_spaces(search, now=NOW)):
        plan = _plan(city, query.bound())
        assert [t for t in _seq_scans(plan) if t in GUARDED and t not in allowed] == [], json.dumps(plan, indent=1)


def test_free_now_column_uses_indexes(city):
    search = parse_search(MultiDict({"bbox": "9.70,52.35,9.80,52.40"}), today=TODAY)
    statement = search_query(search, now=datetime(2026, 12, 1, 17, 30, tzinfo=UTC), free_now=True).bound()
    assert [t for t in _seq_scans(_plan(city, statement)) if t in GUARDED] == []


def test_nearest_uses_the_knn_index(city):
    plan = _plan(city, nearest_spaces(9.72, 52.37, 20, today=TODAY))
    assert [t for t in _seq_scans(plan) if t in GUARDED] == []


def test_bookings_of_a_space_in_a_window_use_the_exclusion_index(city):
    space_id = city.scalar(select(Booking.space_id).limit(1))
    during = func.tstzrange(utc(2026, 12, 1), utc(2026, 12, 8), literal("[)"))
    statement = select(Booking).where(
        Booking.space_id == space_id, Booking.status.in_(["requested", "confirmed"]), Booking.during.op("&&")(during)
    )
    assert _seq_scans(_plan(city, statement)) == []
