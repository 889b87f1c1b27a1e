"""Open data out: /api/spaces.geojson (exactly the public spaces, OSM-style tags, licence, headers, statements that
do not grow with the spaces), the /offene-daten page, the GeoJSON reader, and export -> import -> export."""

import json
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from factories import create_organisation, create_space
from sqlalchemy import event

from spaces.db import db
from spaces.inventory.formats_geojson import external_id_of, own_space_id, read_geojson
from spaces.inventory.rows import ReadError
from spaces.models import OpeningHours

DATA = Path(__file__).resolve().parents[1] / "data"


def hours(session, space, *rows):
    for weekday, opens, closes in rows:
        session.add(OpeningHours(space_id=space.id, weekday=weekday, opens=opens, closes=closes))
    session.flush()


def full_space(session, **params):
    """A space with a value in every field the export writes."""
    provider = create_organisation(session, name="Gemeinwesen e. V.")
    space = create_space(session, organisation=provider, lon=9.7512345, lat=52.3801234, **{
        "name": "Saal im Stadtteilhaus", "kind": "hall", "capacity": 80, "area_m2": Decimal("120.5"),
        "floor": "1. OG", "step_free": True, "accessible_wc": False, "lift": True, "hearing_loop": False,
        "equipment": ["kitchen", "projector"], "booking_mode": "instant", "bookable_by": "listed",
        "cost_eur": Decimal("25.00"), "description": "Großer Saal mit Bühne", "house_rules": "Bis 22 Uhr leise.",
        "external_id": "osm:node/4711", **params})
    hours(session, space, *[(d, time(9), time(21)) for d in range(5)], (5, time(10), time(18)))
    return space


def geojson(client, query=""):
    response = client.get("/api/spaces.geojson" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, json.loads(response.get_data(as_text=True))


# --- the export ---------------------------------------------------------------------------------------------------


def test_every_tag_of_a_space_and_the_licence(app, client, session, clock):
    space = full_space(session)
    response, document = geojson(client)
    assert response.mimetype == "application/geo+json"
    base = app.config["BASE_URL"].rstrip("/")
    assert document["type"] == "FeatureCollection"
    assert document["licence"] == "dl-de/by-2-0"
    assert document["licence_url"] == "https://www.govdata.de/dl-de/by-2-0"
    assert document["attribution"].startswith("Raumfinder (")
    assert document["source"] == base + "/api/spaces.geojson"
    assert document["generated"] == clock.now.isoformat(timespec="seconds")
    [feature] = document["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [9.751235, 52.380123]}
    assert feature["properties"] == {
        "amenity": "community_centre", "name": "Saal im Stadtteilhaus", "wheelchair": "yes",
        "toilets:wheelchair": "no", "capacity": "80", "opening_hours": "Mo-Fr 09:00-21:00; Sa 10:00-18:00",
        "operator": "Gemeinwesen e. V.", "addr:full": space.site.address, "description": "Großer Saal mit Bühne",
        "fee": "yes", "website": f"{base}/raeume/{space.id}", "ref:raumfinder": str(space.id),
        "external_id": "osm:node/4711", "raumfinder:kind": "hall", "raumfinder:booking_mode": "instant",
        "raumfinder:bookable_by": "listed", "raumfinder:area_m2": "120.5", "raumfinder:floor": "1. OG",
        "raumfinder:lift": "yes", "raumfinder:hearing_loop": "no", "raumfinder:equipment": "kitchen;projector",
        "raumfinder:cost_eur": "25", "raumfinder:house_rules": "Bis 22 Uhr leise.",
    }


def test_tags_without_a_value_are_left_out_and_kinds_map_to_amenities(client, session):
    create_space(session, name="Wiese am Bach", kind="outdoor", cost_eur=Decimal(0))
    create_space(session, name="Schreibtische", kind="coworking", step_free=False)
    _, document = geojson(client)
    by_name = {f["properties"]["name"]: f["properties"] for f in document["features"]}
    meadow, desks = by_name["Wiese am Bach"], by_name["Schreibtische"]
    assert (meadow["amenity"], meadow["fee"], meadow["wheelchair"]) == ("meeting_point", "no", "no")
    assert desks["amenity"] == "coworking_space"
    for gone in ("fee", "opening_hours", "external_id", "description", "raumfinder:area_m2", "raumfinder:equipment"):
        assert gone not in desks


def test_the_licence_comes_from_configuration(app, client, session, monkeypatch):
    create_space(session)
    monkeypatch.setitem(app.config, "OPEN_DATA_LICENCE", "ODbL-1.0")
    _, document = geojson(client)
    assert (document["licence"], document["licence_url"]) == (
        "ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/")


def test_exactly_the_spaces_the_map_shows(client, session, clock):
    """The finder's rule: a space whose period has ended is gone; planned, temporary and members-only ones stay."""
    today = clock.today
    shown = {create_space(session, name="Immer").id,
             create_space(session, name="Geplant", available_from=today + timedelta(days=200)).id,
             create_space(session, name="Bis heute", available_until=today).id,
             create_space(session, name="Nur Mitglieder", bookable_by="listed").id}
    create_space(session, name="Vorbei", available_until=today - timedelta(days=1))
    _, document = geojson(client)
    assert {f["id"] for f in document["features"]} == shown
    map_ids = {f["id"] for f in client.get("/api/spaces?limit=500").get_json()["features"]}
    assert map_ids == shown


def test_the_statements_do_not_grow_with_the_spaces(app, client, session):
    provider = create_organisation(session)

    def add(n):
        for _ in range(n):
            space = create_space(session, organisation=provider)
            hours(session, space, (0, time(9), time(12)), (0, time(14), time(18)), (3, time(9), time(12)))

    def statements():
        seen = []
        listener = lambda *_: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            _, document = geojson(client)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen), len(document["features"])

    add(2)
    few, n = statements()
    assert n == 2
    add(8)
    many, n = statements()
    assert n == 10
    assert many == few <= 3, (few, many)


def test_download_header_cache_and_etag(client, session):
    space = create_space(session)
    response, _ = geojson(client)
    assert "Content-Disposition" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=300"
    etag = response.headers["ETag"]
    download, _ = geojson(client, "?download=1")
    assert download.headers["Content-Disposition"] == 'attachment; filename="raumfinder-raeume.geojson"'
    assert client.get("/api/spaces.geojson", headers={"If-None-Match": etag}).status_code == 304
    space.capacity = 21
    session.flush()
    assert client.get("/api/spaces.geojson", headers={"If-None-Match": etag}).status_code == 200
    wrong = client.get("/api/spaces.geojson?download=vielleicht")
    assert wrong.status_code == 400 and "verstehe ich nicht" in wrong.get_json()["error"]


def test_the_answer_has_the_documented_shape(client, session):
    from spaces.inventory.open_data_schemas import OpenDataCollection

    full_space(session)
    create_space(session, kind="outdoor")
    _, document = geojson(client)
    OpenDataCollection.model_validate(document)  # extra="forbid": no tag left undocumented


# --- the page -----------------------------------------------------------------------------------------------------


def test_the_page_offers_the_download_and_escapes_names(client, session):
    full_space(session, name="<script>alert(1)</script>")
    page = client.get("/offene-daten")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "GeoJSON herunterladen" in html and 'href="/api/spaces.geojson?download=1"' in html
    assert "Datenlizenz Deutschland" in html and "opening_hours" in html and "QGIS" in html
    assert "Mo-Fr 09:00-21:00; Sa 10:00-18:00" in html


def test_the_page_in_english_says_the_licence_code(client, session):
    page = client.get("/offene-daten?lang=en")
    assert page.status_code == 200 and "dl-de/by-2-0" in page.get_data(as_text=True)


# --- the reader ---------------------------------------------------------------------------------------------------


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def point(lon, lat, **properties):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}


def test_the_reader_maps_the_export_tags_onto_the_columns():
    feature = point(9.75, 52.38, **{
        "amenity": "community_centre", "name": "Saal", "wheelchair": "yes", "toilets:wheelchair": "no",
        "capacity": "80", "opening_hours": "Mo-Fr 09:00-21:00", "operator": "Verein", "addr:full": "Weg 1",
        "description": "Groß", "fee": "yes", "website": "https://a.example/raeume/7", "ref:raumfinder": "7",
        "raumfinder:kind": "hall", "raumfinder:booking_mode": "instant", "raumfinder:bookable_by": "listed",
        "raumfinder:area_m2": "120.5", "raumfinder:floor": "EG", "raumfinder:lift": "yes",
        "raumfinder:hearing_loop": "no", "raumfinder:equipment": "kitchen;projector", "raumfinder:cost_eur": "25",
        "raumfinder:house_rules": "Leise", "raumfinder:available_from": "2027-09-01", "ramp": "yes"})
    [row] = read_geojson(collection(feature))
    assert row.ref == "Feature 1"
    assert row.values == {
        "external_id": "https://a.example/raeume/7", "name": "Saal", "provider": "Verein", "address": "Weg 1",
        "lat": "52.38", "lon": "9.75", "kind": "hall", "capacity": "80", "area_m2": "120.5", "floor": "EG",
        "step_free": "yes", "accessible_wc": "no", "lift": "yes", "hearing_loop": "no",
        "equipment": "kitchen,projector", "booking_mode": "instant", "bookable_by": "listed", "cost_eur": "25",
        "opening_hours": "Mo-Fr 09:00-21:00", "description": "Groß", "house_rules": "Leise",
        "available_from": "2027-09-01"}
    assert row.tags == {"fee": "yes", "ramp": "yes"}


def test_plain_column_properties_numbers_and_booleans():
    feature = point(9.7, 52.4, name="Raum", capacity=12, area_m2=30.0, cost_eur=7.5, step_free=True,
                    accessible_wc=False, equipment=["wifi", "chairs"], provider="Kirche", Telefon="0511")
    [row] = read_geojson(collection(feature))
    assert row.values == {"name": "Raum", "provider": "Kirche", "lat": "52.4", "lon": "9.7", "capacity": "12",
                          "area_m2": "30", "step_free": "yes", "accessible_wc": "no", "equipment": "wifi,chairs",
                          "cost_eur": "7.5"}
    assert row.tags == {"Telefon": "0511"}


def test_a_column_property_wins_over_a_tag_and_an_osm_amenity_gives_a_kind():
    features = [point(9.7, 52.4, name="A", wheelchair="no", step_free="ja", kind="Saal", amenity="community_centre"),
                point(9.7, 52.4, name="B", amenity="meeting_point"),
                point(9.7, 52.4, name="C", amenity="library", **{"addr:street": "Hauptstraße",
                                                                  "addr:housenumber": "3", "addr:city": "Hannover"})]
    a, b, c = read_geojson(collection(*features))
    assert (a.values["step_free"], a.values["kind"]) == ("ja", "Saal")
    assert b.values["kind"] == "outdoor"
    assert (c.values["kind"], c.values["address"]) == ("room", "Hauptstraße 3, Hannover")


def test_areas_give_a_point_inside_and_missing_geometry_gives_none():
    # An L-shaped building: its centroid lies outside it, the representative point inside.
    ell = {"type": "Polygon", "coordinates": [[[9.70, 52.40], [9.72, 52.40], [9.72, 52.401], [9.701, 52.401],
                                               [9.701, 52.42], [9.70, 52.42], [9.70, 52.40]]]}
    features = [{"type": "Feature", "geometry": ell, "properties": {"name": "Haus"}},
                {"type": "Feature", "geometry": None, "properties": {"name": "Ohne"}},
                {"type": "Feature", "geometry": None, "properties": {"name": "Mit Spalten", "lat": 52.4, "lon": 9.7}},
                {"type": "Feature", "geometry": {"type": "Point", "coordinates": "x"},
                 "properties": {"name": "Kaputt"}},
                "kein Feature"]
    house, without, columns, broken, nothing = read_geojson(collection(*features))
    from shapely.geometry import Point, shape

    assert shape(ell).contains(Point(float(house.values["lon"]), float(house.values["lat"])))
    assert "lat" not in without.values and without.tags == {"geometry": "ohne Geometrie"}
    assert (columns.values["lat"], columns.values["lon"]) == ("52.4", "9.7")
    assert "lat" not in broken.values and broken.tags["geometry"] == "Geometrie nicht lesbar"
    assert nothing.ref == "Feature 5" and nothing.values == {}


@pytest.mark.parametrize("data, message", [
    (b"\xff\xfe nicht json", "kein gültiges JSON"),
    (b"{\"type\": \"Feature", "kein gültiges JSON"),
    (b"[1, 2]", "keine GeoJSON-FeatureCollection"),
    (b"{\"type\": \"Polygon\", \"coordinates\": []}", "keine GeoJSON-FeatureCollection"),
    (b"{\"type\": \"FeatureCollection\", \"features\": 3}", "keine GeoJSON-FeatureCollection"),
])
def test_files_that_are_not_geojson_are_refused_in_german(data, message):
    with pytest.raises(ReadError, match=message):
        read_geojson(data)


def test_a_single_feature_is_read_and_dispatch_by_name():
    from spaces.inventory.formats import read

    one = json.dumps(point(9.7, 52.4, name="Einzeln")).encode()
    assert [r.values["name"] for r in read_geojson(one)] == ["Einzeln"]
    assert [r.values["name"] for r in read("raeume.geojson", collection(point(9.7, 52.4, name="X")))] == ["X"]
    assert [r.values["name"] for r in read("raeume.json", one)] == ["Einzeln"]


def test_the_external_id_rule():
    assert external_id_of({"external_id": "osm:way/5", "ref:raumfinder": "7",
                           "website": "https://a.example/raeume/7"}) == "osm:way/5"
    assert external_id_of({"ref:raumfinder": "7", "website": "https://a.example/raeume/7"}) \
        == "https://a.example/raeume/7"
    assert external_id_of({"ref:raumfinder": "7", "website": "https://verein.example/"}) == "raumfinder:7"
    assert external_id_of({"name": "x"}) is None
    assert own_space_id("https://a.example/raeume/7", "https://a.example/") == 7
    assert own_space_id("https://b.example/raeume/7", "https://a.example") is None
    assert own_space_id("osm:node/7", "https://a.example") is None
    assert own_space_id(None, "https://a.example") is None


def test_the_shipped_example_export_reads():
    rows = read_geojson((DATA / "spaces_export.geojson").read_bytes())
    assert len(rows) == 3 and all(r.values.get("lat") and r.values.get("name") for r in rows)
    assert {r.values["external_id"] for r in rows} == {
        "osm:node/240109189", "https://raumfinder.example.org/raeume/12", "https://raumfinder.example.org/raeume/13"}


# --- export -> import -> export -----------------------------------------------------------------------------------


def varied_world(session):
    """A few spaces that differ in every field the export writes (two providers, hours past midnight, ...)."""
    full_space(session, equipment=["projector", "kitchen"])
    church = create_organisation(session, name="Kirchengemeinde St. Nikolai")
    cellar = create_space(session, organisation=church, name="Jugendkeller", kind="room", capacity=25,
                          floor="UG", booking_mode="on_request", cost_eur=None, description="Mit Kicker")
    hours(session, cellar, (4, time(18), time(2)), (5, time(18), time(2)))
    create_space(session, organisation=church, lon=9.7601, lat=52.3702, name="Kirchgarten", kind="outdoor",
                 capacity=60, booking_mode="not_bookable", cost_eur=Decimal(0), step_free=True, accessible_wc=True,
                 equipment=["benches"], house_rules="Kein Grillen")
    create_space(session, name="Werkstatt Hof", kind="workshop", capacity=8, area_m2=Decimal("35"), hearing_loop=True,
                 equipment=["tools"], external_id="kirche-42", available_from=date(2027, 3, 1),
                 available_until=date(2028, 2, 29))


def import_export(session, body: str):
    from spaces.inventory.service import Importer, apply, plan_rows

    plan = plan_rows(session, read_geojson(body.encode()), Importer())
    assert plan.refused == 0, [(e.ref, e.reasons) for e in plan.entries if e.reasons]
    counts = apply(session, plan)
    session.expire_all()
    return counts


def comparable(document, *, leave_out=("ref:raumfinder", "website", "external_id")):
    return sorted(([f["geometry"]["coordinates"], {k: v for k, v in f["properties"].items() if k not in leave_out}]
                   for f in document["features"]), key=lambda pair: pair[1]["name"])


def test_reimporting_the_export_into_the_same_instance_changes_nothing(client, session):
    varied_world(session)
    first_response, first = geojson(client)
    counts = import_export(session, first_response.get_data(as_text=True))
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 4)
    _, again = geojson(client)
    assert again["features"] == first["features"]


def test_export_into_another_instance_and_back_keeps_every_field(app, client, session, monkeypatch):
    from sqlalchemy import text

    varied_world(session)
    response, exported = geojson(client)
    body = response.get_data(as_text=True)
    links = {f["properties"]["website"] for f in exported["features"] if "external_id" not in f["properties"]}
    session.execute(text("DELETE FROM organisations"))  # an empty second instance: spaces, sites, providers gone
    monkeypatch.setitem(app.config, "BASE_URL", "https://zweiter.example.org")
    counts = import_export(session, body)
    assert (counts.created, counts.updated, counts.unchanged) == (4, 0, 0)
    _, imported = geojson(client)
    assert comparable(imported) == comparable(exported)
    # the spaces remember where they came from: A's ids and A's links
    assert {f["properties"]["external_id"] for f in imported["features"]} == links | {"osm:node/4711", "kirche-42"}
    assert {f["properties"]["website"] for f in imported["features"]} <= {
        f"https://zweiter.example.org/raeume/{f['id']}" for f in imported["features"]}
    again = import_export(session, body)  # the same file once more: matched by those ids, not duplicated
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
