"""Walking on the street network: the hand-made river network (tests/data/streets_river.osm).

Two streets run east-west on either bank of a river about 150 m wide (Nordufer at lat 52.37135, Südufer at
52.37000, from lon 9.7200 to 9.7450); the only footbridge is at the west end (lon 9.7200). A motorway, a road
with foot=no and a private service bridge cross further east: none may be walked. The expected metres below
are worked out by hand along the streets.
"""

import math
from pathlib import Path

import pytest
from factories import create_space
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box, shape
from sqlalchemy import func, select, text

from geo.walking import DETOUR_FACTOR, walk_radius_m
from spaces.models import ConstructionPhase
from spaces.walking import network
from spaces.walking.streets import NoWalkableWays, import_streets
from spaces.walking.tables import WalkEdge

RIVER = Path(__file__).resolve().parent.parent / "data" / "streets_river.osm"
NORTH, SOUTH, BRIDGE = 52.37135, 52.37000, 9.7200

HERE = (9.7380, 52.37150)  # the start: on the north bank, 15 m north of Nordufer
ACROSS = (9.7380, 52.36985)  # straight across the river, 15 m south of Südufer
SAME_BANK = (9.7330, 52.37150)  # 340 m west on the same bank
NEAR_BRIDGE = (9.7210, 52.37150)  # 1.16 km west on the same bank, just before the bridge


def _scale(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and latitude on the WGS84 ellipsoid at `lat`."""
    phi = math.radians(lat)
    return (111_412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi),
            111_132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi))


def east_west(lon1: float, lon2: float, lat: float) -> float:
    return abs(lon2 - lon1) * _scale(lat)[0]


def north_south(lat1: float, lat2: float) -> float:
    return abs(lat2 - lat1) * _scale((lat1 + lat2) / 2)[1]


def straight(a, b) -> float:
    return math.hypot(east_west(a[0], b[0], (a[1] + b[1]) / 2), north_south(a[1], b[1]))


ACCESS_HERE = north_south(HERE[1], NORTH)  # 16.7 m onto Nordufer
BY_HAND = {
    "same_bank": ACCESS_HERE + east_west(HERE[0], SAME_BANK[0], NORTH) + north_south(SAME_BANK[1], NORTH),
    "near_bridge": ACCESS_HERE + east_west(HERE[0], NEAR_BRIDGE[0], NORTH) + north_south(NEAR_BRIDGE[1], NORTH),
    "across": ACCESS_HERE + east_west(HERE[0], BRIDGE, NORTH) + north_south(NORTH, SOUTH)
    + east_west(BRIDGE, ACROSS[0], SOUTH) + north_south(SOUTH, ACROSS[1]),
}


@pytest.fixture
def streets(session):
    return import_streets(session, RIVER)


@pytest.fixture
def spaces(session, streets):
    return {name: create_space(session, lon=lon, lat=lat).id for name, (lon, lat) in
            {"same_bank": SAME_BANK, "near_bridge": NEAR_BRIDGE, "across": ACROSS}.items()}


def minutes_for(metres: float) -> float:
    return metres / network.SPEED_M_PER_MIN


def test_import_counts_the_walkable_ways_split_where_they_meet(session, streets):
    # Nordufer splits where Querweg joins; Südufer is two ways; bridge, Querweg and steps one edge each
    assert streets == {"ways": 6, "edges": 7, "vertices": 8}
    ways = set(session.scalars(select(WalkEdge.osm_way_id)))
    assert ways == {101, 102, 103, 104, 105, 106}  # not the motorway (110), foot=no (111), private (112), river
    assert session.scalar(select(func.count()).select_from(text("walk_vertices"))) == 8
    assert network.available(session)


def test_across_the_river_the_walk_goes_over_the_bridge(session, spaces):
    reached = network.reach(session, *HERE, minutes=40)
    line = straight(HERE, ACROSS)
    assert 180 < line < 190
    assert reached[spaces["across"]] == pytest.approx(BY_HAND["across"], rel=0.003)
    assert reached[spaces["across"]] > 1200 and reached[spaces["across"]] > 10 * line * DETOUR_FACTOR


def test_on_the_same_bank_the_walk_is_almost_straight(session, spaces):
    reached = network.reach(session, *HERE, minutes=15)
    line = straight(HERE, SAME_BANK)
    assert reached[spaces["same_bank"]] == pytest.approx(BY_HAND["same_bank"], rel=0.003)
    assert line < reached[spaces["same_bank"]] < line * 1.15


@pytest.mark.parametrize("name", ["same_bank", "near_bridge", "across"])
def test_reach_includes_a_space_just_within_the_minutes_and_not_just_beyond(session, spaces, name):
    needed = minutes_for(BY_HAND[name])
    assert spaces[name] in network.reach(session, *HERE, minutes=needed + 0.1)
    assert spaces[name] not in network.reach(session, *HERE, minutes=needed - 0.1)


def test_reach_within_15_minutes_is_the_same_bank_only(session, spaces):
    assert set(network.reach(session, *HERE, minutes=15)) == {spaces["same_bank"], spaces["near_bridge"]}
    assert set(network.reach(session, *HERE, minutes=5)) == {spaces["same_bank"]}


def test_isochrone_covers_the_same_bank_and_not_the_other(session, spaces):
    geometry = network.isochrone(session, *HERE, minutes=15)
    assert geometry["type"] in {"Polygon", "MultiPolygon"}
    area = shape(geometry)
    assert area.contains(Point(SAME_BANK)) and area.contains(Point(NEAR_BRIDGE)) and area.contains(Point(HERE))
    assert not area.contains(Point(ACROSS))
    # Nordufer west of Querweg is drawn only as far as the walk goes (to about lon 9.7206), not onto the bridge
    assert area.contains(Point(9.7212, NORTH)) and not area.contains(Point(BRIDGE, (NORTH + SOUTH) / 2))
    assert not area.intersects(Point(9.7300, SOUTH))  # across from the middle: no way there in 15 minutes


def test_a_longer_walk_crosses_the_bridge(session, spaces):
    area = shape(network.isochrone(session, *HERE, minutes=minutes_for(BY_HAND["across"]) + 1))
    assert area.contains(Point(ACROSS))


def _phase(session) -> int:
    area = MultiPolygon([box(9.7290, 52.3712, 9.7310, 52.3727)])
    phase = ConstructionPhase(name="Baufeld am Querweg", homes=100, geom=from_shape(area, srid=4326))
    session.add(phase)
    session.flush()
    return phase.id


def test_reach_from_a_phase_starts_anywhere_inside_it(session, spaces):
    phase_id = _phase(session)
    inside = create_space(session, lon=9.7300, lat=52.3720).id
    reached = network.reach_from_phase(session, phase_id, minutes=5)
    assert reached[inside] == 0
    # SAME_BANK is 0.002° east of the phase's edge along Nordufer, then 15 m off the street
    expected = east_west(9.7310, SAME_BANK[0], NORTH) + north_south(SAME_BANK[1], NORTH)
    assert reached[spaces["same_bank"]] == pytest.approx(expected, rel=0.003)
    assert spaces["across"] not in reached and spaces["near_bridge"] not in reached


def test_phase_isochrone_holds_the_phase_and_its_bank(session, spaces):
    phase_id = _phase(session)
    area = shape(network.phase_isochrone(session, phase_id, minutes=5))
    assert area.contains(box(9.7290, 52.3712, 9.7310, 52.3727))
    assert area.contains(Point(SAME_BANK)) and not area.contains(Point(9.7300, SOUTH))
    assert network.phase_isochrone(session, 999_999, minutes=5) is None


def test_a_space_added_after_the_import_is_reached(session, streets):
    assert network.reach(session, *HERE, minutes=10) == {}
    late = create_space(session, lon=9.7350, lat=52.3712).id
    assert set(network.reach(session, *HERE, minutes=10)) == {late}


def test_re_import_replaces_the_network(session, streets):
    assert import_streets(session, RIVER.read_bytes()) == streets
    assert session.scalar(select(func.count()).select_from(WalkEdge)) == 7


def test_a_file_without_walkable_ways_is_refused_and_changes_nothing(session, streets):
    river_only = (b'<osm version="0.6"><node id="1" lat="52.37" lon="9.72"/><node id="2" lat="52.37" lon="9.73"/>'
                  b'<way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way></osm>')
    with pytest.raises(NoWalkableWays, match="keine begehbaren Wege"):
        import_streets(session, river_only)
    assert session.scalar(select(func.count()).select_from(WalkEdge)) == 7


def test_without_a_network_nothing_is_walked(session):
    create_space(session, lon=SAME_BANK[0], lat=SAME_BANK[1])
    assert not network.available(session)
    assert network.reach(session, *HERE, minutes=15) is None
    assert network.isochrone(session, *HERE, minutes=15) is None
    assert network.reach_from_phase(session, _phase(session), minutes=15) is None


def test_without_pgrouting_the_network_is_not_used(session, streets):
    """A server without pgRouting migrates without the extension: the tables exist, available() is False."""
    session.execute(text("DROP EXTENSION pgrouting"))  # rolled back with the test
    assert not network.available(session)
    assert network.reach(session, *HERE, minutes=15) is None


def test_a_point_far_from_every_street_is_left_to_the_straight_line(session, streets):
    assert network.reach(session, 9.7380, 52.3800, minutes=15) is None  # 950 m north of the network
    assert network.isochrone(session, 9.7380, 52.3800, minutes=15) is None


# ------------------------------------------------------------------------------------------------ the API

def test_api_isochrone_on_the_network(client, spaces):
    answer = client.get(f"/api/isochrone?lat={HERE[1]}&lon={HERE[0]}&minutes=15")
    assert answer.status_code == 200
    feature = answer.get_json()
    assert feature["type"] == "Feature" and feature["properties"] == {"minutes": 15, "method": "network"}
    assert shape(feature["geometry"]).contains(Point(SAME_BANK))
    assert not shape(feature["geometry"]).contains(Point(ACROSS))


def test_api_isochrone_without_a_network_is_the_straight_line_circle(client, session):
    answer = client.get(f"/api/isochrone?lat={HERE[1]}&lon={HERE[0]}&minutes=15")
    assert answer.status_code == 200
    properties = answer.get_json()["properties"]
    assert properties["method"] == "straight_line" and properties["radius_m"] == round(walk_radius_m(15), 1)
    assert properties["note"] == "Kein Straßennetz geladen: geschätzt als Luftlinie × 1,3."
    circle = shape(answer.get_json()["geometry"])
    assert circle.contains(Point(ACROSS))  # the old rule's promise, which the river breaks


def test_api_isochrone_off_the_network_says_why(client, streets):
    properties = client.get("/api/isochrone?lat=52.38&lon=9.738&minutes=10").get_json()["properties"]
    assert properties["method"] == "straight_line"
    assert "mehr als 500 m vom Straßennetz" in properties["note"]


@pytest.mark.parametrize("query, message", [
    ("lat=52.37&lon=9.73&minutes=0", "minutes: bitte eine Zahl von 1 bis 60 angeben."),
    ("lat=52.37&lon=9.73&minutes=61", "minutes: bitte eine Zahl von 1 bis 60 angeben."),
    ("lat=52.37&lon=9.73&minutes=viel", "minutes: „viel“ ist keine Zahl."),
    ("lat=52.37&lon=9.73&minutes=nan", "minutes: bitte eine Zahl von 1 bis 60 angeben."),
    ("lat=52.0&lon=9.7&minutes=15", "liegt außerhalb des Stadtgebiets"),
    ("lat=9.73&lon=52.37&minutes=15", "vertauscht"),
    ("lon=9.73&minutes=15", "lat"),
])
def test_api_isochrone_refuses_bad_input_in_german(client, session, query, message):
    answer = client.get(f"/api/isochrone?{query}")
    assert answer.status_code == 400
    assert message in answer.get_json()["error"]


def test_api_phase_isochrone(client, session, streets):
    phase_id = _phase(session)
    answer = client.get(f"/api/phases/{phase_id}/isochrone?minutes=5")
    assert answer.status_code == 200 and answer.get_json()["properties"]["method"] == "network"
    assert shape(answer.get_json()["geometry"]).contains(Point(SAME_BANK))
    assert client.get(f"/api/phases/{phase_id}/isochrone?minutes=0").status_code == 400
    missing = client.get("/api/phases/999999/isochrone?minutes=5")
    assert missing.status_code == 404 and "Bauabschnitt" in missing.get_json()["error"]


def test_api_phase_isochrone_without_a_network_widens_the_phase(client, session):
    phase_id = _phase(session)
    feature = client.get(f"/api/phases/{phase_id}/isochrone").get_json()
    assert feature["properties"]["method"] == "straight_line" and feature["properties"]["minutes"] == 15
    assert shape(feature["geometry"]).contains(Point(9.7310 + 0.012, 52.372))  # 800 m east of the phase


# ------------------------------------------------------------------------------------------------ the command

def test_import_streets_command(app, session, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["geo", "import-streets", str(RIVER)])
    assert result.exit_code == 0, result.output
    assert result.output == "Straßennetz importiert: 6 Wege, 7 Kanten, 8 Knoten.\n"
    empty = tmp_path / "leer.osm"
    empty.write_text('<osm version="0.6"><node id="1" lat="52.37" lon="9.72"/></osm>')
    refused = runner.invoke(args=["geo", "import-streets", str(empty)])
    assert refused.exit_code == 2 and "keine begehbaren Wege" in refused.output
    garbage = tmp_path / "kaputt.pbf"
    garbage.write_bytes(b"\x00\x00\x00\x0fkein pbf")
    broken = runner.invoke(args=["geo", "import-streets", str(garbage)])
    assert broken.exit_code == 2 and "lässt sich nicht als OpenStreetMap-Daten" in broken.output
    assert session.scalar(select(func.count()).select_from(WalkEdge)) == 7


def test_spaces_there_before_the_import_are_snapped_once_and_a_moved_one_where_it_is_now(session):
    across = create_space(session, lon=ACROSS[0], lat=ACROSS[1]).id
    import_streets(session, RIVER)
    snapped = session.execute(text("SELECT space_id, access_m FROM walk_space_access")).all()
    assert [(row.space_id, round(row.access_m, 1)) for row in snapped] == [(across, round(ACCESS_HERE, 1))]
    assert network.reach(session, *HERE, minutes=40)[across] == pytest.approx(BY_HAND["across"], rel=0.003)
    session.execute(text("UPDATE spaces SET location = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) WHERE id = :id"),
                    {"lon": 9.7370, "lat": 52.3716, "id": across})  # moved to the north bank
    assert network.reach(session, *HERE, minutes=3)[across] == pytest.approx(
        ACCESS_HERE + east_west(9.7370, HERE[0], NORTH) + north_south(52.3716, NORTH), rel=0.003)
