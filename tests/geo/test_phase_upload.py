"""geo.phase_upload: construction phases from uploaded GeoJSON, every refusal with a German reason. No database."""

import json
from datetime import date
from pathlib import Path

import pytest
from pyproj import Geod, Transformer
from shapely.geometry import MultiPolygon

from geo.phase_upload import (
    MAX_BYTES,
    MAX_FEATURES,
    MAX_VERTICES,
    PhaseDraft,
    PhaseUploadError,
    parse_phase_upload,
)
from geo.validation import InvalidGeometry

DEMO = Path(__file__).resolve().parents[2] / "data" / "hannover-demo.geojson"
GEOD = Geod(ellps="WGS84")
TO_UTM = Transformer.from_crs(4326, 25832, always_xy=True)
TO_MERCATOR = Transformer.from_crs(4326, 3857, always_xy=True)

# About 370 m x 370 m in Kronsrode, lon/lat.
SQUARE = [[9.833, 52.3338], [9.8385, 52.3338], [9.8385, 52.3371], [9.833, 52.3371], [9.833, 52.3338]]
HOLE = [[9.834, 52.334], [9.835, 52.334], [9.835, 52.335], [9.834, 52.335], [9.834, 52.334]]
EAST = [[9.84, 52.3338], [9.845, 52.3338], [9.845, 52.3371], [9.84, 52.3371], [9.84, 52.3338]]
# A bow tie: the edges cross at (9.81, 52.335).
BOW_TIE = [[9.80, 52.33], [9.82, 52.34], [9.82, 52.33], [9.80, 52.34], [9.80, 52.33]]


def polygon(*rings):
    return {"type": "Polygon", "coordinates": [list(r) for r in (rings or [SQUARE])]}


def feature(geometry=None, name="Baufeld 1", **props):
    properties = {"name": name, **props} if name is not None else dict(props)
    return {"type": "Feature", "geometry": polygon() if geometry is None else geometry, "properties": properties}


def collection(*features, crs=None):
    doc = {"type": "FeatureCollection", "features": list(features) or [feature()]}
    if crs is not None:
        doc["crs"] = crs
    return doc


def named_crs(name):
    return {"type": "name", "properties": {"name": name}}


def utm(ring):
    return [list(TO_UTM.transform(lon, lat)) for lon, lat in ring]


def dumps(doc) -> bytes:
    return json.dumps(doc).encode()


def kronsrode() -> dict:
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    phases = [f for f in demo["features"] if (f.get("properties") or {}).get("type") == "construction_phase"]
    return collection(*phases)


# --- accepted files -------------------------------------------------------------------------------


def test_kronsrode_phases_from_demo_data():
    drafts = parse_phase_upload(dumps(kronsrode()))

    assert [d.name for d in drafts] == [f"Kronsrode Baufeld {n}" for n in (1, 2, 3, 4)]
    assert all(isinstance(d, PhaseDraft) for d in drafts)
    for d in drafts:
        assert isinstance(d.geometry, MultiPolygon) and len(d.geometry.geoms) == 1
        assert d.geometry.is_valid and d.geometry.area > 0
        assert 9.8 < d.geometry.centroid.x < 9.9 and 52.3 < d.geometry.centroid.y < 52.4
    first = drafts[0]
    assert (first.status, first.move_in, first.homes, first.persons_per_home) == (
        "occupied",
        date(2022, 12, 1),
        1200,
        2.3,
    )
    assert first.expected_residents is None
    assert [d.status for d in drafts] == ["occupied", "occupied", "building", "planned"]


def test_text_input_and_byte_order_mark_are_accepted():
    text = json.dumps(kronsrode())
    assert len(parse_phase_upload(text)) == 4
    assert len(parse_phase_upload(b"\xef\xbb\xbf" + text.encode())) == 4


@pytest.mark.parametrize(
    "crs",
    [
        named_crs("urn:ogc:def:crs:EPSG::25832"),
        named_crs("EPSG:25832"),
        named_crs("http://www.opengis.net/def/crs/EPSG/0/25832"),
        "EPSG:25832",
    ],
)
def test_utm32n_collection_is_transformed_to_lon_lat(crs):
    lon, lat = 9.7385, 52.3745  # Hannover, Kröpcke
    e, n = TO_UTM.transform(lon, lat)
    ring = [[e, n], [e + 200, n], [e + 200, n + 150], [e, n + 150], [e, n]]

    (draft,) = parse_phase_upload(dumps(collection(feature(polygon(ring)), crs=crs)))

    got_lon, got_lat = draft.geometry.geoms[0].exterior.coords[0]
    _, _, metres = GEOD.inv(lon, lat, got_lon, got_lat)
    assert metres < 1.0
    corner = Transformer.from_crs(25832, 4326, always_xy=True).transform(e + 200, n + 150)
    _, _, metres = GEOD.inv(*corner, *draft.geometry.geoms[0].exterior.coords[2])
    assert metres < 1.0
    assert draft.geometry.is_valid
    assert abs(abs(GEOD.geometry_area_perimeter(draft.geometry.geoms[0])[0]) - 30_000) < 300


def test_web_mercator_is_transformed():
    ring = [list(TO_MERCATOR.transform(lon, lat)) for lon, lat in SQUARE]
    (draft,) = parse_phase_upload(dumps(collection(feature(polygon(ring)), crs=named_crs("EPSG:3857"))))
    for (lon, lat), (got_lon, got_lat) in zip(SQUARE, draft.geometry.geoms[0].exterior.coords):
        assert GEOD.inv(lon, lat, got_lon, got_lat)[2] < 1.0


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"])
def test_wgs84_crs_declarations_are_accepted(name):
    (draft,) = parse_phase_upload(dumps(collection(feature(), crs=named_crs(name))))
    assert list(draft.geometry.geoms[0].exterior.coords) == [tuple(p) for p in SQUARE]


def test_single_feature_bare_geometry_multipolygon_hole_and_z():
    (one,) = parse_phase_upload(dumps(feature(name="  Baufeld   Nord ", status="planned", expected_residents=40)))
    assert one.name == "Baufeld Nord" and one.status == "planned" and one.expected_residents == 40

    (bare,) = parse_phase_upload(dumps(polygon()))
    assert bare.name == "Bauabschnitt 1" and bare.status is None and bare.homes is None

    multi = {"type": "MultiPolygon", "coordinates": [[SQUARE, HOLE], [EAST]]}
    (draft,) = parse_phase_upload(dumps(feature(multi)))
    assert len(draft.geometry.geoms) == 2 and len(draft.geometry.geoms[0].interiors) == 1

    with_z = [[x, y, 60.5] for x, y in SQUARE]
    (draft,) = parse_phase_upload(dumps(feature(polygon(with_z))))
    assert not draft.geometry.has_z and draft.geometry.area > 0


def test_optional_properties_may_be_null_and_extra_properties_are_ignored():
    doc = feature(status=None, move_in=None, homes=None, persons_per_home=None, quartier="Kronsberg", illustrative=True)
    (draft,) = parse_phase_upload(dumps(doc))
    assert (draft.status, draft.move_in, draft.homes, draft.persons_per_home) == (None, None, None, None)
    (draft,) = parse_phase_upload(dumps(feature(homes=300.0, persons_per_home=2)))
    assert draft.homes == 300 and isinstance(draft.homes, int) and draft.persons_per_home == 2.0


def test_error_is_an_invalid_geometry_value_error_naming_the_feature():
    doc = collection(feature(name="A"), feature(polygon(SQUARE[:-1] + [[9.833, 52.3339]]), name="B"))
    with pytest.raises(InvalidGeometry) as info:
        parse_phase_upload(dumps(doc))
    assert isinstance(info.value, ValueError) and isinstance(info.value, PhaseUploadError)
    assert info.value.code == "unclosed" and info.value.feature == 2
    assert "Objekt 2 („B“)" in str(info.value)


# --- refused files --------------------------------------------------------------------------------


def _many_features():
    return dumps(collection(*(feature(name=f"B{i}") for i in range(MAX_FEATURES + 1))))


def _many_vertices():
    # A closed ring with MAX_VERTICES + 1 positions; cheap to build, refused before any geometry work.
    step = 0.005 / MAX_VERTICES
    ring = [[9.833 + i * step, 52.3338] for i in range(MAX_VERTICES)] + [[9.833, 52.3338]]
    return dumps(feature(polygon(ring)))


BAD = [
    # id, payload, code, key phrase of the message
    ("empty", b"", "empty", "leer"),
    ("blank", "  \n\t ", "empty", "leer"),
    ("none", None, "empty", "keine Datei"),
    ("too-large-bytes", b" " * (MAX_BYTES + 1), "too_large", "zu groß"),
    ("too-large-text", "ä" * (MAX_BYTES // 2 + 1), "too_large", "2 MB"),
    ("not-json", b'{"type": "FeatureCollection",', "not_json", "kein gültiges JSON"),
    ("not-utf8", b'{"type": "Feature", "properties": {"name": "Stra\xdfe"}}', "not_json", "UTF-8"),
    ("huge-integer", b"[" + b"9" * 5000 + b"]", "not_json", "kein lesbares JSON"),
    ("nan-token", b'{"type": "Polygon", "coordinates": [[[NaN, 52.3]]]}', "nan", "„NaN“"),
    ("infinity-token", b'{"type": "Polygon", "coordinates": [[[-Infinity, 52.3]]]}', "nan", "„-Infinity“"),
    ("nan-in-property", dumps(feature()).replace(b'"Baufeld 1"', b'"B", "homes": NaN'), "nan", "NaN"),
    (
        "overflow-to-inf",
        dumps(feature()).replace(b"52.3371", b"1e999", 1),
        "nan",
        "unendliche",
    ),
    ("not-an-object", b"[1, 2]", "wrong_type", "kein GeoJSON-Objekt"),
    ("unknown-top-type", dumps({"type": "Topology"}), "wrong_type", "„Topology“"),
    ("bare-linestring", dumps({"type": "LineString", "coordinates": SQUARE}), "wrong_type", "„LineString“"),
    (
        "point-feature",
        dumps(collection(feature(), feature({"type": "Point", "coordinates": [9.8, 52.3]}, name="Pin"))),
        "wrong_type",
        "Objekt 2 („Pin“): Die Geometrie ist vom Typ „Point“",
    ),
    (
        "geometry-collection",
        dumps(feature({"type": "GeometryCollection", "geometries": [polygon()]})),
        "wrong_type",
        "„GeometryCollection“",
    ),
    ("not-a-feature", dumps(collection(polygon())), "wrong_type", "Erwartet wird ein Feature"),
    ("no-geometry", dumps(collection(feature(), {"type": "Feature", "geometry": None, "properties": {"name": "X"}})),
     "missing_geometry", "Objekt 2 („X“) hat keine Geometrie"),
    ("no-features", dumps({"type": "FeatureCollection", "features": []}), "empty", "keine Bauabschnitte"),
    ("empty-coordinates", dumps(feature({"type": "Polygon", "coordinates": []})), "empty", "leer"),
    ("too-many-features", _many_features(), "too_many_features", f"höchstens {MAX_FEATURES}"),
    ("too-many-vertices", _many_vertices(), "too_many_vertices", f"mehr als {MAX_VERTICES} Eckpunkte"),
    ("ring-too-short", dumps(feature(polygon(SQUARE[:2] + SQUARE[:1]))), "ring_too_short", "mindestens 4"),
    (
        "unclosed",
        dumps(feature(polygon(SQUARE[:-1]))),
        "unclosed",
        "Objekt 1 („Baufeld 1“), Außenring: Der Ring ist nicht geschlossen",
    ),
    (
        "unclosed-hole",
        dumps(feature({"type": "MultiPolygon", "coordinates": [[EAST], [SQUARE, HOLE[:-1]]]})),
        "unclosed",
        "Teilfläche 2, Innenring (Loch) 1",
    ),
    ("position-one-number", dumps(feature(polygon([[9.8]] + SQUARE[1:]))), "bad_position", "Punkt 1"),
    (
        "position-four-numbers",
        dumps(feature(polygon([[*SQUARE[0], 0, 0]] + SQUARE[1:]))),
        "bad_position",
        "[Länge, Breite]",
    ),
    ("position-strings", dumps(feature(polygon([["9.8", "52.3"]] + SQUARE[1:]))), "bad_position", "keine Koordinate"),
    ("position-booleans", dumps(feature(polygon([[True, False]] + SQUARE[1:]))), "bad_position", "keine Koordinate"),
    ("flat-nesting", dumps(feature({"type": "Polygon", "coordinates": SQUARE})), "bad_position", "Verschachtelung"),
    (
        "unsupported-crs",
        dumps(collection(crs=named_crs("urn:ogc:def:crs:EPSG::31467"))),
        "crs",
        "„urn:ogc:def:crs:EPSG::31467“ wird nicht unterstützt",
    ),
    ("unreadable-crs", dumps(collection(crs={"type": "name"})), "crs", "nicht lesbar"),
    (
        "link-crs",
        dumps(collection(crs={"type": "link", "properties": {"href": "http://x/crs", "type": "proj4"}})),
        "crs",
        "verlinktes",
    ),
    ("metres-without-crs", dumps(feature(polygon(utm(SQUARE)))), "crs", "nach Metern aus"),
    (
        "metres-declared-wgs84",
        dumps(collection(feature(polygon(utm(SQUARE))), crs=named_crs("urn:ogc:def:crs:OGC:1.3:CRS84"))),
        "crs",
        "Meter",
    ),
    ("degrees-declared-utm", dumps(collection(crs="EPSG:25832")), "crs", "Länge/Breite in Grad"),
    (
        "outside",
        dumps(feature(polygon([[x + 10, y] for x, y in SQUARE]))),
        "outside",
        "außerhalb des Gebiets",
    ),
    ("swapped", dumps(feature(polygon([[y, x] for x, y in SQUARE]))), "swapped", "Breite und Länge vertauscht?"),
    (
        "self-intersection",
        dumps(feature(polygon(BOW_TIE))),
        "self_intersection",
        "Die Fläche schneidet sich selbst bei Länge 9.81000, Breite 52.33500.",
    ),
    (
        "overlapping-parts",
        dumps(feature({"type": "MultiPolygon", "coordinates": [[SQUARE], [[[x + 0.001, y] for x, y in SQUARE]]]})),
        "self_intersection",
        "bei Länge 9.83",
    ),
    (
        "hole-outside-shell",
        dumps(feature(polygon(SQUARE, [[x + 0.01, y] for x, y in HOLE]))),
        "invalid",
        "Ein Loch (Innenring) liegt außerhalb des Außenrings bei Länge 9.84400, Breite 52.33400",
    ),
    (
        "zero-area",
        dumps(feature(polygon([[9.83, 52.33], [9.84, 52.33], [9.85, 52.33], [9.83, 52.33]]))),
        "zero_area",
        "keinen Flächeninhalt",
    ),
    ("no-name", dumps(collection(feature(), feature(name=None))), "bad_property", "Objekt 2 hat keinen Namen"),
    ("blank-name", dumps(feature(name="   ")), "bad_property", "„name“"),
    ("numeric-name", dumps(feature(name=7)), "bad_property", "nicht leerer Text"),
    ("long-name", dumps(feature(name="x" * 201)), "bad_property", "höchstens 200"),
    ("bad-properties", dumps({"type": "Feature", "geometry": polygon(), "properties": [1]}), "bad_property",
     "properties"),
    ("bad-status", dumps(feature(status="fertig")), "bad_property", "„status“: „fertig“ ist kein erlaubter"),
    ("german-date", dumps(feature(move_in="01.06.2027")), "bad_property", "JJJJ-MM-TT"),
    ("impossible-date", dumps(feature(move_in="2027-13-01")), "bad_property", "„move_in“"),
    ("negative-homes", dumps(feature(homes=-5)), "bad_property", "„homes“"),
    ("fractional-homes", dumps(feature(homes=2.5)), "bad_property", "ganze Zahl"),
    ("quoted-homes", dumps(feature(homes="1200")), "bad_property", "ohne Anführungszeichen"),
    ("boolean-homes", dumps(feature(homes=True)), "bad_property", "„homes“"),
    ("huge-homes", dumps(feature(homes=10**30)), "bad_property", "„homes“"),
    ("zero-persons", dumps(feature(persons_per_home=0)), "bad_property", "„persons_per_home“"),
    ("too-many-persons", dumps(feature(persons_per_home=11)), "bad_property", "höchstens 10"),
    ("persons-inf", dumps(feature()).replace(b'"Baufeld 1"', b'"B", "persons_per_home": 1e999'), "bad_property",
     "„persons_per_home“"),
    ("negative-residents", dumps(feature(expected_residents=-1)), "bad_property", "„expected_residents“"),
    (
        "duplicate-name",
        dumps(collection(feature(name="Baufeld 1"), feature(polygon(EAST), name="baufeld 1"))),
        "duplicate_name",
        "mehrfach",
    ),
]


@pytest.mark.parametrize("payload, code, phrase", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_refused(payload, code, phrase):
    with pytest.raises(PhaseUploadError) as info:
        parse_phase_upload(payload)
    assert info.value.code == code, str(info.value)
    assert phrase in str(info.value)


def test_first_problem_wins_and_nothing_is_returned_half():
    good = feature(name="Gut")
    with pytest.raises(PhaseUploadError) as info:
        parse_phase_upload(dumps(collection(good, feature(polygon(BOW_TIE), name="Schlecht"), good)))
    assert info.value.code == "self_intersection" and "Objekt 2 („Schlecht“)" in str(info.value)
