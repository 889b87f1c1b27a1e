"""The map's counts when zoomed out (/api/spaces/clusters): every matching space counted, none sampled, by the
same search as the list; cells are a fixed Web-Mercator grid."""

import re
from collections import defaultdict
from datetime import date, timedelta

import pytest
from pyproj import Transformer

from geo.crs import grid_cell_m
from spaces.clock import today_local
from spaces.dev.synthetic import generate_city
from spaces.finder.queries import CLUSTER_PIXELS

MERCATOR = Transformer.from_crs(4326, 3857, always_xy=True)


@pytest.fixture
def city(session, demo, demo_clock):
    """The demo data and 1,500 synthetic spaces (a few bookings), inside the test's transaction."""
    generate_city(session.connection(), spaces=1500, bookings=300, seed=11, start=date(2026, 11, 1), days=60)
    session.flush()


def _features(client, query: str) -> list[dict]:
    answer = client.get("/api/spaces?limit=1000&" + query)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert not body["truncated"], "the check needs every match in one answer"
    return body["features"]


def _clusters(client, query: str) -> dict:
    answer = client.get("/api/spaces/clusters?" + query)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    return answer.get_json()


WEST_HANNOVER = "bbox=9.66,52.34,9.74,52.40"
FILTERS = [
    WEST_HANNOVER,
    WEST_HANNOVER + "&capacity=40",
    WEST_HANNOVER + "&step_free=1&accessible_wc=1",
    WEST_HANNOVER + "&kind=hall&kind=room",
    WEST_HANNOVER + "&free=1",
    WEST_HANNOVER + "&equipment=kitchen",
    "lat=52.3643&lon=9.69214&walk=15",
    "lat=52.3643&lon=9.69214&walk=15&date={day}&from=18:00&to=20:00&capacity=10",
    WEST_HANNOVER + "&date={day}",
    WEST_HANNOVER + "&date={day}&from=09:00&to=11:00",
]


@pytest.mark.parametrize("query", FILTERS)
def test_the_counts_add_up_to_every_space_the_list_finds(client, city, query):
    query = query.format(day=(today_local() + timedelta(days=3)).isoformat())
    listed = _features(client, query)
    for zoom in (9, 13, 16):  # one city for the three zoom levels (it takes longer to make than to ask)
        counted = _clusters(client, f"{query}&zoom={zoom}")
        assert counted["total"] == len(listed) == sum(f["properties"]["count"] for f in counted["features"]), zoom
        assert counted["zoom"] == zoom
        named = {f["properties"]["id"] for f in counted["features"] if f["properties"]["count"] == 1}
        assert named <= {f["id"] for f in listed}
        assert all(f["properties"]["id"] is None for f in counted["features"] if f["properties"]["count"] > 1)


def test_the_whole_city_is_counted_where_a_list_would_be_cut(client, city):
    everything = _clusters(client, "zoom=11")
    cut = client.get("/api/spaces?limit=1000").get_json()
    assert cut["truncated"] and len(cut["features"]) == 1000
    assert everything["total"] > 1000  # 1,500 synthetic and the demo's 25 that have not closed for good
    assert everything["total"] == sum(f["properties"]["count"] for f in everything["features"])


@pytest.mark.parametrize("zoom", [10, 12, 15])
def test_cells_are_the_matching_spaces_grouped_on_a_fixed_web_mercator_grid(client, city, zoom):
    listed = _features(client, WEST_HANNOVER)
    cell = grid_cell_m(zoom, CLUSTER_PIXELS)
    groups = defaultdict(list)
    for f in listed:
        lon, lat = f["geometry"]["coordinates"]
        x, y = MERCATOR.transform(lon, lat)
        groups[(x // cell, y // cell)].append(f)
    expected = sorted((len(members), round(sum(m["geometry"]["coordinates"][0] for m in members) / len(members), 4),
                       round(sum(m["geometry"]["coordinates"][1] for m in members) / len(members), 4))
                      for members in groups.values())
    counted = _clusters(client, f"{WEST_HANNOVER}&zoom={zoom}")
    got = sorted((f["properties"]["count"], round(f["geometry"]["coordinates"][0], 4),
                  round(f["geometry"]["coordinates"][1], 4)) for f in counted["features"])
    assert got == expected
    assert counted["cell_m"] == pytest.approx(cell, abs=0.1)
    assert [f["properties"]["count"] for f in counted["features"]] == sorted(
        (f["properties"]["count"] for f in counted["features"]), reverse=True), "fullest first"


def test_panning_keeps_the_cells(client, city):
    """The grid is fixed in the projection: a cell that lies wholly inside two views counts the same in both."""
    cell = grid_cell_m(12, CLUSTER_PIXELS)
    back = Transformer.from_crs(3857, 4326, always_xy=True)

    def cells(bbox):
        answer = _clusters(client, f"bbox={','.join(map(str, bbox))}&zoom=12")
        found = {}
        for f in answer["features"]:
            x, y = MERCATOR.transform(*f["geometry"]["coordinates"])
            found[(x // cell, y // cell)] = (f["properties"]["count"], f["geometry"]["coordinates"])
        return found

    def inside(key, bbox):
        (west, south), (east, north) = (back.transform(key[0] * cell, key[1] * cell),
                                        back.transform((key[0] + 1) * cell, (key[1] + 1) * cell))
        return bbox[0] <= west and bbox[1] <= south and east <= bbox[2] and north <= bbox[3]

    wide, shifted = (9.60, 52.30, 9.90, 52.45), (9.63, 52.32, 9.93, 52.47)
    a, b = cells(wide), cells(shifted)
    common = [k for k in a.keys() | b.keys() if inside(k, wide) and inside(k, shifted)]
    assert len(common) >= 4
    assert {k: a.get(k) for k in common} == {k: b.get(k) for k in common}


def test_no_match_is_an_empty_collection(client, city):
    empty = _clusters(client, "capacity=10000&zoom=12")
    assert empty == {"type": "FeatureCollection", "zoom": 12, "cell_m": pytest.approx(grid_cell_m(12, 60), abs=0.1),
                     "total": 0, "features": []}


@pytest.mark.parametrize(("query", "message"), [
    ("", "zoom: bitte eine Zahl von 0 bis 22 angeben."),
    ("zoom=abc", "zoom: „abc“ ist keine ganze Zahl."),
    ("zoom=23", "zoom: bitte eine Zahl von 0 bis 22."),
    ("zoom=12&capacity=x", "Personen: „x“ ist keine ganze Zahl."),
    ("zoom=12&bbox=1,2,3", "bbox braucht 4 Zahlen"),
])
def test_a_wrong_zoom_or_filter_is_a_german_400(client, session, query, message):
    answer = client.get("/api/spaces/clusters?" + query)
    assert answer.status_code == 400
    assert message in answer.get_json()["error"]


def test_the_map_asks_for_counts_with_the_page_filters(client, demo, demo_clock):
    html = client.get("/?capacity=50&step_free=1&limit=3").get_data(as_text=True)
    assert "/api/spaces/clusters?capacity=50\\u0026step_free=1" in html or \
        "/api/spaces/clusters?capacity=50&step_free=1" in html
    assert "limit=3" not in html.split("/api/spaces/clusters", 1)[1].split('"', 1)[0]


def _count_line(client, query: str) -> str:
    """The count above the map, and the list's page line below it when there is one: "N Räume · Seite …"."""
    html = client.get("/" + query).get_data(as_text=True)
    found = re.search(r'id="result-count"[^>]*>(.*?)</p>', html, re.S)
    paged = re.search(r'id="liste".*?<p class="count">(.*?)</p>', html, re.S)
    parts = [" ".join(m.group(1).split()) for m in (found, paged) if m]
    return " · ".join(parts)


def test_a_cut_list_says_how_many_there_are_and_how_to_see_them(client, city):
    total = _clusters(client, "zoom=11")["total"]
    pages, german = -(-total // 50), f"{total:,}".replace(",", ".")
    assert _count_line(client, "") == f"{german} Räume · Seite 1 von {pages}, je 50 Räume"
    assert _count_line(client, "?page=3") == f"{german} Räume · Seite 3 von {pages}, je 50 Räume"
    few = _features(client, WEST_HANNOVER + "&capacity=100")
    assert 0 < len(few) <= 50
    assert _count_line(client, "?" + WEST_HANNOVER + "&capacity=100") == (
        f"{len(few)} Räume" if len(few) > 1 else "1 Raum")
    assert _count_line(client, "?lang=en").startswith(f"{total:,} spaces · page 1 of {pages}")
