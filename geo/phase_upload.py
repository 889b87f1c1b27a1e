"""Construction phases (Bauabschnitte) from an uploaded GeoJSON file: parsed and checked, no Flask, no DB.

parse_phase_upload() accepts a FeatureCollection, a single Feature or a bare Polygon/MultiPolygon
geometry. Every problem is refused with PhaseUploadError (an InvalidGeometry) carrying a German
message meant for the person who made the file, a machine-readable ``code`` and, where it applies,
the 1-based number of the offending feature. Either every phase is returned or none.

Codes: too_large, empty, not_json, nan, wrong_type, missing_geometry, too_many_features,
too_many_vertices, bad_position, ring_too_short, unclosed, crs, outside, swapped,
self_intersection, invalid, zero_area, bad_property, duplicate_name.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date

from shapely import make_valid
from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from .crs import SERVICE_AREA, UTM32N, WGS84, _transformer, in_service_area
from .validation import InvalidGeometry

MAX_BYTES = 2_000_000
MAX_VERTICES = 20_000
MAX_FEATURES = 200

MAX_NAME_LENGTH = 200
MAX_COUNT = 1_000_000  # homes / expected_residents: far above any real phase, far below an SQL integer
MAX_PERSONS_PER_HOME = 10
MIN_AREA_M2 = 1.0
STATUSES = {"planned": "geplant", "building": "im Bau", "occupied": "bewohnt"}  # as spaces.labels.PHASE_STATUS

WEB_MERCATOR = 3857
SUPPORTED_CRS = {WGS84: "WGS84 (EPSG:4326)", UTM32N: "EPSG:25832", WEB_MERCATOR: "EPSG:3857"}

_HOW_TO_SAVE = "Bitte die Datei als GeoJSON in WGS84 (Länge, Breite) speichern."


class PhaseUploadError(InvalidGeometry):
    """An uploaded phase file that cannot be used; ``code`` names the rule, ``feature`` the object (1-based)."""

    def __init__(self, code: str, message: str, feature: int | None = None):
        super().__init__(message)
        self.code = code
        self.feature = feature


@dataclass(frozen=True)
class PhaseDraft:
    """One checked construction phase, not yet stored."""

    name: str
    geometry: MultiPolygon  # WGS84 (EPSG:4326), valid, inside the service area
    status: str | None
    move_in: date | None
    homes: int | None
    persons_per_home: float | None
    expected_residents: int | None


@dataclass
class _Raw:
    """A feature after the structural checks: rings as lists of (x, y) in the file's CRS."""

    index: int  # 1-based; 0 for a bare geometry
    label: str
    polygons: list[list[list[tuple[float, float]]]]
    props: dict


def parse_phase_upload(raw: bytes | str) -> list[PhaseDraft]:
    """Construction phases from an uploaded GeoJSON (FeatureCollection, Feature or bare Polygon/MultiPolygon
    geometry), all checked; InvalidGeometry (German message) for the first problem, and nothing is returned half."""
    doc = _load_json(raw)
    if not isinstance(doc, dict):
        raise PhaseUploadError(
            "wrong_type",
            "Die Datei enthält kein GeoJSON-Objekt. Erwartet wird eine FeatureCollection, "
            "ein Feature oder eine Polygon-/MultiPolygon-Geometrie.",
        )
    crs = _declared_crs(doc)
    raws = _features(doc)

    vertices = 0
    for item in raws:
        vertices = _count_vertices(item, vertices)
    _check_crs_plausible(crs, raws)

    drafts: list[PhaseDraft] = []
    seen: dict[str, str] = {}
    for item in raws:
        props = _properties(item)
        key = props["name"].casefold()
        if key in seen:
            raise PhaseUploadError(
                "duplicate_name",
                f"{item.label}: Der Name „{props['name']}“ kommt in der Datei mehrfach vor "
                f"(schon bei {seen[key]}). Jeder Bauabschnitt braucht einen eigenen Namen.",
                item.index,
            )
        seen[key] = item.label
        geometry = _geometry(item, crs)
        drafts.append(PhaseDraft(geometry=geometry, **props))
    return drafts


# --- reading the file -------------------------------------------------------------------------


def _refuse_constant(token: str):
    raise PhaseUploadError(
        "nan",
        f"Die Datei enthält den Wert „{token}“. In GeoJSON sind nur endliche Zahlen erlaubt; "
        "bitte die betroffenen Koordinaten oder Werte korrigieren.",
    )


def _load_json(raw: bytes | str):
    if raw is None:
        raise PhaseUploadError("empty", "Es wurde keine Datei hochgeladen.")
    if isinstance(raw, str):
        too_large = len(raw) > MAX_BYTES or len(raw.encode("utf-8", "surrogatepass")) > MAX_BYTES
    else:
        too_large = len(raw) > MAX_BYTES
    if too_large:
        raise PhaseUploadError(
            "too_large",
            f"Die Datei ist zu groß (höchstens {MAX_BYTES / 1_000_000:.0f} MB). "
            "Bitte weniger Bauabschnitte auf einmal hochladen oder die Umrisse vereinfachen.",
        )
    if isinstance(raw, (bytes, bytearray, memoryview)):
        try:
            text = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise PhaseUploadError(
                "not_json",
                f"Die Datei ist nicht UTF-8-kodiert (ungültiges Byte an Stelle {err.start}). "
                "Bitte als GeoJSON mit der Kodierung UTF-8 speichern.",
            ) from err
    else:
        text = raw.removeprefix("\ufeff")
    if not text.strip():
        raise PhaseUploadError("empty", "Die hochgeladene Datei ist leer.")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except PhaseUploadError:
        raise
    except json.JSONDecodeError as err:
        raise PhaseUploadError(
            "not_json",
            # Python's own description (err.msg) is English: the place is what helps.
            f"Die Datei ist kein gültiges JSON (Fehler in Zeile {err.lineno}, Spalte {err.colno}). "
            "Bitte eine GeoJSON-Datei hochladen.",
        ) from err
    except (ValueError, RecursionError) as err:  # e.g. integers with thousands of digits, absurd nesting
        raise PhaseUploadError(
            "not_json", "Die Datei ist kein lesbares JSON (zu tief verschachtelt oder zu lange Zahlen)."
        ) from err


def _declared_crs(doc: dict) -> int | None:
    """EPSG code of a top-level ``crs`` member (GeoJSON 2008 style), None when there is none."""
    crs = doc.get("crs")
    if crs is None:
        return None
    if isinstance(crs, str):
        name = crs
    elif isinstance(crs, dict) and isinstance(crs.get("properties"), dict):
        props = crs["properties"]
        if crs.get("type") == "link" or "href" in props:
            raise PhaseUploadError(
                "crs",
                "Ein verlinktes Koordinatensystem (crs vom Typ „link“) wird nicht unterstützt. "
                + _HOW_TO_SAVE,
            )
        name = props.get("name", props.get("code"))
    else:
        name = None
    if isinstance(name, int) and not isinstance(name, bool):
        name = f"EPSG:{name}"
    if not isinstance(name, str) or not name.strip():
        raise PhaseUploadError(
            "crs",
            "Das Feld crs ist nicht lesbar. Erwartet wird z. B. "
            '{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}. ' + _HOW_TO_SAVE,
        )
    name = name.strip()
    if re.search(r"CRS:?84$", name, re.IGNORECASE):
        return WGS84
    match = re.search(r"EPSG(?::|/|::|:[\d.]*:|/[\d.]+/)(\d+)$", name, re.IGNORECASE)
    code = int(match.group(1)) if match else None
    if code not in SUPPORTED_CRS:
        raise PhaseUploadError(
            "crs",
            f"Das Koordinatensystem „{name}“ wird nicht unterstützt. Möglich sind WGS84 "
            "(EPSG:4326 bzw. CRS84), EPSG:25832 (ETRS89 / UTM 32N) und EPSG:3857. " + _HOW_TO_SAVE,
        )
    return code


def _features(doc: dict) -> list[_Raw]:
    kind = doc.get("type")
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise PhaseUploadError("wrong_type", "Die FeatureCollection hat keine Liste „features“.")
        if not features:
            raise PhaseUploadError("empty", "Die FeatureCollection enthält keine Bauabschnitte.")
        if len(features) > MAX_FEATURES:
            raise PhaseUploadError(
                "too_many_features",
                f"Die Datei enthält {len(features)} Objekte, höchstens {MAX_FEATURES} sind erlaubt. "
                "Bitte auf mehrere Dateien aufteilen.",
            )
        return [_feature(f, i) for i, f in enumerate(features, start=1)]
    if kind == "Feature":
        return [_feature(doc, 1)]
    if kind in ("Polygon", "MultiPolygon"):
        label = "Die Geometrie"
        return [_Raw(0, label, _polygons(doc, label, 0), {"name": "Bauabschnitt 1"})]
    raise PhaseUploadError(
        "wrong_type",
        f"Gefunden wurde der Typ „{_shown(kind)}“. Erwartet wird eine FeatureCollection, ein Feature "
        "oder eine Polygon-/MultiPolygon-Geometrie.",
    )


def _feature(feature, index: int) -> _Raw:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        found = feature.get("type") if isinstance(feature, dict) else type(feature).__name__
        raise PhaseUploadError(
            "wrong_type",
            f"Objekt {index}: Erwartet wird ein Feature, gefunden wurde „{_shown(found)}“.",
            index,
        )
    props = feature.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise PhaseUploadError(
            "bad_property", f"Objekt {index}: „properties“ muss ein Objekt mit Feldern sein.", index
        )
    name = props.get("name")
    label = f"Objekt {index}"
    if isinstance(name, str) and name.strip():
        label += f" („{name.strip()[:60]}“)"
    geometry = feature.get("geometry")
    if geometry is None:
        raise PhaseUploadError(
            "missing_geometry",
            f"{label} hat keine Geometrie. Bitte den Umriss des Bauabschnitts als Polygon einzeichnen.",
            index,
        )
    return _Raw(index, label, _polygons(geometry, label, index), props)


def _shown(value) -> str:
    return str(value)[:40] if value is not None else "ohne Typ"


def _polygons(geometry, label: str, index: int):
    """Rings of a Polygon/MultiPolygon as [[[(x, y), ...], ...], ...], structure and positions checked."""
    if not isinstance(geometry, dict):
        raise PhaseUploadError("wrong_type", f"{label}: Die Geometrie ist kein GeoJSON-Objekt.", index)
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise PhaseUploadError(
            "wrong_type",
            f"{label}: Die Geometrie ist vom Typ „{_shown(kind)}“; erlaubt sind nur Polygon und MultiPolygon "
            "(der Umriss des Bauabschnitts als Fläche).",
            index,
        )
    coords = geometry.get("coordinates")
    if not isinstance(coords, list):
        raise PhaseUploadError("bad_position", f"{label}: Die Geometrie hat keine Liste „coordinates“.", index)
    if not coords:
        raise PhaseUploadError("empty", f"{label}: Die Geometrie ist leer (keine Koordinaten).", index)
    polygons = [coords] if kind == "Polygon" else coords
    result = []
    for p, polygon in enumerate(polygons, start=1):
        part = f"Teilfläche {p}, " if kind == "MultiPolygon" else ""
        if not isinstance(polygon, list) or not polygon:
            raise PhaseUploadError(
                "empty" if polygon == [] else "bad_position",
                f"{label}: {part or 'Das Polygon '}hat keine Ringe (Liste von Punkten) – "
                "die Verschachtelung der Koordinaten stimmt nicht.",
                index,
            )
        rings = []
        for r, ring in enumerate(polygon, start=1):
            where = f"{label}, {part}{'Außenring' if r == 1 else f'Innenring (Loch) {r - 1}'}"
            if not isinstance(ring, list):
                raise PhaseUploadError(
                    "bad_position",
                    f"{where}: Statt einer Liste von Punkten steht dort „{str(ring)[:40]}“ – "
                    "die Verschachtelung der Koordinaten stimmt nicht.",
                    index,
                )
            rings.append((where, ring))
        result.append(rings)
    return result


def _count_vertices(item: _Raw, total: int) -> int:
    """Check every ring's positions and closure; the running vertex total, refused above MAX_VERTICES."""
    checked = []
    for rings in item.polygons:
        part = []
        for where, ring in rings:
            total += len(ring)
            if total > MAX_VERTICES:
                raise PhaseUploadError(
                    "too_many_vertices",
                    f"Die Datei enthält mehr als {MAX_VERTICES} Eckpunkte (erreicht bei {where}). "
                    "Bitte die Umrisse vereinfachen (z. B. in QGIS: Vektor › Geometrie-Werkzeuge › Vereinfachen) "
                    "oder weniger Bauabschnitte auf einmal hochladen.",
                    item.index,
                )
            points = [_position(pos, where, n, item.index) for n, pos in enumerate(ring, start=1)]
            if len(points) < 4:
                raise PhaseUploadError(
                    "ring_too_short",
                    f"{where}: Der Ring hat nur {len(points)} Punkte; eine Fläche braucht mindestens 4 "
                    "(3 Ecken und den ersten Punkt noch einmal am Ende).",
                    item.index,
                )
            if points[0] != points[-1]:
                raise PhaseUploadError(
                    "unclosed",
                    f"{where}: Der Ring ist nicht geschlossen – der erste Punkt {_xy(points[0])} und der letzte "
                    f"Punkt {_xy(points[-1])} müssen gleich sein.",
                    item.index,
                )
            part.append(points)
        checked.append(part)
    item.polygons = checked
    return total


def _position(pos, where: str, n: int, index: int) -> tuple[float, float]:
    if not isinstance(pos, list) or not 2 <= len(pos) <= 3 or not all(_is_number(v) for v in pos):
        nesting = (
            " Die Verschachtelung der Koordinaten stimmt nicht: ein Polygon ist [[[Länge, Breite], ...]], "
            "ein MultiPolygon [[[[Länge, Breite], ...]]]."
            if _is_number(pos)
            else ""
        )
        raise PhaseUploadError(
            "bad_position",
            f"{where}, Punkt {n}: „{json.dumps(pos)[:60]}“ ist keine Koordinate. Erwartet wird "
            f"[Länge, Breite] oder [Länge, Breite, Höhe] als Zahlen.{nesting}",
            index,
        )
    if not all(_finite(v) for v in pos):
        raise PhaseUploadError(
            "nan",
            f"{where}, Punkt {n}: Die Koordinate enthält eine unendliche oder ungültige Zahl. "
            "Bitte die Koordinaten prüfen.",
            index,
        )
    return float(pos[0]), float(pos[1])


def _finite(value) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer with hundreds of digits
        return False


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _xy(point: tuple[float, float]) -> str:
    return f"({point[0]:.12g}, {point[1]:.12g})"


# --- coordinate reference system --------------------------------------------------------------


def _looks_metric(x: float, y: float) -> bool:
    return abs(x) > 180 or abs(y) > 90


def _check_crs_plausible(crs: int | None, raws: list[_Raw]) -> None:
    points = ((item, p) for item in raws for rings in item.polygons for ring in rings for p in ring)
    if crs in (None, WGS84):
        for item, (x, y) in points:
            if _looks_metric(x, y):
                if crs is None:
                    text = (
                        "Die Koordinaten sehen nach Metern aus (z. B. EPSG:25832), aber die Datei nennt kein "
                        "Koordinatensystem. Bitte in WGS84 (Länge, Breite) speichern oder das System im Feld "
                        "crs angeben."
                    )
                else:
                    text = (
                        "Die Datei nennt WGS84 als Koordinatensystem, aber die Koordinaten sehen nach Metern aus "
                        "(z. B. EPSG:25832). Bitte in WGS84 (Länge, Breite) speichern oder das richtige System "
                        "im Feld crs angeben."
                    )
                raise PhaseUploadError("crs", f"{text} Beispiel: {_xy((x, y))} in {item.label}.", item.index)
    elif all(not _looks_metric(x, y) for _, (x, y) in points):
        raise PhaseUploadError(
            "crs",
            f"Die Datei nennt {SUPPORTED_CRS[crs]} (Meter) als Koordinatensystem, aber alle Koordinaten sehen "
            "nach Länge/Breite in Grad aus. Bitte das Feld crs entfernen oder korrigieren.",
        )


def _to_wgs84(crs: int | None, ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if crs in (None, WGS84):
        return ring
    xs, ys = _transformer(crs, WGS84).transform([p[0] for p in ring], [p[1] for p in ring])
    return list(zip(xs, ys))


# --- geometry ---------------------------------------------------------------------------------


_GEOS_REASONS = {
    "Self-intersection": ("self_intersection", "Die Fläche schneidet sich selbst{at}."),
    "Ring Self-intersection": ("self_intersection", "Ein Ring berührt oder schneidet sich selbst{at}."),
    "Hole lies outside shell": ("invalid", "Ein Loch (Innenring) liegt außerhalb des Außenrings{at}."),
    "Nested holes": ("invalid", "Ein Loch (Innenring) liegt in einem anderen Loch{at}."),
    "Interior is disconnected": ("invalid", "Die Löcher (Innenringe) zerteilen die Fläche in getrennte Stücke{at}."),
    "Nested shells": ("invalid", "Eine Teilfläche liegt innerhalb einer anderen Teilfläche{at}."),
    "Duplicate Rings": ("invalid", "Ein Ring kommt doppelt vor{at}."),
    "Too few points": ("invalid", "Ein Ring hat zu wenige verschiedene Punkte{at}."),
    "Invalid Coordinate": ("invalid", "Eine Koordinate ist ungültig{at}."),
    "Ring is not closed": ("unclosed", "Ein Ring ist nicht geschlossen{at}."),
}
_VALIDITY = re.compile(r"^(?P<reason>.*?)\s*\[(?P<x>\S+) (?P<y>\S+)\]\s*$")


def _explain(geom) -> tuple[str, str]:
    """(code, German sentence) for an invalid shapely geometry, naming the place when GEOS gives one."""
    text = explain_validity(geom)
    match = _VALIDITY.match(text)
    reason, at = text, ""
    if match:
        reason = match["reason"]
        try:
            at = f" bei Länge {float(match['x']):.5f}, Breite {float(match['y']):.5f}"
        except ValueError:
            at = ""
    code, sentence = _GEOS_REASONS.get(reason, ("invalid", f"Die Fläche ist ungültig ({reason}){{at}}."))
    return code, sentence.format(at=at)


def _geometry(item: _Raw, crs: int | None) -> MultiPolygon:
    parts = []
    for rings in item.polygons:
        lonlat = [_to_wgs84(crs, ring) for ring in rings]
        for ring in lonlat:
            for lon, lat in ring:
                _check_point(item, lon, lat)
        parts.append(Polygon(lonlat[0], lonlat[1:]))
    for p, part in enumerate(parts, start=1):
        if _area_m2(part) < MIN_AREA_M2:
            which = f"Teilfläche {p} " if len(parts) > 1 else ""
            raise PhaseUploadError(
                "zero_area",
                f"{item.label}: {which or 'Die Fläche '}hat keinen Flächeninhalt (alle Punkte auf einer Linie "
                "oder aufeinander). Bitte den Umriss des Bauabschnitts als Fläche einzeichnen.",
                item.index,
            )
    geom = MultiPolygon(parts)
    if not geom.is_valid:
        code, sentence = _explain(geom)
        hint = (
            " Bitte die Linien so korrigieren, dass sie sich nicht kreuzen"
            + (" und Teilflächen sich nicht überlappen." if len(parts) > 1 else ".")
            if code == "self_intersection"
            else " Bitte den Umriss korrigieren (z. B. in QGIS: Vektor › Geometrie-Werkzeuge › Geometrien prüfen)."
        )
        raise PhaseUploadError(code, f"{item.label}: {sentence}{hint}", item.index)
    return geom


def _area_m2(part: Polygon) -> float:
    """Roughly the area in m² that the polygon encloses; a self-crossing ring's lobes do not cancel out."""
    degrees = make_valid(part).area
    metres_per_degree = 111_320.0
    return degrees * metres_per_degree**2 * math.cos(math.radians(part.exterior.coords[0][1]))


def _check_point(item: _Raw, lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise PhaseUploadError(
            "outside",
            f"{item.label}: Eine Koordinate lässt sich nicht in Länge/Breite umrechnen. Passt das Feld crs "
            "zu den Koordinaten?",
            item.index,
        )
    if in_service_area(lon, lat):
        return
    where = (
        f"{item.label}: Der Punkt (Länge {lon:.5f}, Breite {lat:.5f}) liegt außerhalb des Gebiets, "
        f"in dem Raumfinder arbeitet (Länge {SERVICE_AREA[0]}–{SERVICE_AREA[2]}, "
        f"Breite {SERVICE_AREA[1]}–{SERVICE_AREA[3]})."
    )
    if in_service_area(lat, lon):
        raise PhaseUploadError(
            "swapped",
            f"{where} Breite und Länge vertauscht? GeoJSON erwartet die Reihenfolge [Länge, Breite], "
            "für Hannover etwa [9.7, 52.4].",
            item.index,
        )
    raise PhaseUploadError("outside", where, item.index)


# --- properties -------------------------------------------------------------------------------


def _properties(item: _Raw) -> dict:
    props = item.props

    def bad(field: str, text: str):
        return PhaseUploadError("bad_property", f"{item.label}, Feld „{field}“: {text}", item.index)

    name = props.get("name")
    if name is None:
        raise PhaseUploadError(
            "bad_property",
            f"{item.label} hat keinen Namen. Bitte in den Eigenschaften das Feld „name“ angeben "
            "(z. B. „Baufeld 1“).",
            item.index,
        )
    if not isinstance(name, str) or not name.strip():
        raise bad("name", "Der Name muss ein nicht leerer Text sein.")
    name = " ".join(name.split())
    if len(name) > MAX_NAME_LENGTH:
        raise bad("name", f"Der Name ist {len(name)} Zeichen lang, höchstens {MAX_NAME_LENGTH} sind erlaubt.")

    status = props.get("status")
    if status is not None and status not in STATUSES:
        allowed = ", ".join(f"„{key}“ ({german})" for key, german in STATUSES.items())
        raise bad("status", f"„{_shown(status)}“ ist kein erlaubter Wert; möglich sind {allowed}.")

    move_in = props.get("move_in")
    if move_in is not None:
        try:
            if not isinstance(move_in, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", move_in.strip()):
                raise ValueError
            move_in = date.fromisoformat(move_in.strip())
        except ValueError:
            raise bad(
                "move_in", f"„{_shown(move_in)}“ ist kein Datum. Erwartet wird JJJJ-MM-TT, z. B. „2027-06-01“."
            ) from None

    def count(field: str) -> int | None:
        value = props.get(field)
        if value is None:
            return None
        if (
            not _is_number(value)
            or (isinstance(value, float) and not value.is_integer())
            or not 0 <= value <= MAX_COUNT
        ):
            raise bad(
                field,
                f"„{_shown(value)}“ ist keine erlaubte Anzahl. Erwartet wird eine ganze Zahl von 0 bis "
                f"{MAX_COUNT} (ohne Anführungszeichen).",
            )
        return int(value)

    homes = count("homes")
    expected_residents = count("expected_residents")

    persons = props.get("persons_per_home")
    if persons is not None:
        if not _is_number(persons) or not 0 < persons <= MAX_PERSONS_PER_HOME:
            raise bad(
                "persons_per_home",
                f"„{_shown(persons)}“ ist nicht erlaubt. Erwartet wird eine Zahl größer als 0 und höchstens "
                f"{MAX_PERSONS_PER_HOME} (mit Punkt als Dezimaltrennzeichen, z. B. 2.3).",
            )
        persons = float(persons)

    return {
        "name": name,
        "status": status,
        "move_in": move_in,
        "homes": homes,
        "persons_per_home": persons,
        "expected_residents": expected_residents,
    }
