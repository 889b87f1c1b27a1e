"""Reading GeoJSON into `RawRow`s: the open-data export of a Raumfinder (/api/spaces.geojson, OSM-style tags) and
any FeatureCollection whose properties are named like the columns (`spaces.inventory.rows.COLUMNS`).

- A FeatureCollection (or a single Feature); anything else is refused with a German `ReadError`.
- Point features give lat/lon. A polygon or line (a building mapped as an area) gives a point inside it
  (shapely's `representative_point`, which, unlike the centroid, never falls into a courtyard). A feature
  without a geometry, or with one that cannot be read, gives a row without lat/lon: the plan refuses it with
  its reason, never guesses.
- Properties named like a column are taken as they are; otherwise the export's tags are mapped (TAG_COLUMNS:
  `wheelchair` to step_free, `toilets:wheelchair` to accessible_wc, `raumfinder:equipment` from ";" to ",").
  A column property wins over a tag that means the same. What maps to no column stays in `RawRow.tags`.
- external_id (see `external_id_of`): the feature's `external_id`; else, for a Raumfinder export, the space's
  page (`website`, e.g. https://raumfinder.example/raeume/17), which names the space across instances;
  else `raumfinder:<ref:raumfinder>`. So importing instance A's export into B creates the spaces (with A's
  links as their ids), and importing it again updates them instead of duplicating. Importing A's export into A
  itself: a link to one of A's own space pages (under RAUMFINDER_BASE_URL) is no id at all, so the import
  matches the space by provider, address and name, finds it and leaves it "unverändert".
"""

from __future__ import annotations

import json
import re

from flask import current_app, has_app_context
from shapely.errors import ShapelyError
from shapely.geometry import shape

from spaces.core.phrases import phrase
from spaces.inventory.rows import COLUMNS, RawRow, ReadError

# Export tags (spaces.inventory.export) that mean a column.
TAG_COLUMNS = {
    "name": "name",
    "operator": "provider",
    "addr:full": "address",
    "capacity": "capacity",
    "opening_hours": "opening_hours",
    "description": "description",
    "raumfinder:kind": "kind",
    "raumfinder:booking_mode": "booking_mode",
    "raumfinder:bookable_by": "bookable_by",
    "raumfinder:area_m2": "area_m2",
    "raumfinder:floor": "floor",
    "raumfinder:lift": "lift",
    "raumfinder:hearing_loop": "hearing_loop",
    "hearing_loop": "hearing_loop",
    "raumfinder:cost_eur": "cost_eur",
    "raumfinder:house_rules": "house_rules",
    "raumfinder:available_from": "available_from",
    "raumfinder:available_until": "available_until",
    "toilets:wheelchair": "accessible_wc",
    "wheelchair": "step_free",  # OSM's yes/designated/limited/no, read by the plan (limited: not step-free)
}
# An OSM amenity where a feature has no kind (the export's raumfinder:kind): the export's amenities back to their
# kind, any other amenity a room (as the OSM reader does).
AMENITY_KIND = {"meeting_point": "outdoor", "coworking_space": "coworking"}
# Tags the reader uses up in other ways (not kept as unmapped tags).
USED = {"external_id", "ref:raumfinder", "website", "amenity", "raumfinder:equipment",
        "addr:street", "addr:housenumber", "addr:postcode", "addr:city"}
SPACE_PAGE = re.compile(r"^(?P<base>https?://.+)/raeume/(?P<id>[1-9][0-9]{0,9})$")


def _text(value) -> str | None:
    """A property's value as the text the plan reads: numbers as written, true/false as yes/no, lists joined."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return repr(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if isinstance(value, list):
        return ",".join(t for t in (_text(v) for v in value) if t)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def external_id_of(properties: dict[str, str], base_url: str | None = None) -> str | None:
    """The id a feature is matched by: its external_id, else its Raumfinder page, else raumfinder:<number>; None
    for a link to a space page of this instance itself (under `base_url`), which the import then matches by
    provider, address and name, as it does a row without an id."""
    ref, website = properties.get("ref:raumfinder"), properties.get("website")
    if properties.get("external_id"):
        found = properties["external_id"]
    elif ref and website and SPACE_PAGE.match(website):
        found = website
    else:
        return f"raumfinder:{ref}" if ref else None
    return None if base_url and own_space_id(found, base_url) is not None else found


def own_space_id(external_id: str | None, base_url: str) -> int | None:
    """The number of this instance's space when `external_id` is the link to its page under `base_url` (an
    export of this very instance), else None."""
    found = SPACE_PAGE.match(external_id or "")
    if found and found.group("base").rstrip("/") == base_url.rstrip("/"):
        return int(found.group("id"))
    return None


def _own_base_url() -> str | None:
    """RAUMFINDER_BASE_URL when reading inside the app (the import always does), else None."""
    return current_app.config.get("BASE_URL") if has_app_context() else None


def _point(geometry) -> tuple[str | None, str | None, str | None]:
    """(lat, lon, problem) of a feature's geometry: a Point's position, a point inside any other shape."""
    if not geometry:
        return None, None, "ohne Geometrie"
    try:
        geom = shape(geometry)
        point = geom if geom.geom_type == "Point" else geom.representative_point()
    except (ShapelyError, ValueError, TypeError, AttributeError, KeyError, IndexError):
        return None, None, "Geometrie nicht lesbar"
    if point.is_empty:
        return None, None, "leere Geometrie"
    return _degrees(point.y), _degrees(point.x), None


def _degrees(value: float) -> str:
    """Degrees to 7 places (about 1 cm, as OSM stores them), without trailing zeros."""
    return f"{value:.7f}".rstrip("0").rstrip(".")


def _address(tags: dict[str, str]) -> str | None:
    street = " ".join(filter(None, (tags.get("addr:street"), tags.get("addr:housenumber"))))
    place = " ".join(filter(None, (tags.get("addr:postcode"), tags.get("addr:city"))))
    return ", ".join(filter(None, (street, place))) or None


def row_of(feature: dict, ref: str, base_url: str | None = None) -> RawRow:
    """One feature as a RawRow (its values not judged)."""
    raw = feature.get("properties") or {}
    if not isinstance(raw, dict):
        raw = {}
    tags = {str(k): t for k, v in raw.items() if (t := _text(v)) is not None}
    values: dict[str, str | None] = dict.fromkeys(COLUMNS)
    for tag, column in TAG_COLUMNS.items():
        if tags.get(tag) is not None:
            values[column] = tags[tag]
    if "raumfinder:equipment" in tags:
        values["equipment"] = ",".join(e.strip() for e in tags["raumfinder:equipment"].split(";") if e.strip())
    if values["kind"] is None and "amenity" in tags:
        values["kind"] = AMENITY_KIND.get(tags["amenity"], "room")
    if values["address"] is None:
        values["address"] = _address(tags)
    values["external_id"] = external_id_of(tags, base_url)
    values["lat"], values["lon"], problem = _point(feature.get("geometry"))
    for column in COLUMNS:  # a property named like the column wins (lat/lon only without a geometry)
        if column in tags and (column not in ("lat", "lon") or problem):
            values[column] = tags[column]
    kept = {k: v for k, v in tags.items() if k not in COLUMNS and k not in TAG_COLUMNS and k not in USED}
    if problem and (values["lat"] is None or values["lon"] is None):
        kept["geometry"] = problem
    return RawRow(ref=ref, values={c: values[c] for c in COLUMNS if values[c] is not None}, tags=kept)


def read_geojson(data: bytes) -> list[RawRow]:
    """The rows of a GeoJSON FeatureCollection (or one Feature), one per feature ("Feature 1", ...)."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ReadError(phrase("Die GeoJSON-Datei lässt sich nicht lesen: kein gültiges JSON.")) from error
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "Feature":
        features = [document]
    elif kind == "FeatureCollection" and isinstance(document.get("features"), list):
        features = document["features"]
    else:
        raise ReadError(phrase("Die Datei ist keine GeoJSON-FeatureCollection "
                               "(erwartet: {\"type\": \"FeatureCollection\", \"features\": [...]})."))
    rows, base_url = [], _own_base_url()
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            feature = {}
        rows.append(row_of(feature, f"Feature {number}", base_url))
    return rows
