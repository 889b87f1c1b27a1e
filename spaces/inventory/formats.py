"""Reading an inventory file into `RawRow`s: which reader a file goes to, by its name and, for .json, its shape.

The readers (formats_tabular, formats_osm, formats_geojson) map shapes, headers and tags onto
`spaces.inventory.rows.COLUMNS`; they do not judge values (the import plan does). A file that cannot be read at
all raises `ReadError` with a German message.
"""

from __future__ import annotations

import json

from spaces.core.phrases import phrase
from spaces.inventory.rows import RawRow, ReadError

# For the upload form's help text and its `accept` attribute.
FORMATS = (".csv", ".xlsx", ".geojson", ".json", ".osm", ".osm.pbf", ".pbf")


def unknown_format() -> ReadError:
    """The error for a file that is none of the accepted formats."""
    return ReadError(
        phrase("Dateiformat nicht erkannt: erlaubt sind CSV, XLSX, GeoJSON, OSM (XML, PBF) und Overpass-JSON.")
    )


def read(filename: str, data: bytes) -> list[RawRow]:
    """The rows of the file `filename` with the content `data`, read by the reader its extension names."""
    name = filename.strip().lower()
    if name.endswith(".csv"):
        from spaces.inventory.formats_tabular import read_csv

        return read_csv(data)
    if name.endswith(".xlsx"):
        from spaces.inventory.formats_tabular import read_xlsx

        return read_xlsx(data)
    if name.endswith(".osm"):
        from spaces.inventory.formats_osm import read_osm_xml

        return read_osm_xml(data)
    if name.endswith(".pbf"):
        from spaces.inventory.formats_osm import read_osm_pbf

        return read_osm_pbf(data)
    if name.endswith(".geojson"):
        return _read_geojson(data)
    if name.endswith(".json"):
        return _read_json(data)
    raise unknown_format()


def _read_json(data: bytes) -> list[RawRow]:
    """Overpass JSON (an object with "elements") or GeoJSON (a FeatureCollection or a Feature)."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ReadError(phrase("Die JSON-Datei lässt sich nicht lesen: kein gültiges JSON.")) from error
    if isinstance(document, dict) and "elements" in document:
        from spaces.inventory.formats_osm import read_overpass

        return read_overpass(document)
    if isinstance(document, dict) and document.get("type") in ("FeatureCollection", "Feature"):
        return _read_geojson(data)
    raise unknown_format()


def _read_geojson(data: bytes) -> list[RawRow]:
    from spaces.inventory.formats_geojson import read_geojson  # written alongside; imported when needed

    return read_geojson(data)
