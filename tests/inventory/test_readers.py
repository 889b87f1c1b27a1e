"""The inventory readers: files (CSV, XLSX, OSM XML, PBF, Overpass JSON) into RawRows, values as text."""

import io
import json
import math
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from spaces.inventory.formats import FORMATS, read
from spaces.inventory.formats_osm import centroid
from spaces.inventory.formats_tabular import column_for, read_csv
from spaces.inventory.rows import COLUMNS, ReadError

DATA = Path(__file__).resolve().parents[1] / "data"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def by_id(rows):
    return {row.values["external_id"]: row for row in rows}


# --- headers -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("header, column", [
    ("Name", "name"), ("  NAME ", "name"), ("Träger", "provider"), ("Anbieter", "provider"),
    ("Organisation", "provider"), ("Adresse", "address"), ("Anschrift", "address"), ("Breite", "lat"),
    ("Breitengrad", "lat"), ("latitude", "lat"), ("Länge", "lon"), ("Laengengrad", "lon"), ("lng", "lon"),
    ("Art", "kind"), ("Raumart", "kind"), ("Kapazität", "capacity"), ("Kapazitaet", "capacity"),
    ("Plätze", "capacity"), ("max. Personen", "capacity"), ("Fläche", "area_m2"), ("Fläche (m²)", "area_m2"),
    ("Etage", "floor"), ("Geschoss", "floor"), ("stufenlos", "step_free"), ("Barrierefrei", "step_free"),
    ("barrierefreies WC", "accessible_wc"), ("Behinderten-WC", "accessible_wc"), ("Aufzug", "lift"),
    ("Hörschleife", "hearing_loop"), ("Induktionsschleife", "hearing_loop"), ("Ausstattung", "equipment"),
    ("Buchungsart", "booking_mode"), ("buchbar für", "bookable_by"), ("Kosten", "cost_eur"),
    ("Kosten (€)", "cost_eur"), ("Preis", "cost_eur"), ("Öffnungszeiten", "opening_hours"),
    ("Beschreibung", "description"), ("Hausordnung", "house_rules"), ("ID", "external_id"),
    ("Kennung", "external_id"), ("Externe ID", "external_id"), ("Ansprechperson", None), ("Telefon", None),
])
def test_german_and_english_headers_name_the_columns(header, column):
    assert column_for(header) == column


@pytest.mark.parametrize("column", COLUMNS)
def test_every_canonical_name_is_a_header_of_its_own(column):
    assert column_for(column) == column
    assert column_for(column.upper().replace("_", " ")) == column


# --- CSV ---------------------------------------------------------------------------------------------------------


def test_the_shipped_csv_gives_its_rows_with_refs_and_unknown_columns_in_tags():
    rows = read("Bestand.CSV", data("inventory.csv"))

    assert [row.ref for row in rows] == [
        "Zeile 2", "Zeile 3", "Zeile 4", "Zeile 6", "Zeile 7", "Zeile 8", "Zeile 9", "Zeile 11"
    ]  # line 5 is empty; the description in line 9 runs over two lines
    first = rows[0]
    assert set(first.values) == set(COLUMNS) - {"available_from", "available_until"}  # the file has no period
    assert first.values["name"] == "Gemeinschaftsraum Kronsberg Süd"
    assert first.values["external_id"] == "KR-001"
    assert (first.values["lat"], first.values["lon"]) == ("52,3521", "9,8412")  # as written: the plan reads it
    assert (first.values["capacity"], first.values["area_m2"]) == ("25", "48,5")
    assert first.values["equipment"] == "Beamer, Tische"
    assert first.tags == {"Ansprechperson": "Frau Özdemir"}
    missing_coordinates = rows[2]
    assert (missing_coordinates.values["lat"], missing_coordinates.values["lon"]) == (None, None)
    assert missing_coordinates.values["opening_hours"] is None
    assert rows[4].values["capacity"] == "viele"  # not judged here
    assert [row.values["external_id"] for row in rows].count("KR-002") == 2  # the plan refuses the second
    library = rows[6]
    assert library.values["description"] == "Lesecafé mit Bühne.\nAm Abend für Lesungen buchbar."
    assert library.values["opening_hours"] == "Di,Do 10:00-18:00; Sa 10:00-13:00"
    assert library.tags == {}  # an empty unknown cell is not kept
    assert rows[7].values["external_id"] is None


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_delimiter_is_found_from_the_header(delimiter):
    text = delimiter.join(["Name", "Kapazität", "Adresse"]) + "\n"
    text += delimiter.join(["Saal", "40", '"Thie 6, 30539 Hannover"']) + "\n"

    (row,) = read_csv(text.encode())

    assert row.values == {"name": "Saal", "capacity": "40", "address": "Thie 6, 30539 Hannover"}


@pytest.mark.parametrize("encoded", [
    "Name;Träger\nRaum Süd;Kirchengemeinde\n".encode(),
    b"\xef\xbb\xbf" + "Name;Träger\nRaum Süd;Kirchengemeinde\n".encode(),
    "Name;Träger\r\nRaum Süd;Kirchengemeinde\r\n".encode("cp1252"),
    "Name\tTräger\r\nRaum Süd\tKirchengemeinde\r\n".encode("utf-16"),
], ids=["utf-8", "utf-8 with BOM", "cp1252", "utf-16 (Excel's Unicode text)"])
def test_encodings(encoded):
    (row,) = read("raeume.csv", encoded)

    assert row.values == {"name": "Raum Süd", "provider": "Kirchengemeinde"}


def test_english_headers_blank_lines_values_stripped_and_short_or_long_lines():
    text = (
        "\n"
        "external_id , NAME ,Capacity, Phone\n"
        "a-1,  Hall  ,  ,0511 123\n"
        ",,,\n"
        "\n"
        "a-2,Room\n"
        "a-3,Studio,12,0511 456,extra\n"
    )

    rows = read_csv(text.encode())

    assert [row.ref for row in rows] == ["Zeile 3", "Zeile 6", "Zeile 7"]
    assert rows[0].values == {"external_id": "a-1", "name": "Hall", "capacity": None}
    assert rows[0].tags == {"Phone": "0511 123"}
    assert rows[1].values == {"external_id": "a-2", "name": "Room", "capacity": None}
    assert rows[2].tags == {"Phone": "0511 456", "Spalte 5": "extra"}


def test_a_second_column_for_the_same_field_goes_to_tags():
    (row,) = read_csv("Name;Bezeichnung;Träger\nSaal;Großer Saal;Verein\n".encode())

    assert row.values == {"name": "Saal", "provider": "Verein"}
    assert row.tags == {"Bezeichnung": "Großer Saal"}


@pytest.mark.parametrize("content, message", [
    (b"", "leer"),
    (b"\n;;;\n\n", "leer"),
    ("Träger;Adresse\nVerein;Thie 6\n".encode(), "keine Spalte „Name“"),
    (b"Name;Adresse\n;;\n", "keine Zeilen"),
    (b"PK\x03\x04\x00\x00binary", "keine Textdatei"),
])
def test_unreadable_csv_files_are_refused_in_german(content, message):
    with pytest.raises(ReadError, match=message):
        read("raeume.csv", content)


def test_many_rows_keep_their_line_numbers():
    """(How fast 50,000 rows are read is measured by benchmarks/bench_import.py, not here.)"""
    header = "ID;Name;Träger;Breite;Länge;Kapazität;Fläche;Ausstattung;Öffnungszeiten\n"
    line = "X-{0};Raum {0};Verein {0};52,37{0};9,73{0};25;48,5;Beamer, Tische;Mo-Fr 09:00-18:00\n"
    content = (header + "".join(line.format(i) for i in range(5_000))).encode()

    rows = read("gross.csv", content)

    assert len(rows) == 5_000 and rows[-1].ref == "Zeile 5001"
    assert rows[1234].values["external_id"] == "X-1234" and rows[1234].values["capacity"] == "25"


# --- XLSX --------------------------------------------------------------------------------------------------------

NUMERIC = ("lat", "lon", "capacity", "area_m2", "cost_eur")


def comparable(row):
    """Values with numbers as numbers: Excel holds 48.5 where the German CSV says "48,5"."""
    values = dict(row.values)
    for column in NUMERIC:
        text = values[column]
        if text is not None and text.replace(",", "").replace(".", "").isdigit():
            values[column] = Decimal(text.replace(",", "."))
    return values, row.tags


def test_the_shipped_xlsx_holds_what_the_csv_holds():
    csv_rows = read("inventory.csv", data("inventory.csv"))
    xlsx_rows = read("inventory.xlsx", data("inventory.xlsx"))

    assert [comparable(row) for row in xlsx_rows] == [comparable(row) for row in csv_rows]
    assert xlsx_rows[0].values["capacity"] == "25"  # 25 in the cell, "25" in the row, not "25.0"
    assert xlsx_rows[0].values["lat"] == "52.3521"
    assert xlsx_rows[3].ref == "Zeile 6"  # row 5 of the sheet is empty


def test_xlsx_first_sheet_first_filled_row_is_the_header():
    book = Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append(["Name", "Plätze", "Breite", "stufenlos", "Notiz"])
    sheet.append(["Raum", 25.0, 52.37, True, None])
    book.create_sheet("Andere").append(["Name"])
    buffer = io.BytesIO()
    book.save(buffer)

    (row,) = read("raeume.xlsx", buffer.getvalue())

    assert row.ref == "Zeile 3"
    assert row.values == {"name": "Raum", "capacity": "25", "lat": "52.37", "step_free": "ja"}
    assert row.tags == {}


@pytest.mark.parametrize("content", [b"", b"not a workbook", data("inventory.csv"), b"PK\x03\x04broken zip"])
def test_a_file_that_is_no_xlsx_is_refused(content):
    with pytest.raises(ReadError, match="Dateiformat nicht erkannt"):
        read("raeume.xlsx", content)


def test_an_xlsx_with_a_broken_sheet_is_refused():
    """The first sheet cut off in the middle of its rows."""
    original = zipfile.ZipFile(io.BytesIO(data("inventory.xlsx")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as broken:
        for item in original.infolist():
            content = original.read(item)
            broken.writestr(item, content[: len(content) // 2] if item.filename.endswith("sheet1.xml") else content)

    with pytest.raises(ReadError, match="beschädigt"):
        read("raeume.xlsx", buffer.getvalue())


# --- OSM ---------------------------------------------------------------------------------------------------------

OSM_FILES = ["community_centres.osm", "community_centres.osm.pbf", "community_centres_overpass.json"]


def metres_between(a, b):
    """Rough distance of two (lat, lon) text pairs in metres (enough for a few metres' tolerance)."""
    (lat1, lon1), (lat2, lon2) = [(float(lat), float(lon)) for lat, lon in (a, b)]
    dy = (lat2 - lat1) * 111_320
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


@pytest.mark.parametrize("name", OSM_FILES)
def test_osm_files_give_the_meeting_places(name):
    rows = by_id(read(name, data(name)))

    assert sorted(rows) == ["osm:node/101", "osm:node/102", "osm:node/103", "osm:node/105", "osm:way/201"]
    krokus = rows["osm:node/101"]
    assert krokus.ref == "node/101"
    assert krokus.values == {
        "external_id": "osm:node/101", "name": "Stadtteilzentrum KroKuS", "provider": "Landeshauptstadt Hannover",
        "address": "Thie 6, 30539 Hannover", "lat": "52.3534", "lon": "9.8452", "kind": "room",
        "capacity": "80", "step_free": "yes", "accessible_wc": "yes", "opening_hours": "Mo-Fr 09:00-18:00",
    }
    assert krokus.tags["amenity"] == "community_centre" and krokus.tags["website"] == "https://example.org/krokus"
    assert rows["osm:node/102"].values["step_free"] == "limited"
    assert rows["osm:node/102"].values["address"] == "Windheimstraße 4"
    assert rows["osm:node/103"].values["step_free"] == "no"
    assert "name" not in rows["osm:node/105"].values  # yielded all the same: the plan refuses it with a reason
    club = rows["osm:way/201"]
    assert club.ref == "way/201" and club.values["name"] == "Vereinsheim TuS Kronsberg"
    assert club.values["kind"] == "room" and club.tags["club"] == "sport"
    assert metres_between((club.values["lat"], club.values["lon"]), ("52.35", "9.84")) < 3


def test_osm_xml_pbf_and_overpass_agree():
    xml, pbf, overpass = (by_id(read(name, data(name))) for name in OSM_FILES)

    assert xml == pbf
    assert {key: (row.ref, row.tags) for key, row in xml.items()} == {
        key: (row.ref, row.tags) for key, row in overpass.items()
    }
    for key, row in xml.items():
        assert {k: v for k, v in row.values.items() if k not in ("lat", "lon")} == {
            k: v for k, v in overpass[key].values.items() if k not in ("lat", "lon")
        }
        assert metres_between((row.values["lat"], row.values["lon"]),
                              (overpass[key].values["lat"], overpass[key].values["lon"])) < 3


def overpass(*elements):
    return json.dumps({"version": 0.6, "elements": list(elements)}).encode()


def test_overpass_filter_and_geometry_shapes():
    content = overpass(
        {"type": "node", "id": 1, "lat": 52.37, "lon": 9.73, "tags": {"amenity": "bench"}},
        {"type": "node", "id": 2, "lat": 52.37, "lon": 9.73},  # an untagged node of some way
        {"type": "node", "id": 3, "lat": 52.37, "lon": 9.73, "tags": {"club": "no", "name": "Kein Verein"}},
        {"type": "node", "id": 4, "lat": 52.371, "lon": 9.731, "tags": {"social_facility": "group_home"}},
        {"type": "node", "id": 5, "lat": 52.372, "lon": 9.732, "tags": {"indoor": "room", "room": "meeting"}},
        {"type": "way", "id": 6, "tags": {"amenity": "library", "name": "Bibliothek"},
         "geometry": [{"lat": 52.36, "lon": 9.74}, {"lat": 52.36, "lon": 9.742}, {"lat": 52.362, "lon": 9.742},
                      {"lat": 52.362, "lon": 9.74}, {"lat": 52.36, "lon": 9.74}]},
        {"type": "way", "id": 7, "tags": {"amenity": "events_venue", "name": "Ohne Lage"}},
        {"type": "relation", "id": 8, "tags": {"amenity": "conference_centre", "name": "HCC"},
         "center": {"lat": 52.3697, "lon": 9.7688}},
    )

    rows = by_id(read("export.json", content))

    assert sorted(rows) == ["osm:node/4", "osm:node/5", "osm:relation/8", "osm:way/6", "osm:way/7"]
    assert metres_between((rows["osm:way/6"].values["lat"], rows["osm:way/6"].values["lon"]),
                          ("52.361", "9.741")) < 1
    assert "lat" not in rows["osm:way/7"].values  # the plan refuses it: no coordinates
    assert rows["osm:relation/8"].values["lat"] == "52.3697"


def test_a_way_whose_nodes_are_not_in_the_file_has_no_coordinates():
    content = b"""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <way id="9"><nd ref="1"/><nd ref="2"/><tag k="amenity" v="social_centre"/><tag k="name" v="Treff"/></way>
</osm>"""

    (row,) = read("treff.osm", content)

    assert row.values == {"external_id": "osm:way/9", "name": "Treff", "kind": "room"}


def test_the_centroid_of_a_closed_ring_is_the_area_s_not_the_nodes_mean():
    # a hall whose outline has extra nodes along its south side: they pull the mean south, not the centroid
    ring = [(0.0, 0.0), (0.001, 0.0), (0.002, 0.0), (0.003, 0.0), (0.004, 0.0), (0.004, 0.001), (0.0, 0.001),
            (0.0, 0.0)]

    lon, lat = centroid(ring)

    assert lon == pytest.approx(0.002, abs=1e-9) and lat == pytest.approx(0.0005, abs=1e-9)
    assert centroid([(9.0, 52.0), (9.002, 52.0)]) == pytest.approx((9.001, 52.0))  # an open way: the mean
    assert centroid([]) is None


def test_osm_xml_keeps_external_entities_out():
    content = b"""<?xml version="1.0"?>
<!DOCTYPE osm [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<osm version="0.6"><node id="1" lat="52.37" lon="9.73"><tag k="amenity" v="community_centre"/>
<tag k="name" v="&secret;"/></node></osm>"""

    with pytest.raises(ReadError, match="entities"):  # osmium's expat refuses every entity declaration
        read("boese.osm", content)


# --- what cannot be read -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, content, message", [
    ("raeume.pdf", b"%PDF-1.4", "Dateiformat nicht erkannt"),
    ("raeume", b"Name\nRaum\n", "Dateiformat nicht erkannt"),
    ("raeume.json", b'{"rooms": []}', "Dateiformat nicht erkannt"),
    ("raeume.json", b"[1, 2", "kein gültiges JSON"),
    ("raeume.json", b'{"elements": 3}', "elements"),
    ("raeume.osm", b"<osm><node id='1' lat='52.3'", "OSM-XML-Datei lässt sich nicht lesen"),
    ("raeume.osm", b"Name;Adresse\nRaum;Thie 6\n", "OSM-XML-Datei lässt sich nicht lesen"),
    ("raeume.osm", b"", "OSM-XML-Datei ist leer"),
    ("raeume.osm.pbf", b"\x00\x00\x00\x0dnot a pbf at all", "OSM-PBF-Datei lässt sich nicht lesen"),
    ("raeume.pbf", data("community_centres.osm"), "OSM-PBF-Datei lässt sich nicht lesen"),
])
def test_files_that_cannot_be_read_are_refused_in_german(name, content, message):
    with pytest.raises(ReadError, match=message):
        read(name, content)


@pytest.mark.parametrize("name, content", [
    ("export.geojson", b'{"type": "FeatureCollection", "features": []}'),
    ("export.json", b'{"type": "FeatureCollection", "features": []}'),
    ("export.JSON", b'\xef\xbb\xbf{"type": "Feature", "geometry": null, "properties": {}}'),
])
def test_geojson_goes_to_the_geojson_reader(monkeypatch, name, content):
    import spaces.inventory.formats_geojson as geojson

    handed = []
    monkeypatch.setattr(geojson, "read_geojson", lambda data: handed.append(data) or [])

    assert read(name, content) == []
    assert handed == [content]


def test_formats_for_the_upload_form():
    assert {".csv", ".xlsx", ".geojson", ".json", ".osm", ".pbf"} <= set(FORMATS)
