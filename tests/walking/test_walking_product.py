"""Walking on the street network in the product: search, proposals and the gap report measure "within N
minutes' walk" on the streets once a network is loaded, fall back to the straight line × 1.3 without one, and
say which on the page and in the API.

The network is tests/data/streets_river.osm: a river between two streets (north bank at 52.37135, south bank at
52.37, from 9.72 to 9.745 E) with ONE footbridge at the west end (9.72). From the north bank at 9.735 the space
straight across the river is 160 m away as the crow flies but about 2.2 km on foot (west to the bridge, over,
back east); the space 340 m east on the same bank is 340 m on foot.
"""

from dataclasses import replace
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from factories import create_space, log_in, login_as
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box
from werkzeug.datastructures import MultiDict

from geo.walking import walk_radius_m
from spaces.accounts import service as accounts
from spaces.core.proposals import NeedSpec, TimePattern, propose
from spaces.finder.queries import search_spaces
from spaces.finder.search import parse_search
from spaces.models import ConstructionPhase, Need, OpeningHours
from spaces.planning.needs.data import space_facts_for, walking_from
from spaces.walking.streets import import_streets

pytestmark = pytest.mark.usefixtures("fast_password_hashes")

STREETS = Path(__file__).parent.parent / "data" / "streets_river.osm"
HERE = (9.735, 52.3714)  # lon, lat: on the north bank
NOW = date(2026, 11, 23)


def _evenings():
    return [OpeningHours(weekday=d, opens=time(17), closes=time(22)) for d in range(7)]


@pytest.fixture
def river(session):
    """Two public spaces near HERE: one on the same bank, one straight across the river."""
    same = create_space(session, name="Treff Nordufer", lon=9.74, lat=52.3714, capacity=30, area_m2=80,
                        booking_mode="instant", opening_hours=_evenings())
    across = create_space(session, name="Treff Südufer", lon=9.735, lat=52.36995, capacity=30, area_m2=80,
                          booking_mode="instant", opening_hours=_evenings())
    session.flush()
    return {"same": same.id, "across": across.id}


def _load_streets(session):
    import_streets(session, STREETS)
    session.flush()


def _api(client, **args):
    query = {"lat": HERE[1], "lon": HERE[0], **args}
    response = client.get("/api/spaces", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _ids(data):
    return [f["id"] for f in data["features"]]


def test_search_walks_on_the_network_once_one_is_loaded(client, session, river):
    """Before the import the straight-line rule finds the space across the river (160 m × 1.3 is 3 minutes);
    on the network it is 27 minutes away and a 10-minute walk finds only the space on the same bank."""
    before = _api(client, walk=10)
    assert before["walk_method"] == "straight_line"
    assert set(_ids(before)) == {river["same"], river["across"]}

    _load_streets(session)
    after = _api(client, walk=10)
    assert after["walk_method"] == "network"
    assert _ids(after) == [river["same"]]
    walked = after["features"][0]["properties"]["distance_m"]
    assert 330 <= walked <= 420  # along the bank, not the straight line plus a factor
    assert _api(client)["walk_method"] == "network"  # the default walk of 15 minutes
    # Without a place there is no walk to measure.
    assert "walk_method" not in client.get("/api/spaces").get_json()


def test_sort_by_distance_uses_the_metres_walked(client, session, river):
    """As the crow flies the space across the river is nearer; on foot it is six times farther."""
    straight = _api(client, walk=30, sort="distance")
    assert _ids(straight) == [river["across"], river["same"]]
    _load_streets(session)
    walked = _api(client, walk=30, sort="distance")
    assert _ids(walked) == [river["same"], river["across"]]
    metres = [f["properties"]["distance_m"] for f in walked["features"]]
    assert metres[0] < 500 and 2000 < metres[1] <= 30 * 80


def test_a_point_off_the_network_falls_back_and_says_so(client, session, river):
    _load_streets(session)
    far = client.get("/api/spaces", query_string={"lat": 52.40, "lon": 9.80, "walk": 10}).get_json()
    assert far["walk_method"] == "straight_line"
    page = client.get("/", query_string={"lat": 52.40, "lon": 9.80, "walk": 10}).get_data(as_text=True)
    assert "Gehzeit geschätzt (Luftlinie × 1,3) – der Ort liegt außerhalb des Fußwegenetzes" in page


def test_the_search_page_says_how_it_measures_the_walk(client, session, river):
    args = {"lat": HERE[1], "lon": HERE[0], "walk": 10}
    page = client.get("/", query_string=args).get_data(as_text=True)
    assert "Gehzeit geschätzt (Luftlinie × 1,3) – kein Fußwegenetz geladen" in page
    assert "Treff Südufer" in page and "m Luftlinie" in page
    _load_streets(session)
    page = client.get("/", query_string=args).get_data(as_text=True)
    assert "Gehzeit auf dem Fußwegenetz" in page and "kein Fußwegenetz" not in page
    assert "Treff Nordufer" in page and "Treff Südufer" not in page
    assert "m Fußweg" in page and "Luftlinie ×" not in page.split('id="liste"')[1]
    # The map is told to draw the walking isochrone instead of the circle.
    assert "/api/isochrone?" in page


def test_the_search_statement_without_a_network_is_unchanged(session, river):
    """The fallback keeps the tuned statement (ST_DWithin on the geography index); a search that walked on the
    network joins the reached ids instead and never asks for the straight-line radius."""
    search = parse_search(MultiDict({"lat": str(HERE[1]), "lon": str(HERE[0]), "walk": "10"}), today=NOW)
    line = str(search_spaces(search, now=_now(), limit=10))
    assert "ST_DWithin" in line and "unnest" not in line
    walked = replace(search, walk_reach={river["same"]: 350.0})
    statement = search_spaces(walked, now=_now(), limit=10)
    assert "ST_DWithin" not in str(statement) and "unnest" in str(statement)
    rows = session.execute(statement).all()
    assert [(r.id, round(r.distance_m)) for r in rows] == [(river["same"], 350)]


def _now():
    from spaces.clock import now_utc

    return now_utc()


def _spec(max_walk_m):
    pattern = TimePattern(weekdays=(1,), window_from=time(18), window_to=time(20), first_day=date(2026, 12, 1),
                          last_day=date(2027, 1, 31))
    return NeedSpec(group_size=10, duration=timedelta(hours=2), pattern=pattern, max_walk_m=max_walk_m)


def test_proposals_near_the_point_respect_the_network(session, river):
    """A need for a 10-minute walk from HERE: the straight-line rule proposes both spaces, the network only the
    one on the same bank, with its walked metres."""
    spec = _spec(walk_radius_m(10))
    assert walking_from(session, spec, HERE).method == "straight_line"
    before = propose(spec, space_facts_for(session, spec, HERE), now=_now(), limit=50)
    assert {p.space_id for p in before} == {river["same"], river["across"]}

    _load_streets(session)
    spec = _spec(10 * 80.0)  # on the network the limit is walked metres
    walking = walking_from(session, spec, HERE)
    assert walking.method == "network"
    facts = space_facts_for(session, spec, HERE, walking)
    assert [f.id for f in facts] == [river["same"]]
    assert 330 <= facts[0].walk_m <= 420
    after = propose(spec, facts, now=_now(), limit=50)
    assert {p.space_id for p in after} == {river["same"]}
    # Without a limit the space across the river is still offered, but known to be farther than the default.
    unlimited = space_facts_for(session, _spec(None), HERE)
    assert [f.id for f in unlimited] == [river["same"], river["across"]]
    assert unlimited[1].walk_m > 1500


@pytest.fixture
def south_phase(session, river):
    """A construction phase on the south bank, just across the river from the same-bank space's neighbour:
    the space on the north bank at 9.735 is 180 m from it as the crow flies, 2 km on foot."""
    north = create_space(session, name="Treff Brückenblick", lon=9.735, lat=52.3714, capacity=40, area_m2=120,
                         booking_mode="instant", opening_hours=_evenings())
    area = box(9.7335, 52.3692, 9.7365, 52.3698)
    phase = ConstructionPhase(name="Südufer Baufeld", geom=from_shape(MultiPolygon([area]), srid=4326),
                              status="occupied", move_in=date(2020, 1, 1), expected_residents=1000)
    session.add(phase)
    session.flush()
    return {"phase": phase.id, "north": north.id}


def _report_row(client, name):
    from spaces.planning.gaps.service import build_report

    reports, _, _ = build_report()
    return next(p for p in reports if p.name == name)


def test_gap_coverage_walks_over_the_bridge(client, session, south_phase, river):
    """By the straight-line rule the phase is covered by the spaces on both banks; on the network only the space
    on its own bank counts, and coverage is measured from the walking areas."""
    with client.application.test_request_context():
        before = _report_row(client, "Südufer Baufeld")
        assert before.walk_method == "straight_line"
        assert south_phase["north"] in before.now.counted_spaces
        assert before.now.coverage > 0.99

        _load_streets(session)
        after = _report_row(client, "Südufer Baufeld")
        assert after.walk_method == "network"
        assert south_phase["north"] not in after.now.counted_spaces
        assert river["same"] not in after.now.counted_spaces
        assert river["across"] in after.now.counted_spaces  # on the south bank, next to the phase
        # The walking area is the reached streets widened by 50 m: the half of the phase next to the south bank's
        # street (at 52.37) is within it, the half farther south is not.
        assert 0.25 < after.now.coverage < 0.6


def test_gap_report_page_and_geojson_say_how_walking_was_measured(client, session, south_phase):
    login_as(client, session)
    page = client.get("/bedarf").get_data(as_text=True)
    assert "Gehweite geschätzt (Luftlinie × Umwegfaktor) – kein Fußwegenetz geladen." in page
    _load_streets(session)
    page = client.get("/bedarf").get_data(as_text=True)
    assert "Gehweite auf dem Fußwegenetz gemessen." in page
    data = client.get("/bedarf.geojson").get_json(force=True)
    phase = next(f for f in data["features"] if f["properties"]["name"] == "Südufer Baufeld")
    assert phase["properties"]["walk_method"] == "network"
    url = phase["properties"]["isochrone"]
    assert url.startswith(f"/api/phases/{south_phase['phase']}/isochrone?minutes=")
    iso = client.get(url).get_json()
    assert iso["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_the_proposals_page_walks_on_the_network_and_says_so(client, session, river):
    user = accounts.register(session, email="chor@example.org", display_name="Chor", password="ein-langes-passwort",
                             organisation_name="Nachbarschaftschor")
    log_in(client, session, user)
    first = date(2026, 12, 1)
    need = Need(organisation_id=user.organisations[0].id, created_by_id=user.id, title="Chorprobe", group_size=10,
                duration_minutes=120, time_pattern={"weekdays": [1], "from": "18:00", "to": "21:00",
                                                    "first_day": first.isoformat(), "last_day": "2026-12-22"},
                max_walk_minutes=10, near=from_shape(Point(*HERE), srid=4326))
    session.add(need)
    session.flush()
    url = f"/bedarfe/{need.id}/vorschlaege"
    page = client.get(url).get_data(as_text=True)
    assert "Gehzeit geschätzt (Luftlinie × 1,3)" in page
    assert "Treff Nordufer" in page and "Treff Südufer" in page
    _load_streets(session)
    page = client.get(url).get_data(as_text=True)
    assert "Gehzeit auf dem Fußwegenetz" in page
    assert "Treff Nordufer" in page and "Treff Südufer" not in page


def test_the_network_search_reads_spaces_by_primary_key(session, river):
    """The reached ids are joined by primary key: with sequential scans discouraged (as tests/finder/
    test_query_plans.py does), the plan reads no table of spaces or bookings from end to end."""
    search = parse_search(MultiDict({"lat": str(HERE[1]), "lon": str(HERE[0]), "walk": "10", "date": "2026-12-01",
                                     "from": "18:00", "to": "20:00"}), today=NOW)
    walked = replace(search, walk_reach={river["same"]: 350.0, river["across"]: 2200.0})
    statement = search_spaces(walked, now=_now(), limit=51)
    sql = str(statement.compile(dialect=session.get_bind().dialect,
                                compile_kwargs={"literal_binds": True, "render_postcompile": True}))
    cursor = session.connection().connection.driver_connection.cursor()
    cursor.execute("SET LOCAL enable_seqscan = off")
    cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
    plan = cursor.fetchone()[0][0]["Plan"]

    def seq_scans(node):
        found = [node["Relation Name"]] if node.get("Node Type") == "Seq Scan" else []
        return found + [t for child in node.get("Plans", []) for t in seq_scans(child)]

    assert not {"spaces", "bookings", "closures"} & set(seq_scans(plan)), plan
