"""Search for spaces on real PostGIS: every filter of /api/spaces and the page / changes the result as it should.

Each test builds its own small data with the factories (never the demo data), so every expectation below is
computed by hand. Positions are laid out around CENTRE with pyproj's geodesic on WGS84:

    name       capacity kind      equipment                        cost   step_free wc    where (from CENTRE)
    Klein         10    room      chairs, tables                   0      -         -     at CENTRE
    Mittel        30    room      chairs, projector                NULL   yes       -     300 m north
    Küche         12    kitchen   kitchen, tables                  0.00   yes       yes   500 m west
    Saal         120    hall      chairs, projector, stage, sound  50     yes       yes   800 m east
    Wiese        200    outdoor   -                                0      yes       -     1200 m north-east
    Werkstatt     30    workshop  tables, tools                    5      -         yes   2000 m south

Walking radius (geo.walking): minutes * 80 m / 1.3, i.e. 5 min = 308 m, 10 min = 615 m, 15 min = 923 m,
20 min = 1231 m, 40 min = 2462 m.

Time windows are local (Europe/Berlin). The week used is Mon 30 Nov - Sun 6 Dec 2026 (CET, UTC+1).
DST 2026: forward on Sun 29 March (CEST from then, UTC+2), back on Sun 25 October (CET, UTC+1).
The service's clock stands at Monday 5 January 2026, 10:00, before every date used (nothing that
has begun is free).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, quote, urlencode
from zoneinfo import ZoneInfo

import pytest
from factories import create_booking, create_space, utc
from geoalchemy2.shape import from_shape
from pyproj import Geod
from shapely.geometry import Point
from sqlalchemy.dialects.postgresql import Range
from werkzeug.datastructures import MultiDict

from spaces.clock import now_utc, today_local
from spaces.core.availability import Interval
from spaces.core.errors import BadParameter
from spaces.finder.queries import search_spaces
from spaces.finder.search import parse_search
from spaces.finder.week import space_calendar
from spaces.labels import month_year
from spaces.models import Closure, OpeningHours, Quartier

BERLIN = ZoneInfo("Europe/Berlin")
GEOD = Geod(ellps="WGS84")
CENTRE = (9.7386, 52.3745)  # lon, lat (Hannover, Kröpcke)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
TUESDAY, WEDNESDAY, THURSDAY = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)
FRIDAY, SATURDAY, SUNDAY = date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6)
AUTUMN_DST, SPRING_DST = date(2026, 10, 25), date(2026, 3, 29)  # both Sundays


@pytest.fixture(autouse=True)
def _january(clock):
    clock.set(datetime(2026, 1, 5, 10, tzinfo=BERLIN))


# --------------------------------------------------------------------------- geometry helpers


def offset(azimuth: float, metres: float, origin=CENTRE) -> tuple[float, float]:
    """The point `metres` away from `origin` in direction `azimuth` (degrees from north), on the WGS84 geodesic."""
    lon, lat, _ = GEOD.fwd(origin[0], origin[1], azimuth, metres)
    return lon, lat


def geodesic_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


CATALOGUE = {
    "Klein": dict(capacity=10, kind="room", equipment=["chairs", "tables"], cost_eur=Decimal("0"), at=(0, 0)),
    "Mittel": dict(capacity=30, kind="room", equipment=["chairs", "projector"], cost_eur=None, step_free=True,
                   at=(0, 300)),
    "Küche": dict(capacity=12, kind="kitchen", equipment=["kitchen", "tables"], cost_eur=Decimal("0.00"),
                  step_free=True, accessible_wc=True, at=(270, 500)),
    "Saal": dict(capacity=120, kind="hall", equipment=["chairs", "projector", "stage", "sound"],
                 cost_eur=Decimal("50"), step_free=True, accessible_wc=True, at=(90, 800)),
    "Wiese": dict(capacity=200, kind="outdoor", equipment=[], cost_eur=Decimal("0"), step_free=True, at=(45, 1200)),
    "Werkstatt": dict(capacity=30, kind="workshop", equipment=["tables", "tools"], cost_eur=Decimal("5"),
                      accessible_wc=True, at=(180, 2000)),
}
POS = {name: offset(*spec["at"]) if spec["at"][1] else CENTRE for name, spec in CATALOGUE.items()}
ALL = sorted(CATALOGUE)
LINDEN = "Linden-Süd"  # a Quartier whose centre is exactly at Saal (800 m east of CENTRE)


# --------------------------------------------------------------------------- factories and helpers


def create_quartier(session, name: str, lon: float, lat: float) -> Quartier:
    quartier = Quartier(name=name, centre=from_shape(Point(lon, lat), srid=4326))
    session.add(quartier)
    session.flush()
    return quartier


def add_hours(session, space, *hours) -> None:
    """Weekly opening hours as (weekday, "HH:MM", "HH:MM")."""
    for weekday, opens, closes in hours:
        session.add(OpeningHours(space_id=space.id, weekday=weekday, opens=time.fromisoformat(opens),
                                 closes=time.fromisoformat(closes)))
    session.flush()


def create_closure(session, space, start: datetime, end: datetime) -> Closure:
    closure = Closure(space_id=space.id, during=Range(start, end, bounds="[)"), reason="Renovierung")
    session.add(closure)
    session.flush()
    return closure


def berlin(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN)


ALWAYS = tuple((weekday, "00:00", "00:00") for weekday in range(7))  # 24 hours on every day


def get_json(client, path: str, query: str = "", expect: int = 200) -> dict:
    response = client.get(f"{path}?{query}" if query else path)
    assert response.status_code == expect, (query, response.get_data(as_text=True)[:500])
    return response.get_json()


def features(client, query: str = "") -> list[dict]:
    return get_json(client, "/api/spaces", query)["features"]


def names(client, query: str = "") -> list[str]:
    """Names found by /api/spaces, in the API's order."""
    return [f["properties"]["name"] for f in features(client, query)]


def window_pairs(day: date, start: str, end: str) -> dict:
    return {"date": day.isoformat(), "from": start, "to": end}


def window(day: date, start: str, end: str) -> str:
    return urlencode(window_pairs(day, start, end))


def near(point: tuple[float, float], walk: int | None = None) -> str:
    lon, lat = point
    query = f"lat={lat!r}&lon={lon!r}"
    return query + (f"&walk={walk}" if walk is not None else "")


def bbox(min_lon, min_lat, max_lon, max_lat) -> str:
    return "bbox=" + ",".join(repr(float(v)) for v in (min_lon, min_lat, max_lon, max_lat))


@pytest.fixture
def catalogue(session):
    """The six spaces of the module docstring (no opening hours needed: searches without a date)."""
    spaces = {}
    for name, spec in CATALOGUE.items():
        params = {k: v for k, v in spec.items() if k != "at"}
        lon, lat = POS[name]
        spaces[name] = create_space(session, name=name, lon=lon, lat=lat, **params)
    return spaces


@pytest.fixture
def linden(session):
    return create_quartier(session, LINDEN, *POS["Saal"])


@pytest.fixture
def room(session):
    """A factory: one open-ended space with given weekly opening hours."""

    def make(*hours, **params):
        space = create_space(session, **params)
        add_hours(session, space, *hours)
        return space

    return make


# --------------------------------------------------------------------------- the filters one by one

FILTER_CASES = [
    # no filter: everything current, by name
    pytest.param("", ALL, id="no-filter"),
    # capacity: at least, the equal capacity included
    pytest.param("capacity=1", ALL, id="capacity-1"),
    pytest.param("capacity=10", ALL, id="capacity-10-equal-smallest"),
    pytest.param("capacity=11", ["Küche", "Mittel", "Saal", "Werkstatt", "Wiese"], id="capacity-11"),
    pytest.param("capacity=30", ["Mittel", "Saal", "Werkstatt", "Wiese"], id="capacity-30-equal-included"),
    pytest.param("capacity=31", ["Saal", "Wiese"], id="capacity-31"),
    pytest.param("capacity=200", ["Wiese"], id="capacity-200-equal"),
    pytest.param("capacity=201", [], id="capacity-201"),
    pytest.param("capacity=%2030%20", ["Mittel", "Saal", "Werkstatt", "Wiese"], id="capacity-with-spaces"),
    # accessibility flags
    pytest.param("step_free=1", ["Küche", "Mittel", "Saal", "Wiese"], id="step-free"),
    pytest.param("step_free=ja", ["Küche", "Mittel", "Saal", "Wiese"], id="step-free-ja"),
    pytest.param("step_free=on", ["Küche", "Mittel", "Saal", "Wiese"], id="step-free-on"),
    pytest.param("step_free=0", ALL, id="step-free-0-is-no-filter"),
    pytest.param("step_free=", ALL, id="step-free-empty-is-no-filter"),
    pytest.param("accessible_wc=1", ["Küche", "Saal", "Werkstatt"], id="accessible-wc"),
    pytest.param("step_free=1&accessible_wc=1", ["Küche", "Saal"], id="step-free-and-wc"),
    # equipment: all requested must be there (contains, not overlap)
    pytest.param("equipment=projector", ["Mittel", "Saal"], id="equipment-one"),
    pytest.param("equipment=tables", ["Klein", "Küche", "Werkstatt"], id="equipment-tables"),
    pytest.param("equipment=projector&equipment=stage", ["Saal"], id="equipment-two-repeated"),
    pytest.param("equipment=projector,stage", ["Saal"], id="equipment-two-comma"),
    pytest.param("equipment=projector,%20stage,", ["Saal"], id="equipment-comma-spaces"),
    pytest.param("equipment=chairs,tables", ["Klein"], id="equipment-chairs-and-tables"),
    pytest.param("equipment=kitchen,projector", [], id="equipment-contains-not-overlap"),
    pytest.param("equipment=projector,projector", ["Mittel", "Saal"], id="equipment-duplicate"),
    pytest.param("equipment=wifi", [], id="equipment-nobody-has"),
    pytest.param("equipment=", ALL, id="equipment-empty-is-no-filter"),
    # kind: several kinds = any of them
    pytest.param("kind=hall", ["Saal"], id="kind-one"),
    pytest.param("kind=room", ["Klein", "Mittel"], id="kind-room"),
    pytest.param("kind=room&kind=hall", ["Klein", "Mittel", "Saal"], id="kind-two-repeated"),
    pytest.param("kind=room,outdoor", ["Klein", "Mittel", "Wiese"], id="kind-two-comma"),
    pytest.param("kind=studio", [], id="kind-nobody-is"),
    # free of charge: cost 0 (also 0.00) included, NULL and > 0 excluded
    pytest.param("free=1", ["Klein", "Küche", "Wiese"], id="free-of-charge"),
    pytest.param("free=0", ALL, id="free-0-is-no-filter"),
    # combined
    pytest.param("capacity=20&step_free=1&equipment=projector", ["Mittel", "Saal"], id="combined-3"),
    pytest.param("kind=room,kitchen&free=1&accessible_wc=1", ["Küche"], id="combined-kind-free-wc"),
    pytest.param("capacity=30&free=1", ["Wiese"], id="combined-capacity-free"),
    pytest.param("capacity=30&equipment=tables", ["Werkstatt"], id="combined-capacity-equipment"),
    pytest.param("kind=room&step_free=1&free=1", [], id="combined-nothing"),
]


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_filter(client, catalogue, query, expected):
    assert names(client, query) == expected


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_filter_through_search_spaces(session, catalogue, query, expected):
    """The same table through parse_search + search_spaces directly (no HTTP)."""
    search = parse_search(MultiDict(_pairs(query)), today=today_local())
    rows = session.execute(search_spaces(search, now=now_utc())).all()
    assert [r.name for r in rows] == expected


def _pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)


def test_api_feature_carries_the_filtered_properties(client, catalogue):
    (feature,) = features(client, "kind=kitchen")
    lon, lat = feature["geometry"]["coordinates"]
    assert (lon, lat) == pytest.approx(POS["Küche"], abs=1e-6)
    props = feature["properties"]
    assert props["capacity"] == 12 and props["step_free"] and props["accessible_wc"]
    assert props["equipment"] == ["kitchen", "tables"] and props["cost_eur"] == 0.0
    assert props["kind_label"] == "Küche" and props["period_label"] == ""
    assert "distance_m" not in props  # no place given


# --------------------------------------------------------------------------- bbox

SAAL_LON, SAAL_LAT = POS["Saal"]
BBOX_CASES = [
    pytest.param(bbox(9.0, 52.0, 10.5, 53.0), ALL, id="all-inside"),
    pytest.param(bbox(CENTRE[0] - 0.001, CENTRE[1] - 0.001, CENTRE[0] + 0.001, CENTRE[1] + 0.001), ["Klein"],
                 id="around-centre-only"),
    pytest.param(bbox(10.0, 52.0, 10.5, 53.0), [], id="all-outside-east"),
    pytest.param(bbox(CENTRE[0] - 0.001, CENTRE[1] - 0.0001, SAAL_LON + 0.001, CENTRE[1] + 0.0001),
                 ["Klein", "Saal"], id="strip-east-of-centre"),
    # boundaries: a point on an edge or corner is inside (ST_Intersects with a closed envelope)
    pytest.param(bbox(SAAL_LON, SAAL_LAT - 0.001, SAAL_LON + 0.005, SAAL_LAT + 0.001), ["Saal"], id="on-west-edge"),
    pytest.param(bbox(SAAL_LON - 0.005, SAAL_LAT - 0.001, SAAL_LON, SAAL_LAT + 0.001), ["Saal"], id="on-east-edge"),
    pytest.param(bbox(SAAL_LON - 0.005, SAAL_LAT - 0.001, SAAL_LON, SAAL_LAT), ["Saal"], id="on-north-east-corner"),
    pytest.param(bbox(SAAL_LON, SAAL_LAT, SAAL_LON + 0.005, SAAL_LAT + 0.001), ["Saal"], id="on-south-west-corner"),
    pytest.param(bbox(SAAL_LON - 0.005, SAAL_LAT - 0.001, SAAL_LON - 1e-7, SAAL_LAT + 0.001), [],
                 id="just-west-of-it"),
    pytest.param(bbox(SAAL_LON + 1e-7, SAAL_LAT - 0.001, SAAL_LON + 0.005, SAAL_LAT + 0.001), [],
                 id="just-east-of-it"),
    # combined with other filters
    pytest.param(bbox(9.0, 52.0, 10.5, 53.0) + "&capacity=100", ["Saal", "Wiese"], id="with-capacity"),
    pytest.param(bbox(CENTRE[0] - 0.001, CENTRE[1] - 0.0001, SAAL_LON + 0.001, CENTRE[1] + 0.0001) + "&free=1",
                 ["Klein"], id="with-free"),
]


@pytest.mark.parametrize(("query", "expected"), BBOX_CASES)
def test_bbox(client, catalogue, query, expected):
    assert names(client, query + "&sort=name") == expected


# --------------------------------------------------------------------------- near a point / a Quartier

NEAR_CASES = [
    # from CENTRE: Klein 0, Mittel 300, Küche 500, Saal 800, Wiese 1200, Werkstatt 2000 m
    pytest.param(near(CENTRE, 5), ["Klein", "Mittel"], id="5min-308m"),
    pytest.param(near(CENTRE, 10), ["Klein", "Mittel", "Küche"], id="10min-615m-Saal-out"),
    pytest.param(near(CENTRE, 15), ["Klein", "Mittel", "Küche", "Saal"], id="15min-923m-Saal-in"),
    pytest.param(near(CENTRE), ["Klein", "Mittel", "Küche", "Saal"], id="default-15min"),
    pytest.param(near(CENTRE, 20), ["Klein", "Mittel", "Küche", "Saal", "Wiese"], id="20min-1231m"),
    pytest.param(near(CENTRE, 40), ["Klein", "Mittel", "Küche", "Saal", "Wiese", "Werkstatt"], id="40min-2462m"),
    pytest.param(near(CENTRE, 120), ["Klein", "Mittel", "Küche", "Saal", "Wiese", "Werkstatt"], id="120min"),
    # a point 10 km away finds nothing within an hour
    pytest.param(near(offset(0, 10_000), 60), [], id="far-away"),
    # combined
    pytest.param(near(CENTRE, 15) + "&step_free=1", ["Mittel", "Küche", "Saal"], id="15min-step-free"),
    pytest.param(near(CENTRE, 40) + "&capacity=30", ["Mittel", "Saal", "Wiese", "Werkstatt"], id="40min-capacity"),
    pytest.param(near(CENTRE, 10) + "&equipment=projector", ["Mittel"], id="10min-projector"),
    pytest.param(near(CENTRE, 40) + "&kind=room,workshop&sort=name", ["Klein", "Mittel", "Werkstatt"],
                 id="40min-kinds-by-name"),
    pytest.param(near(CENTRE, 40) + "&capacity=30&sort=capacity", ["Mittel", "Werkstatt", "Saal", "Wiese"],
                 id="40min-by-capacity"),
    pytest.param(near(CENTRE, 15) + "&" + bbox(CENTRE[0], CENTRE[1] - 0.01, 10.0, CENTRE[1] + 0.01),
                 ["Klein", "Mittel", "Saal"], id="15min-and-bbox-east"),
]


@pytest.mark.parametrize(("query", "expected"), NEAR_CASES)
def test_near_a_point(client, catalogue, query, expected):
    assert names(client, query) == expected


@pytest.mark.parametrize(
    ("metres", "walk", "found"),
    [
        pytest.param(800, 15, True, id="800m-15min-923m"),
        pytest.param(800, 12, False, id="800m-12min-738m"),
        pytest.param(800, 10, False, id="800m-10min-615m"),
        pytest.param(600, 10, True, id="600m-10min"),
        pytest.param(630, 10, False, id="630m-10min"),
        pytest.param(915, 15, True, id="915m-15min"),
        pytest.param(930, 15, False, id="930m-15min"),
    ],
)
def test_walking_radius_east_of_a_point(client, session, metres, walk, found):
    """A space `metres` due east (geodesic); radius = walk * 80 / 1.3 m."""
    lon, lat = offset(90, metres)
    create_space(session, name="Osten", lon=lon, lat=lat)
    assert names(client, near(CENTRE, walk)) == (["Osten"] if found else [])


QUARTIER_CASES = [
    # from Saal: Saal 0, Klein 800, Wiese ~850, Mittel ~854, Küche 1300 m, Werkstatt ~2150 m
    pytest.param(f"quartier={quote(LINDEN)}&walk=10", {"Saal"}, id="10min"),
    pytest.param(f"quartier={quote(LINDEN)}&walk=15", {"Saal", "Klein", "Wiese", "Mittel"}, id="15min"),
    pytest.param(f"quartier={quote(LINDEN)}", {"Saal", "Klein", "Wiese", "Mittel"}, id="default-15min"),
    pytest.param(f"quartier={quote(LINDEN)}&walk=20", {"Saal", "Klein", "Wiese", "Mittel"}, id="20min-1231m"),
    pytest.param(f"quartier={quote(LINDEN)}&walk=25", {"Saal", "Klein", "Wiese", "Mittel", "Küche"}, id="25min"),
    pytest.param(f"quartier={quote(LINDEN)}&walk=15&capacity=100", {"Saal", "Wiese"}, id="15min-capacity"),
]


@pytest.mark.parametrize(("query", "expected"), QUARTIER_CASES)
def test_near_a_quartier(client, catalogue, linden, query, expected):
    found = features(client, query)
    assert {f["properties"]["name"] for f in found} == expected
    saal = POS["Saal"]
    distances = [f["properties"]["distance_m"] for f in found]
    assert distances == sorted(distances)  # near a place: by distance unless asked otherwise
    for f in found:
        assert f["properties"]["distance_m"] == pytest.approx(geodesic_m(saal, POS[f["properties"]["name"]]),
                                                              rel=0.01, abs=1)


def test_quartier_is_listed_and_parsed(client, linden):
    assert get_json(client, "/api/quartiers") == [{"name": LINDEN, "lon": pytest.approx(SAAL_LON),
                                                   "lat": pytest.approx(SAAL_LAT)}]
    search = parse_search(MultiDict({"quartier": LINDEN}), today=TUESDAY,
                          quartiers={LINDEN: (linden.id, SAAL_LON, SAAL_LAT)})
    assert search.near == (SAAL_LON, SAAL_LAT) and search.near_label == LINDEN
    assert search.quartier_id == linden.id and search.sort == "distance" and search.walk_minutes == 15


# --------------------------------------------------------------------------- order

def test_sort_by_distance_gives_increasing_geodesic_distances(client, catalogue):
    found = features(client, near(CENTRE, 40) + "&sort=distance")
    assert [f["properties"]["name"] for f in found] == ["Klein", "Mittel", "Küche", "Saal", "Wiese", "Werkstatt"]
    distances = [f["properties"]["distance_m"] for f in found]
    assert distances == sorted(distances)
    for f in found:
        assert f["properties"]["distance_m"] == pytest.approx(geodesic_m(CENTRE, POS[f["properties"]["name"]]),
                                                              rel=0.01, abs=1)
    assert distances == [0, 300, 500, 800, 1200, 2000]  # rounded metres


def test_sort_by_capacity_gives_increasing_capacity_then_name(client, catalogue):
    found = features(client, "sort=capacity")
    assert [f["properties"]["name"] for f in found] == ["Klein", "Küche", "Mittel", "Werkstatt", "Saal", "Wiese"]
    capacities = [f["properties"]["capacity"] for f in found]
    assert capacities == sorted(capacities) == [10, 12, 30, 30, 120, 200]


def test_default_order_is_by_name_and_by_distance_near_a_place(client, catalogue):
    assert names(client) == ALL
    assert names(client, "sort=name") == ALL
    assert names(client, near(POS["Werkstatt"], 120)) == ["Werkstatt", "Klein", "Küche", "Saal", "Mittel", "Wiese"]
    assert names(client, near(POS["Werkstatt"], 120) + "&sort=name") == ALL


def test_limit_cuts_the_sorted_list(client, catalogue):
    data = get_json(client, "/api/spaces", "sort=capacity&limit=2")
    assert [f["properties"]["name"] for f in data["features"]] == ["Klein", "Küche"]
    assert data["limit"] == 2 and data["truncated"] is True
    data = get_json(client, "/api/spaces", "limit=100")
    assert len(data["features"]) == 6 and data["truncated"] is False


QUERY_POINT = offset(180, 100)  # 100 m south of CENTRE: Klein 100, Mittel 400, Küche ~510, Saal ~806 m


@pytest.mark.parametrize("n", [1, 3, 6, 20])
def test_nearest_gives_the_n_nearest_in_order_with_geodesic_distances(client, session, catalogue, n):
    # an expired space right at the query point must not count
    create_space(session, name="Abgelaufen", lon=QUERY_POINT[0], lat=QUERY_POINT[1],
                 available_until=today_local() - timedelta(days=1))
    lon, lat = QUERY_POINT
    found = get_json(client, "/api/spaces/nearest", f"lat={lat!r}&lon={lon!r}&n={n}")["features"]
    expected = sorted(CATALOGUE, key=lambda name: geodesic_m(QUERY_POINT, POS[name]))[:n]
    assert expected[:4] == ["Klein", "Mittel", "Küche", "Saal"][:n]
    assert [f["properties"]["name"] for f in found] == expected
    for f in found:
        geodesic = geodesic_m(QUERY_POINT, POS[f["properties"]["name"]])
        assert f["properties"]["distance_m"] == pytest.approx(geodesic, rel=0.01)


def test_nearest_defaults_to_20_and_includes_planned_spaces(client, session, catalogue):
    create_space(session, name="Geplant", lon=QUERY_POINT[0], lat=QUERY_POINT[1],
                 available_from=today_local() + timedelta(days=100))
    lon, lat = QUERY_POINT
    found = get_json(client, "/api/spaces/nearest", f"lat={lat}&lon={lon}")["features"]
    assert [f["properties"]["name"] for f in found][:2] == ["Geplant", "Klein"] and len(found) == 7
    assert found[0]["properties"]["distance_m"] == 0
    assert found[0]["properties"]["period_label"].startswith("ab ")


# --------------------------------------------------------------------------- free in a time window

def B(start: datetime, hours: float = 2, status: str = "confirmed"):
    return ("booking", start, hours, status)


def C(start: datetime, end: datetime):
    return ("closure", start, end)


EVENING = [(TUE, "17:00", "22:00")]  # Tuesday 17-22
LATE = [(FRI, "20:00", "02:00")]  # Friday 20:00 to Saturday 02:00
ROUND_THE_CLOCK = [(WED, "08:00", "08:00")]  # Wednesday 08:00 to Thursday 08:00
WHOLE_WEDNESDAY = [(WED, "00:00", "00:00")]
SUNDAYS = [(SUN, "10:00", "22:00")]

WINDOW_CASES = [
    # opening hours Tue 17-22 (December: CET, UTC+1)
    pytest.param(EVENING, [], window(TUESDAY, "18:00", "20:00"), True, id="tue-open-18-20"),
    pytest.param(EVENING, [], window(TUESDAY, "17:00", "22:00"), True, id="tue-exactly-the-opening"),
    pytest.param(EVENING, [], window(TUESDAY, "18", "20"), True, id="tue-hours-without-minutes"),
    pytest.param(EVENING, [], window(TUESDAY, "16:00", "18:00"), False, id="tue-starts-before-opening"),
    pytest.param(EVENING, [], window(TUESDAY, "21:00", "23:00"), False, id="tue-ends-after-closing"),
    pytest.param(EVENING, [], window(TUESDAY, "16:00", "23:00"), False, id="tue-longer-than-opening"),
    pytest.param(EVENING, [], window(TUESDAY, "18:00", "24:00"), False, id="tue-until-midnight"),
    pytest.param(EVENING, [], window(WEDNESDAY, "18:00", "20:00"), False, id="wed-closed"),
    pytest.param(EVENING, [], window(TUESDAY + timedelta(days=7), "18:00", "20:00"), True, id="next-tue"),
    # bookings (given in local time here; stored as timestamptz)
    pytest.param(EVENING, [B(berlin(2026, 12, 1, 18, 30), 1)], window(TUESDAY, "18:00", "20:00"), False,
                 id="confirmed-inside"),
    pytest.param(EVENING, [B(berlin(2026, 12, 1, 18, 30), 1, "requested")], window(TUESDAY, "18:00", "20:00"),
                 False, id="requested-inside"),
    pytest.param(EVENING, [B(berlin(2026, 12, 1, 18, 30), 1, "cancelled")], window(TUESDAY, "18:00", "20:00"),
                 True, id="cancelled-ignored"),
    pytest.param(EVENING, [B(berlin(2026, 12, 1, 18, 30), 1, "declined")], window(TUESDAY, "18:00", "20:00"),
                 True, id="declined-ignored"),
    pytest.param(EVENING, [B(berlin(2026, 12, 1, 17), 1.5)], window(TUESDAY, "18:00", "20:00"), False,
                 id="overlaps-the-start"),
    pytest.param(EVENING, [B(berlin(2026, 12, 1, 19, 45), 2)], window(TUESDAY, "18:00", "20:00"), False,
                 id="overlaps-the-end"),
    pytest.param(EVENING, [B(berlin(2026, 12, 1, 17), 5)], window(TUESDAY, "18:00", "20:00"), False,
                 id="covers-the-window"),
    pytest.param(EVENING, [B(utc(2026, 12, 1, 16), 1)], window(TUESDAY, "18:00", "20:00"), True,
                 id="ends-exactly-at-start"),
    pytest.param(EVENING, [B(utc(2026, 12, 1, 19), 2)], window(TUESDAY, "18:00", "20:00"), True,
                 id="starts-exactly-at-end"),
    pytest.param(EVENING, [B(berlin(2026, 12, 1, 17), 1), B(berlin(2026, 12, 1, 20), 2)],
                 window(TUESDAY, "18:00", "20:00"), True, id="booked-before-and-after"),
    pytest.param(EVENING, [B(berlin(2026, 12, 8, 18), 2)], window(TUESDAY, "18:00", "20:00"), True,
                 id="booked-next-week"),
    # closures
    pytest.param(EVENING, [C(berlin(2026, 12, 1), berlin(2026, 12, 2))], window(TUESDAY, "18:00", "20:00"), False,
                 id="closed-all-day"),
    pytest.param(EVENING, [C(berlin(2026, 11, 20), berlin(2027, 1, 10))], window(TUESDAY, "18:00", "20:00"), False,
                 id="closed-for-weeks"),
    pytest.param(EVENING, [C(berlin(2026, 12, 1, 19), berlin(2026, 12, 1, 19, 30))],
                 window(TUESDAY, "18:00", "20:00"), False, id="closed-half-an-hour-inside"),
    pytest.param(EVENING, [C(berlin(2026, 12, 1), berlin(2026, 12, 1, 18))], window(TUESDAY, "18:00", "20:00"), True,
                 id="closure-ends-at-start"),
    pytest.param(EVENING, [C(berlin(2026, 12, 1, 20), berlin(2026, 12, 3))], window(TUESDAY, "18:00", "20:00"), True,
                 id="closure-starts-at-end"),
    # open past midnight: Fri 20:00 - Sat 02:00
    pytest.param(LATE, [], window(SATURDAY, "00:30", "01:30"), True, id="late-sat-after-midnight"),
    pytest.param(LATE, [], window(SATURDAY, "00:00", "02:00"), True, id="late-sat-until-closing"),
    pytest.param(LATE, [], window(SATURDAY, "01:00", "03:00"), False, id="late-sat-past-closing"),
    pytest.param(LATE, [], window(FRIDAY, "23:00", "24:00"), True, id="late-fri-until-midnight"),
    pytest.param(LATE, [], window(FRIDAY, "20:00", "24:00"), True, id="late-fri-whole-evening"),
    pytest.param(LATE, [], window(FRIDAY, "21:00", "23:00"), True, id="late-fri-evening"),
    pytest.param(LATE, [], window(FRIDAY, "19:00", "21:00"), False, id="late-fri-before-opening"),
    pytest.param(LATE, [], window(THURSDAY, "23:00", "24:00"), False, id="late-thu-closed"),
    pytest.param(LATE, [], window(SUNDAY, "00:30", "01:30"), False, id="late-sun-night-closed"),
    pytest.param(LATE, [B(berlin(2026, 12, 4, 23, 30), 0.75)], window(SATURDAY, "00:00", "01:00"), False,
                 id="late-booking-over-midnight"),
    pytest.param(LATE, [B(berlin(2026, 12, 4, 22), 2)], window(SATURDAY, "00:00", "01:00"), True,
                 id="late-booking-until-midnight"),
    # 24 hours (opens == closes): Wed 08:00 - Thu 08:00
    pytest.param(ROUND_THE_CLOCK, [], window(WEDNESDAY, "08:00", "12:00"), True, id="24h-wed-morning"),
    pytest.param(ROUND_THE_CLOCK, [], window(WEDNESDAY, "20:00", "24:00"), True, id="24h-wed-until-midnight"),
    pytest.param(ROUND_THE_CLOCK, [], window(THURSDAY, "00:00", "08:00"), True, id="24h-thu-until-closing"),
    pytest.param(ROUND_THE_CLOCK, [], window(THURSDAY, "07:00", "08:00"), True, id="24h-thu-last-hour"),
    pytest.param(ROUND_THE_CLOCK, [], window(THURSDAY, "07:30", "08:30"), False, id="24h-thu-past-closing"),
    pytest.param(ROUND_THE_CLOCK, [], window(WEDNESDAY, "07:00", "09:00"), False, id="24h-wed-before-opening"),
    pytest.param(WHOLE_WEDNESDAY, [], window(WEDNESDAY, "00:00", "24:00"), True, id="24h-from-midnight-whole-day"),
    pytest.param(WHOLE_WEDNESDAY, [], "date=2026-12-02&from=00:00", True, id="24h-from-midnight-no-to"),
    pytest.param(WHOLE_WEDNESDAY, [], window(THURSDAY, "00:00", "01:00"), False, id="24h-from-midnight-not-thu"),
    # DST, autumn: Sun 25 Oct 2026 18-20 local is 17:00-19:00 UTC (CET)
    pytest.param(SUNDAYS, [], window(AUTUMN_DST, "18:00", "20:00"), True, id="autumn-free"),
    pytest.param(SUNDAYS, [B(utc(2026, 10, 25, 17), 2)], window(AUTUMN_DST, "18:00", "20:00"), False,
                 id="autumn-booked-17-19-utc"),
    pytest.param(SUNDAYS, [B(utc(2026, 10, 25, 15), 2)], window(AUTUMN_DST, "18:00", "20:00"), True,
                 id="autumn-booked-15-17-utc-touches"),  # would overlap if the window were taken as CEST
    pytest.param(SUNDAYS, [B(utc(2026, 10, 25, 19), 1)], window(AUTUMN_DST, "18:00", "20:00"), True,
                 id="autumn-booked-19-20-utc-touches"),
    # DST, spring: Sun 29 Mar 2026 18-20 local is 16:00-18:00 UTC (CEST)
    pytest.param(SUNDAYS, [], window(SPRING_DST, "18:00", "20:00"), True, id="spring-free"),
    pytest.param(SUNDAYS, [B(utc(2026, 3, 29, 16), 2)], window(SPRING_DST, "18:00", "20:00"), False,
                 id="spring-booked-16-18-utc"),
    pytest.param(SUNDAYS, [B(utc(2026, 3, 29, 18), 1)], window(SPRING_DST, "18:00", "20:00"), True,
                 id="spring-booked-18-19-utc-touches"),  # would overlap if the window were taken as CET
    pytest.param(SUNDAYS, [B(utc(2026, 3, 29, 15), 1)], window(SPRING_DST, "18:00", "20:00"), True,
                 id="spring-booked-15-16-utc-touches"),
    # the DST nights themselves, opening Sat 22:00 - Sun 03:00 (wall clock)
    pytest.param([(SAT, "22:00", "03:00")], [], window(AUTUMN_DST, "01:00", "03:00"), True, id="autumn-night"),
    pytest.param([(SAT, "22:00", "03:00")], [B(utc(2026, 10, 25, 1), 0.5)], window(AUTUMN_DST, "02:30", "03:00"),
                 False, id="autumn-night-repeated-hour-booked"),  # 02:30 CEST (first) .. 03:00 CET = 00:30-02:00 UTC
    pytest.param([(SAT, "22:00", "03:00")], [B(utc(2026, 3, 29, 1), 1)], window(SPRING_DST, "01:00", "03:00"),
                 True, id="spring-night-after-window"),  # 01:00 CET .. 03:00 CEST = 00:00-01:00 UTC
]


def _add_events(session, space, events) -> None:
    for event in events:
        if event[0] == "booking":
            _, start, hours, status = event
            create_booking(session, space, start, hours, status=status)
        else:
            create_closure(session, space, event[1], event[2])


@pytest.mark.parametrize(("hours", "events", "query", "found"), WINDOW_CASES)
def test_free_in_time_window(client, session, room, hours, events, query, found):
    space = room(*hours, name="Treffpunkt")
    room(*ALWAYS, name="Nebenan")  # always open, never booked: found every time
    _add_events(session, space, events)
    expected = ["Nebenan", "Treffpunkt"] if found else ["Nebenan"]
    assert names(client, query) == expected, query


@pytest.mark.parametrize(
    ("day", "start", "end", "utc_start", "utc_end"),
    [
        pytest.param(TUESDAY, "18:00", "20:00", utc(2026, 12, 1, 17), utc(2026, 12, 1, 19), id="winter"),
        pytest.param(date(2026, 7, 7), "18:00", "20:00", utc(2026, 7, 7, 16), utc(2026, 7, 7, 18), id="summer"),
        pytest.param(AUTUMN_DST, "18:00", "20:00", utc(2026, 10, 25, 17), utc(2026, 10, 25, 19), id="autumn-day"),
        pytest.param(SPRING_DST, "18:00", "20:00", utc(2026, 3, 29, 16), utc(2026, 3, 29, 18), id="spring-day"),
        pytest.param(AUTUMN_DST, "00:00", "24:00", utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), id="autumn-25h"),
        pytest.param(SPRING_DST, "00:00", "24:00", utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), id="spring-23h"),
        pytest.param(TUESDAY, "23:00", "24:00", utc(2026, 12, 1, 22), utc(2026, 12, 1, 23), id="until-midnight"),
        pytest.param(TUESDAY, "23:00", "", utc(2026, 12, 1, 22), utc(2026, 12, 1, 23), id="no-to-means-midnight"),
        pytest.param(TUESDAY, "", "02:00", utc(2026, 11, 30, 23), utc(2026, 12, 1, 1), id="no-from-means-midnight"),
    ],
)
def test_parse_search_window_is_local_time(day, start, end, utc_start, utc_end):
    search = parse_search(MultiDict({"date": day.isoformat(), "from": start, "to": end}), today=min(day, TUESDAY))
    assert search.day == day
    assert (search.window.start, search.window.end) == (utc_start, utc_end)


def test_time_without_date_is_today():
    search = parse_search(MultiDict({"from": "18:00", "to": "20:00"}), today=FRIDAY)
    assert search.window.day == FRIDAY and search.window.start == utc(2026, 12, 4, 17)
    assert parse_search(MultiDict({"date": "2026-12-04"}), today=FRIDAY).window is None


def test_a_day_in_the_past_is_refused_with_a_reason(client):
    """Nothing is free in the past: a search for a past day says so instead of listing nothing (or everything)."""
    with pytest.raises(BadParameter, match="ist schon vorbei") as refused:
        parse_search(MultiDict({"date": "2026-11-30", "from": "18:00", "to": "20:00"}), today=TUESDAY)
    assert refused.value.field == "date"
    assert parse_search(MultiDict({"date": "2026-12-01"}), today=TUESDAY).day == TUESDAY  # today is fine
    page = client.get("/?date=2020-01-07&from=18:00&to=20:00")
    assert page.status_code == 400 and "07.01.2020 ist schon vorbei" in page.get_data(as_text=True)
    answer = client.get("/api/spaces?date=2020-01-07")
    assert answer.status_code == 400 and "schon vorbei" in answer.get_json()["error"]


def test_window_search_through_search_spaces(session, room):
    """free_during directly: booking 17:00-19:00 UTC on 25 Oct 2026 is 18:00-20:00 CET."""
    booked = room(*SUNDAYS, name="Belegt")
    room(*SUNDAYS, name="Frei")
    create_booking(session, booked, utc(2026, 10, 25, 17), 2)
    for start, end, expected in [("18:00", "20:00", ["Frei"]), ("16:00", "18:00", ["Belegt", "Frei"]),
                                 ("19:59", "21:00", ["Frei"]), ("20:00", "21:00", ["Belegt", "Frei"])]:
        search = parse_search(MultiDict(window_pairs(AUTUMN_DST, start, end)), today=today_local())
        rows = session.execute(search_spaces(search, now=now_utc())).all()
        assert [r.name for r in rows] == expected, (start, end)


# --------------------------------------------------------------------------- a date without times

DATE_ONLY_CASES = [
    pytest.param(EVENING, [], TUESDAY, True, id="open-that-weekday"),
    pytest.param(EVENING, [], WEDNESDAY, False, id="closed-that-weekday"),
    pytest.param(EVENING, [B(berlin(2026, 12, 1, 18), 1)], TUESDAY, True, id="partly-booked-still-listed"),
]


@pytest.mark.parametrize(("hours", "events", "day", "found"), DATE_ONLY_CASES)
def test_date_without_times_lists_spaces_open_that_day(client, session, room, hours, events, day, found):
    space = room(*hours, name="Treffpunkt")
    _add_events(session, space, events)
    assert names(client, f"date={day.isoformat()}") == (["Treffpunkt"] if found else [])


def test_date_without_times_leaves_out_a_space_closed_all_day(client, session, room):
    space = room(*EVENING, name="Treffpunkt")
    create_closure(session, space, berlin(2026, 11, 20), berlin(2027, 1, 10))
    assert names(client, "date=2026-12-01") == []


def test_date_without_times_keeps_a_space_closed_part_of_the_day(client, session, room):
    space = room(*EVENING, name="Treffpunkt")
    create_closure(session, space, berlin(2026, 12, 1, 8), berlin(2026, 12, 1, 12))
    assert names(client, "date=2026-12-01") == ["Treffpunkt"]


def test_calendar_joins_two_touching_openings(session, room):
    """What the space's page says for Tue 13-15 local when opening rows are Tue 10-14 and Tue 14-18: free."""
    space = room((TUE, "10:00", "14:00"), (TUE, "14:00", "18:00"), name="Geteilt")
    calendar = space_calendar(session, space.id, Interval(utc(2026, 12, 1, 12), utc(2026, 12, 1, 14)))
    assert calendar.free == [Interval(utc(2026, 12, 1, 12), utc(2026, 12, 1, 14))]


def test_window_over_two_touching_openings(client, session, room):
    """Two touching rows (Tue 10-14 and 14-18) are one opening for the search as for the calendar."""
    room((TUE, "10:00", "14:00"), (TUE, "14:00", "18:00"), name="Geteilt")
    assert names(client, window(TUESDAY, "13:00", "15:00")) == ["Geteilt"]


# --------------------------------------------------------------------------- period rules

def _period_space(session, which: str, today: date):
    params = {
        "expired": {"available_until": today - timedelta(days=10)},
        "temporary": {"available_until": today + timedelta(days=30)},
        "planned": {"available_from": today + timedelta(days=60)},
        "always": {},
    }[which]
    space = create_space(session, name=which, **params)
    add_hours(session, space, *ALWAYS)
    return space


PERIOD_CASES = [
    # (space, days from today or None for no date, with a time window?, offered?)
    pytest.param("expired", None, False, False, id="expired-no-date"),
    pytest.param("expired", 0, False, False, id="expired-today"),
    pytest.param("expired", 1, False, False, id="expired-tomorrow"),
    pytest.param("expired", 30, True, False, id="expired-window-in-a-month"),
    pytest.param("temporary", None, False, True, id="temporary-no-date"),
    pytest.param("temporary", 0, True, True, id="temporary-window-today"),
    pytest.param("temporary", 29, False, True, id="temporary-day-before-end"),
    pytest.param("temporary", 30, False, True, id="temporary-last-day-included"),
    pytest.param("temporary", 30, True, True, id="temporary-window-last-day"),
    pytest.param("temporary", 31, False, False, id="temporary-day-after-end"),
    pytest.param("temporary", 31, True, False, id="temporary-window-day-after-end"),
    pytest.param("planned", None, False, True, id="planned-no-date-listed"),
    pytest.param("planned", 0, False, False, id="planned-today"),
    pytest.param("planned", 59, False, False, id="planned-day-before-opening"),
    pytest.param("planned", 59, True, False, id="planned-window-day-before-opening"),
    pytest.param("planned", 60, False, True, id="planned-opening-day"),
    pytest.param("planned", 60, True, True, id="planned-window-opening-day"),
    pytest.param("planned", 100, False, True, id="planned-later"),
    pytest.param("always", None, False, True, id="always-no-date"),
    pytest.param("always", 400, True, True, id="always-next-year"),
]


@pytest.mark.parametrize(("which", "days", "with_window", "offered"), PERIOD_CASES)
def test_period_rules(client, session, which, days, with_window, offered):
    today = today_local()
    _period_space(session, which, today)
    query = "" if days is None else f"date={(today + timedelta(days=days)).isoformat()}"
    if with_window:
        query += "&from=14:00&to=16:00"
    assert names(client, query) == ([which] if offered else [])


def test_period_labels_without_a_date(client, session):
    today = today_local()
    for which in ("expired", "temporary", "planned", "always"):
        _period_space(session, which, today)
    labels = {f["properties"]["name"]: f["properties"]["period_label"] for f in features(client)}
    assert labels == {
        "always": "",
        "planned": f"ab {month_year(today + timedelta(days=60))}",
        "temporary": f"bis {month_year(today + timedelta(days=30))}",
    }
    page = client.get("/").get_data(as_text=True)
    assert "<strong>planned</strong>" in page and f"ab {month_year(today + timedelta(days=60))}" in page
    assert "<strong>expired</strong>" not in page


# --------------------------------------------------------------------------- 400s with German messages

BAD_REQUESTS = [
    # (query, a fragment of the message that tells what to do)
    pytest.param("bbox=9.7,52.3,9.8", "4 Zahlen", id="bbox-3-numbers"),
    pytest.param("bbox=9.7,52.3,9.8,52.4,1", "4 Zahlen", id="bbox-5-numbers"),
    pytest.param("bbox=a,b,c,d", "keine Zahl", id="bbox-not-numbers"),
    pytest.param("bbox=9.8,52.3,9.7,52.4", "Südwest", id="bbox-min-lon-greater"),
    pytest.param("bbox=9.7,52.4,9.8,52.3", "Südwest", id="bbox-min-lat-greater"),
    pytest.param("bbox=9.7,52.3,9.7,52.4", "Südwest", id="bbox-empty"),
    pytest.param("bbox=9.7,52.3,190,52.4", "zwischen -180 und 180", id="bbox-out-of-range"),
    pytest.param("bbox=nan,52.3,9.8,52.4", "keine endliche Zahl", id="bbox-nan"),
    pytest.param("lat=9.73&lon=52.37", "vertauscht", id="lat-lon-swapped"),
    pytest.param("lat=40.7&lon=-74.0", "außerhalb", id="outside-service-area"),
    pytest.param("lat=52.37", "lat und lon", id="only-lat"),
    pytest.param("lon=9.73", "lat und lon", id="only-lon"),
    pytest.param("lat=abc&lon=9.73", "keine Zahl", id="lat-not-a-number"),
    pytest.param("lat=nan&lon=9.73", "keine endliche Zahl", id="lat-nan"),
    pytest.param("lat=NaN&lon=9.73", "keine endliche Zahl", id="lat-NaN"),
    pytest.param("lat=inf&lon=9.73", "keine endliche Zahl", id="lat-inf"),
    pytest.param("lat=-Infinity&lon=9.73", "keine endliche Zahl", id="lat-minus-infinity"),
    pytest.param("lat=52.37&lon=1e400", "keine endliche Zahl", id="lon-overflow"),
    pytest.param("date=2026-12-01&from=20:00&to=18:00", "bis", id="window-ends-before-start"),
    pytest.param("date=2026-12-01&from=18:00&to=18:00", "endet, bevor es beginnt", id="window-empty"),
    pytest.param("date=2026-02-30", "JJJJ-MM-TT", id="date-invalid-day"),
    pytest.param("date=01.12.2026", "JJJJ-MM-TT", id="date-german-format"),
    pytest.param("date=morgen", "JJJJ-MM-TT", id="date-word"),
    pytest.param("date=2026-12-01&from=25:00&to=26:00", "HH:MM", id="time-25"),
    pytest.param("date=2026-12-01&from=18:00&to=18:60", "HH:MM", id="time-minute-60"),
    pytest.param("date=2026-12-01&from=abends&to=22:00", "HH:MM", id="time-word"),
    pytest.param("date=2026-12-01&from=18.30&to=22:00", "HH:MM", id="time-with-dot"),
    pytest.param("from=18:00&to=xx", "HH:MM", id="to-invalid"),
    pytest.param("date=2026-12-01&from=24:00", "spätestens 23:59", id="from-24"),
    pytest.param("date=2026-12-01&from=24&to=02:00", "spätestens 23:59", id="from-24-without-minutes"),
    pytest.param("capacity=0", "1 bis 10000", id="capacity-0"),
    pytest.param("capacity=-1", "1 bis 10000", id="capacity-negative"),
    pytest.param("capacity=abc", "keine ganze Zahl", id="capacity-abc"),
    pytest.param("capacity=2.5", "keine ganze Zahl", id="capacity-fraction"),
    pytest.param("capacity=100000", "1 bis 10000", id="capacity-too-big"),
    pytest.param("equipment=projector,beamer", "möglich: kitchen, projector", id="equipment-unknown"),
    pytest.param("equipment=Projector", "unbekannt", id="equipment-case-matters"),
    pytest.param("kind=hall,zelt", "möglich: room, hall", id="kind-unknown"),
    pytest.param("quartier=Atlantis", "Atlantis", id="quartier-unknown"),
    pytest.param("walk=0", "1 bis 120", id="walk-0"),
    pytest.param("walk=500", "1 bis 120", id="walk-500"),
    pytest.param("walk=zehn", "keine ganze Zahl", id="walk-word"),
    pytest.param("sort=distance", "Ort", id="sort-distance-without-place"),
    pytest.param("sort=price", "möglich: name, distance, capacity", id="sort-unknown"),
    pytest.param("limit=0", "1 bis 5000", id="limit-0"),
    pytest.param("limit=9999", "1 bis 5000", id="limit-too-big"),
]


@pytest.mark.parametrize(("query", "hint"), BAD_REQUESTS)
def test_bad_parameter_is_a_german_400(client, query, hint):
    response = client.get(f"/api/spaces?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error.strip() and hint in error, error
    assert "Traceback" not in error and "Error" not in error


def test_quartier_message_names_it(client, linden):
    error = get_json(client, "/api/spaces", "quartier=Linden", expect=400)["error"]
    assert error == "Quartier „Linden“ ist nicht bekannt."


@pytest.mark.parametrize(
    ("query", "hint"),
    [
        pytest.param("lat=9.73&lon=52.37", "vertauscht", id="swapped"),
        pytest.param("lat=52.37", "keine Zahl", id="lon-missing"),
        pytest.param("lat=nan&lon=9.73", "keine endliche Zahl", id="nan"),
        pytest.param("lat=52.37&lon=9.73&n=0", "1 bis 200", id="n-0"),
        pytest.param("lat=52.37&lon=9.73&n=201", "1 bis 200", id="n-201"),
        pytest.param("lat=52.37&lon=9.73&n=drei", "ganze Zahl", id="n-word"),
    ],
)
def test_nearest_bad_parameter_is_a_german_400(client, query, hint):
    error = get_json(client, "/api/spaces/nearest", query, expect=400)["error"]
    assert hint in error, error


@pytest.mark.parametrize("query", ["date=9999-12-31&from=20:00", "date=0001-01-01&from=00:00&to=01:00"])
def test_window_on_an_impossible_date_is_a_400(client, query):
    response = client.get(f"/api/spaces?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("Datum: bitte zwischen")


# --------------------------------------------------------------------------- the HTML page /

def test_page_with_a_bad_parameter_is_a_german_400_with_the_form(client, catalogue):
    response = client.get("/?capacity=abc&kind=hall")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<a href="#f-capacity">Personen: „abc“ ist keine ganze Zahl.</a>' in page
    assert re.search(r'name="capacity" id="f-capacity"[^>]*aria-invalid="true"', page)
    assert "Traceback" not in page and "OverflowError" not in page
    assert '<form class="filters"' in page and 'value="abc"' in page  # the form is there to correct it
    # no rooms listed as "Treffer" under an error: the list asks to correct the search first
    assert "<strong>Saal</strong>" not in page and "Bitte zuerst die Suche korrigieren." in page


def test_every_wrong_search_field_is_named_at_once_on_the_page_and_in_the_api(client, catalogue):
    """The UX review: capacity=abc and date=08.12.2026 gave only the date's error, one per submit."""
    query = "capacity=abc&date=08.12.2026&walk=500"
    page = client.get(f"/?{query}").get_data(as_text=True)
    summary = page.split('class="error error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Bitte 3 Angaben korrigieren:" in summary
    for field in ("f-capacity", "f-date", "f-walk"):
        assert f'href="#{field}"' in summary and re.search(rf'id="{field}"[^>]*aria-invalid="true"', page), field
    body = client.get(f"/api/spaces?{query}").get_json()
    assert {e["field"] for e in body["errors"]} == {"capacity", "date", "walk"}
    assert body["error"] == body["errors"][0]["message"]


def test_a_past_day_and_an_unknown_quartier_are_named_together(client, catalogue, demo_clock):
    body = client.get("/api/spaces?date=2020-01-07&quartier=Atlantis").get_json()
    assert [e["field"] for e in body["errors"]] == ["date", "quartier"]
    assert "schon vorbei" in body["errors"][0]["message"] and "Atlantis" in body["errors"][1]["message"]


@pytest.mark.parametrize(("query", "hint"), [
    ("lat=9.73&lon=52.37", "vertauscht"),
    ("date=2026-12-01&from=20:00&to=18:00", "endet, bevor es beginnt"),
    ("bbox=1,2,3", "4 Zahlen"),
])
def test_page_shows_other_errors_too(client, query, hint):
    response = client.get(f"/?{query}")
    assert response.status_code == 400 and hint in response.get_data(as_text=True)


def _checked(page: str, name: str, value: str) -> bool:
    tag = re.search(rf'<input type="checkbox" name="{name}" value="{value}"[^>]*>', page)
    assert tag, (name, value)
    return "checked" in tag.group(0)


def test_page_keeps_the_form_values_of_a_good_search(client, catalogue, linden):
    query = urlencode([("date", "2026-12-01"), ("from", "18:00"), ("to", "20:00"), ("capacity", "30"),
                       ("step_free", "1"), ("free", "1"), ("kind", "hall"), ("kind", "outdoor"),
                       ("equipment", "projector"), ("quartier", LINDEN), ("walk", "20"), ("sort", "capacity")])
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'name="date" id="f-date" value="2026-12-01"', page)
    assert 'id="f-from" value="18:00"' in page and 'id="f-to" value="20:00"' in page
    assert re.search(r'name="capacity"[^>]*value="30"', page)
    assert re.search(r'name="walk"[^>]*value="20"', page)
    assert _checked(page, "step_free", "1") and _checked(page, "free", "1")
    assert not _checked(page, "accessible_wc", "1")
    assert _checked(page, "kind", "hall") and _checked(page, "kind", "outdoor") and not _checked(page, "kind", "room")
    assert _checked(page, "equipment", "projector") and not _checked(page, "equipment", "stage")
    assert f"<option selected>{LINDEN}</option>" in page
    assert '<option value="capacity" selected>' in page
    assert "Treffer" in page and "Alle Filter löschen" in page
    assert "Nichts gefunden" in page  # the catalogue has no opening hours, so nothing is free then


@pytest.mark.parametrize("query", [
    "", "capacity=30", "step_free=1&accessible_wc=1", "equipment=projector,stage", "kind=room,outdoor",
    "free=1", near(CENTRE, 10), near(CENTRE, 15) + "&sort=capacity",
    bbox(CENTRE[0] - 0.001, CENTRE[1] - 0.0001, SAAL_LON + 0.001, CENTRE[1] + 0.0001),
])
def test_page_lists_what_the_api_finds_in_the_same_order(client, catalogue, query):
    page = client.get(f"/?{query}").get_data(as_text=True)
    listed = re.findall(r"<strong>([^<]+)</strong>", page.split('id="liste"', 1)[1])
    assert listed == names(client, query)


# --------------------------------------------------------------------------- the SQL rule's wall clock

def _dst_days(first_year: int, last_year: int) -> list[date]:
    """The last Sundays of March and October (Europe/Berlin's DST changes) with the Saturdays before them."""
    days = []
    for year in range(first_year, last_year + 1):
        for month in (3, 10):
            last = date(year, month, 31)
            sunday = last - timedelta(days=(last.weekday() - SUN) % 7)
            days += [sunday - timedelta(days=1), sunday]
    return days


def test_sql_wall_time_is_the_python_rule_minute_by_minute_on_dst_days(session):
    """berlin_wall_to_utc (migration 0008) resolves gaps and repeated hours exactly as wall_time_to_utc."""
    from sqlalchemy import bindparam, text
    from sqlalchemy.dialects.postgresql import ARRAY
    from sqlalchemy.types import Date

    from spaces.core.availability import wall_time_to_utc

    days = _dst_days(2021, 2040)
    statement = text("""
        SELECT d.day, m.minute, berlin_wall_to_utc(d.day, time '00:00' + m.minute * interval '1 minute')
        FROM unnest(:days) AS d(day) CROSS JOIN generate_series(0, 1439) AS m(minute)
    """).bindparams(bindparam("days", type_=ARRAY(Date())))
    rows = session.execute(statement, {"days": days}).all()
    assert len(rows) == len(days) * 1440
    wrong = [(day, minute, got) for day, minute, got in rows
             if got != wall_time_to_utc(day, time(minute // 60, minute % 60))]
    assert wrong == []
