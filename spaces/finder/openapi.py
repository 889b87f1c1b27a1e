"""The OpenAPI 3.1 document of the JSON API, served at /api/openapi.json.

Written by hand as a dict; the codes (kind, equipment, sort, booking mode, phase status) and the
limits come from the modules that check them, so the document cannot drift from the validation.
tests/test_openapi.py fails when an /api route or a search parameter is left undocumented.
"""

from flask import Blueprint, jsonify

from geo.crs import SERVICE_AREA
from geo.walking import DETOUR_FACTOR, WALKING_SPEED_M_PER_MIN
from spaces.core.bookability import ALL_CODES
from spaces.finder.search import DEFAULT_WALK_MINUTES, MAX_LIMIT, MAX_WALK_MINUTES, SORTS
from spaces.finder.week import MAX_WINDOW
from spaces.labels import BOOKING_MODES, EQUIPMENT, KINDS, PHASE_STATUS

bp = Blueprint("openapi", __name__, url_prefix="/api")

LON_MIN, LAT_MIN, LON_MAX, LAT_MAX = SERVICE_AREA
DEFAULT_LIMIT = 1000  # SpaceSearch.limit
NEAREST_DEFAULT, NEAREST_MAX = 20, 200  # api.nearest
MAX_CAPACITY = 10_000  # parse_search: capacity
MAX_WINDOW_DAYS = MAX_WINDOW.days
FLAG_VALUES = ("1", "true", "on", "ja", "yes")

# "2026-12-01T18:00+01:00": local time in Europe/Berlin to the minute (spaces.finder.week.local_iso).
LOCAL_MINUTE_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[+-]\d{2}:\d{2}$"
HH_MM_PATTERN = r"^\d{2}:\d{2}$"
SLOT_CODES = sorted(ALL_CODES)


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _schema(name: str) -> dict:
    return _ref("schemas", name)


def _json(schema: dict, description: str, **extra) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema, **extra}}}


def _geo_json(schema: dict, description: str) -> dict:
    """The API answers GeoJSON with Content-Type application/json (Flask's jsonify)."""
    return _json(schema, description)


def _bad_request(*messages: str) -> dict:
    """A 400 answer with the German messages this operation may give, as examples."""
    return _json(
        _schema("Error"),
        "A parameter is wrong; `error` says which and why, in German.",
        examples={f"example{i}": {"value": {"error": m}} for i, m in enumerate(messages, 1)},
    )


def _flag(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": (
            f"{description} Filter is on for the values {', '.join(FLAG_VALUES)} (case-insensitive); "
            "any other value, including an unknown one, leaves it off without an error."
        ),
        "schema": {"type": "boolean", "default": False},
    }


def _coordinate(name: str, *, required: bool, description: str) -> dict:
    lo, hi = (LAT_MIN, LAT_MAX) if name == "lat" else (LON_MIN, LON_MAX)
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": (
            f"{description} WGS84 decimal degrees inside the service area (latitude {LAT_MIN} to {LAT_MAX}, "
            f"longitude {LON_MIN} to {LON_MAX}); outside it the answer is 400 "
            "(„… liegt außerhalb des Gebiets des Dienstes.“, with the hint „Sind lat und lon vertauscht?“ "
            "when swapping them would fit); not a number: 400 („lat: „x“ ist keine Zahl.“)."
        ),
        "schema": {"type": "number", "minimum": lo, "maximum": hi},
        "example": 52.37 if name == "lat" else 9.73,
    }


def _parameters() -> dict:
    kinds, equipment = list(KINDS), list(EQUIPMENT)
    return {
        "bookingId": {
            "name": "booking_id",
            "in": "path",
            "required": True,
            "description": "Number of the booking.",
            "schema": {"type": "integer", "minimum": 0},
        },
        "spaceId": {
            "name": "space_id",
            "in": "path",
            "required": True,
            "description": (
                "Number of the space. An unknown number answers 404 with a German message; "
                "a path that is not a non-negative integer matches no route (404 with Werkzeug's English text)."
            ),
            "schema": {"type": "integer", "minimum": 0},
            "example": 1,
        },
        "date": {
            "name": "date",
            "in": "query",
            "required": False,
            "description": (
                "Local day (Europe/Berlin), YYYY-MM-DD. Alone: spaces that exist on that day and have opening "
                "hours on its weekday. With `from`/`to`: the day of the time window (default: today). "
                "Invalid: 400 („Datum: „…“ ist kein Datum (erwartet JJJJ-MM-TT).“)."
            ),
            "schema": {"type": "string", "format": "date"},
            "example": "2026-12-01",
        },
        "searchFrom": {
            "name": "from",
            "in": "query",
            "required": False,
            "description": (
                "Start of the time window, local wall-clock time HH:MM (a bare hour such as `18` also works) on "
                "`date` (default today). Only spaces free during the whole window are listed: existing that "
                "day, covered by one opening (also one running past midnight), neither closed nor booked. "
                "Without `from` but with `to` the window starts at 00:00. Not a time: 400 "
                "(„von: „…“ ist keine Uhrzeit (erwartet HH:MM).“). Note: `24:00`/`24` is read as 00:00 here."
            ),
            "schema": {"type": "string"},
            "example": "18:00",
        },
        "searchTo": {
            "name": "to",
            "in": "query",
            "required": False,
            "description": (
                "End of the time window, local wall-clock time HH:MM; `24:00` (or `24`) and leaving it out with "
                "`from` given mean midnight at the end of `date`. Not a time: 400 "
                "(„bis: „…“ ist keine Uhrzeit (erwartet HH:MM).“); not after `from`: 400 "
                "(„Das Zeitfenster endet, bevor es beginnt: bitte „bis“ nach „von“ wählen.“)."
            ),
            "schema": {"type": "string"},
            "example": "20:00",
        },
        "capacity": {
            "name": "capacity",
            "in": "query",
            "required": False,
            "description": (
                f"Minimum number of people the space holds, 1 to {MAX_CAPACITY}. Otherwise 400 "
                f"(„Personen: „…“ ist keine ganze Zahl.“ / „Personen: bitte eine Zahl von 1 bis {MAX_CAPACITY}.“)."
            ),
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_CAPACITY},
        },
        "stepFree": _flag("step_free", "Only spaces reachable without steps."),
        "accessibleWc": _flag("accessible_wc", "Only spaces with an accessible WC."),
        "free": _flag("free", "Only spaces free of charge (`cost_eur` = 0; spaces with unknown cost are left out)."),
        "equipment": {
            "name": "equipment",
            "in": "query",
            "required": False,
            "description": (
                "Equipment the space must have, all of them (AND). Repeat the parameter or separate codes with "
                "commas. An unknown code: 400 („Ausstattung: unbekannt „…“; möglich: …“)."
            ),
            "style": "form",
            "explode": True,
            "schema": {"type": "array", "items": {"type": "string", "enum": equipment}, "uniqueItems": True},
        },
        "kind": {
            "name": "kind",
            "in": "query",
            "required": False,
            "description": (
                "Kinds of space, any of them (OR). Repeat the parameter or separate codes with commas. "
                "An unknown code: 400 („Art: unbekannt „…“; möglich: …“)."
            ),
            "style": "form",
            "explode": True,
            "schema": {"type": "array", "items": {"type": "string", "enum": kinds}, "uniqueItems": True},
        },
        "searchLat": _coordinate(
            "lat",
            required=False,
            description=(
                "Latitude of a place to search near (with `lon`; one without the other: 400 "
                "„Für einen Ort braucht es lat und lon.“). Takes precedence over `quartier`."
            ),
        ),
        "searchLon": _coordinate("lon", required=False,
                                 description="Longitude of a place to search near (with `lat`)."),
        "quartier": {
            "name": "quartier",
            "in": "query",
            "required": False,
            "description": (
                "Name of a Quartier from /api/quartiers to search near its centre (exact match); ignored when "
                "`lat`/`lon` are given. Unknown: 400 („Quartier „…“ ist nicht bekannt.“)."
            ),
            "schema": {"type": "string"},
            "example": "Linden-Mitte",
        },
        "walk": {
            "name": "walk",
            "in": "query",
            "required": False,
            "description": (
                f"With a place (`lat`/`lon` or `quartier`): only spaces within this many minutes on foot, "
                f"1 to {MAX_WALK_MINUTES} (straight line of minutes × {WALKING_SPEED_M_PER_MIN:g} m / "
                f"{DETOUR_FACTOR:g}). Without a place it is checked but has no effect. Otherwise 400 "
                f"(„Minuten zu Fuß: bitte eine Zahl von 1 bis {MAX_WALK_MINUTES}.“)."
            ),
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_WALK_MINUTES, "default": DEFAULT_WALK_MINUTES},
        },
        "bbox": {
            "name": "bbox",
            "in": "query",
            "required": False,
            "description": (
                "Bounding box `min_lon,min_lat,max_lon,max_lat` (WGS84, south-west corner first). Otherwise 400, "
                "e.g. „bbox braucht 4 Zahlen (min_lon,min_lat,max_lon,max_lat), nicht 3.“ or „bbox: erst die "
                "kleinere Länge und Breite (Südwest), dann die größere (Nordost).“"
            ),
            "style": "form",
            "explode": False,
            "schema": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
            "example": [9.6, 52.3, 9.9, 52.45],
        },
        "sort": {
            "name": "sort",
            "in": "query",
            "required": False,
            "description": (
                "Order of the spaces. Default: `distance` when a place is given, `name` otherwise. `distance` "
                "without a place: 400 („Nach Entfernung sortieren geht nur mit einem Ort …“); an unknown "
                "value: 400 („Sortierung „…“ gibt es nicht; möglich: …“)."
            ),
            "schema": {"type": "string", "enum": list(SORTS)},
        },
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": (
                f"At most this many spaces, 1 to {MAX_LIMIT}. Otherwise 400 "
                f"(„limit: bitte eine Zahl von 1 bis {MAX_LIMIT}.“)."
            ),
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        },
        "nearestLat": _coordinate("lat", required=True, description="Latitude of the point."),
        "nearestLon": _coordinate("lon", required=True, description="Longitude of the point."),
        "n": {
            "name": "n",
            "in": "query",
            "required": False,
            "description": (
                f"How many spaces, 1 to {NEAREST_MAX}. Otherwise 400 („n muss eine ganze Zahl sein.“ / "
                f"„n: bitte 1 bis {NEAREST_MAX}.“)."
            ),
            "schema": {"type": "integer", "minimum": 1, "maximum": NEAREST_MAX, "default": NEAREST_DEFAULT},
        },
        "availabilityFrom": {
            "name": "from",
            "in": "query",
            "required": False,
            "description": (
                "Start: a date YYYY-MM-DD (local midnight, Europe/Berlin) or an ISO 8601 date-time with offset "
                "(encode `+` as `%2B`). Default: today. A date-time without offset: 400 (Zeitzone); neither: 400 "
                "(„from: „…“ ist weder Datum (JJJJ-MM-TT) noch Zeitpunkt (ISO 8601).“)."
            ),
            "schema": _schema("DateOrDateTime"),
            "example": "2026-12-01",
        },
        "availabilityTo": {
            "name": "to",
            "in": "query",
            "required": False,
            "description": (
                f"End: a date YYYY-MM-DD means the local midnight after that day (the day is included), or an ISO "
                f"8601 date-time with offset. Default: six days after today, so the window is a week from today "
                f"(also when `from` is given). Must be after `from` (400 „Das Zeitfenster endet, bevor es beginnt: "
                f"„to“ muss nach „from“ liegen.“) and at most {MAX_WINDOW_DAYS} days after it "
                f"(400 „Das Zeitfenster ist zu lang: höchstens {MAX_WINDOW_DAYS} Tage.“)."
            ),
            "schema": _schema("DateOrDateTime"),
            "example": "2026-12-02",
        },
    }


def _schemas() -> dict:
    nullable = lambda t, **kw: {"type": [t, "null"], **kw}  # noqa: E731
    position = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
                "description": "[longitude, latitude] in WGS84 (EPSG:4326)."}
    space_properties = {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "kind": {"type": "string", "description": f"Kind code, e.g. one of {', '.join(KINDS)}."},
        "kind_label": {"type": "string", "description": "German word for `kind` (the code itself when it has none)."},
        "capacity": {"type": "integer", "minimum": 1, "description": "People the space holds."},
        "area_m2": nullable("number", description="Floor area in square metres, null when unknown."),
        "floor": nullable("string", description="Floor, e.g. `EG`; null when unknown."),
        "step_free": {"type": "boolean"},
        "accessible_wc": {"type": "boolean"},
        "equipment": {"type": "array", "items": {"type": "string"},
                      "description": f"Equipment codes, e.g. {', '.join(EQUIPMENT)}."},
        "booking_mode": {"type": "string", "enum": list(BOOKING_MODES)},
        "booking_mode_label": {"type": "string", "description": "German words for `booking_mode`."},
        "cost_eur": nullable("number", minimum=0, description="Cost in euro; 0 free of charge, null unknown."),
        "available_from": nullable("string", format="date", description="First day of a planned or temporary space."),
        "available_until": nullable("string", format="date", description="Last day of a temporary space."),
        "period_label": {"type": "string",
                         "description": "German period, e.g. `ab Sept. 2027`, `bis Dez. 2026`; empty when always."},
        "organisation": {"type": "string", "description": "Name of the organisation that offers the space."},
        "address": {"type": "string"},
        "url": {"type": "string", "format": "uri-reference", "description": "The space's HTML page, e.g. /raeume/1."},
        "distance_m": {"type": "integer", "minimum": 0,
                       "description": "Straight-line distance in metres to the place searched near; only with one."},
        "free_now": {"type": "boolean",
                     "description": "Only in /api/spaces: whether the space is open and neither closed nor booked "
                                    "in the current minute."},
        "next_free": {"anyOf": [_schema("Interval"), {"type": "null"}],
                      "description": "Only for one space: its first free slot of at least an hour in the next "
                                     "14 days (the booking rules' free time: opening hours, period, advance "
                                     "window, not begun, closures, bookings), null when there is none."},
        "bookable": {"type": "boolean",
                     "description": "Only for one space: whether anyone may book it now or later (its booking "
                                    "mode, period and advance window allow it)."},
        "opening_hours": {"type": "array", "items": _schema("OpeningHours"),
                          "description": "Only for one space: its weekly opening hours."},
    }
    always = [k for k in space_properties
              if k not in ("distance_m", "free_now", "next_free", "bookable", "opening_hours")]

    def space_feature_with(*required: str) -> dict:
        return {"allOf": [_schema("SpaceFeature"),
                          {"type": "object", "properties": {"properties": {"required": list(required)}}}]}

    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string", "description": "What went wrong, in German."},
                           "code": {"type": "string", "description": "A stable code for clients (domain errors)."}},
            "examples": [{"error": "bbox braucht 4 Zahlen (min_lon,min_lat,max_lon,max_lat), nicht 3."}],
        },
        "DateOrDateTime": {
            "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
        },
        "LocalDateTime": {
            "type": "string",
            "pattern": LOCAL_MINUTE_PATTERN,
            "description": "An instant in Europe/Berlin time to the minute with its offset, e.g. "
                           "`2026-12-01T18:00+01:00` (ISO 8601; no seconds, so not strictly RFC 3339).",
            "examples": ["2026-12-01T18:00+01:00"],
        },
        "Interval": {
            "type": "object",
            "required": ["start", "end"],
            "properties": {"start": _schema("LocalDateTime"), "end": _schema("LocalDateTime")},
            "description": "Half-open interval [start, end).",
        },
        "BusyInterval": {
            "type": "object",
            "required": ["start", "end", "title", "kind"],
            "properties": {
                "start": _schema("LocalDateTime"),
                "end": _schema("LocalDateTime"),
                "title": {"type": "string", "description": "The purpose of a public confirmed event, the reason of a "
                                                           "closure, otherwise `belegt`."},
                "kind": {"type": "string", "enum": ["booking", "closure"]},
            },
        },
        "OpeningHours": {
            "type": "object",
            "required": ["weekday", "opens", "closes"],
            "properties": {
                "weekday": {"type": "integer", "minimum": 0, "maximum": 6, "description": "0 = Monday."},
                "opens": {"type": "string", "pattern": HH_MM_PATTERN, "description": "Local wall-clock time."},
                "closes": {"type": "string", "pattern": HH_MM_PATTERN,
                           "description": "Local wall-clock time; not after `opens`: open past midnight."},
            },
        },
        "Position": position,
        "Point": {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {"type": {"type": "string", "enum": ["Point"]}, "coordinates": _schema("Position")},
        },
        "MultiPolygon": {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {
                "type": {"type": "string", "enum": ["MultiPolygon"]},
                "coordinates": {"type": "array", "items": {"type": "array", "items": {
                    "type": "array", "minItems": 4, "items": _schema("Position")}}},
            },
        },
        "SpaceProperties": {"type": "object", "required": always, "properties": space_properties},
        "SpaceFeature": {
            "type": "object",
            "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "integer", "description": "The space's number, as in `properties.id`."},
                "geometry": _schema("Point"),
                "properties": _schema("SpaceProperties"),
            },
        },
        "SearchedSpaceFeature": space_feature_with("free_now"),
        "NearestSpaceFeature": space_feature_with("distance_m"),
        "SpaceDetail": space_feature_with("next_free", "bookable", "opening_hours"),
        "SpaceCollection": {
            "type": "object",
            "required": ["type", "features", "limit", "truncated"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": _schema("SearchedSpaceFeature")},
                "limit": {"type": "integer", "description": "The limit applied."},
                "truncated": {"type": "boolean", "description": "True when as many spaces as `limit` came back, "
                                                                "so there may be more."},
            },
        },
        "NearestSpaceCollection": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": _schema("NearestSpaceFeature")},
            },
        },
        "Availability": {
            "type": "object",
            "required": ["space_id", "from", "to", "free", "busy"],
            "properties": {
                "space_id": {"type": "integer"},
                "from": _schema("LocalDateTime"),
                "to": _schema("LocalDateTime"),
                "free": {"type": "array", "items": _schema("Interval"),
                         "description": "Open and neither closed nor booked, in time order."},
                "busy": {"type": "array", "items": _schema("BusyInterval"),
                         "description": "Closures and slot-holding (requested or confirmed) bookings, by start."},
            },
        },
        "PhaseProperties": {
            "type": "object",
            "required": ["id", "name", "quartier", "status", "status_label", "move_in", "homes"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "quartier": {"type": "string", "description": "Name of the Quartier; may be empty."},
                "status": {"type": "string", "enum": list(PHASE_STATUS)},
                "status_label": {"type": "string", "description": "German word for `status`."},
                "move_in": nullable("string", format="date", description="When people move in; null when unknown."),
                "homes": {"type": "integer", "minimum": 0},
            },
        },
        "PhaseFeature": {
            "type": "object",
            "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "integer"},
                "geometry": _schema("MultiPolygon"),
                "properties": _schema("PhaseProperties"),
            },
        },
        "PhaseCollection": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": _schema("PhaseFeature")},
            },
        },
        "Quartier": {
            "type": "object",
            "required": ["name", "lon", "lat"],
            "properties": {
                "name": {"type": "string", "description": "Use as `quartier` in /api/spaces."},
                "lon": {"type": "number"},
                "lat": {"type": "number"},
            },
        },
        "Booking": {
            "type": "object",
            "required": ["id", "space_id", "space", "start", "end", "status", "attendees"],
            "properties": {
                "id": {"type": "integer"},
                "space_id": {"type": "integer"},
                "space": {"type": "string"},
                "organisation_id": {"type": ["integer", "null"]},
                "series_id": {"type": ["string", "null"], "description": "UUID of the series, if recurring."},
                "start": {"type": "string", "pattern": LOCAL_MINUTE_PATTERN},
                "end": {"type": "string", "pattern": LOCAL_MINUTE_PATTERN},
                "status": {"type": "string", "enum": ["requested", "confirmed", "declined", "cancelled"]},
                "attendees": {"type": "integer", "minimum": 1},
                "purpose": {"type": "string"},
                "is_public": {"type": "boolean"},
                "decision_note": {"type": "string"},
            },
        },
        "BookingRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["space_id", "organisation_id", "date", "from", "to", "attendees"],
            "properties": {
                "space_id": {"type": "integer"},
                "organisation_id": {"type": "integer", "description": "One of your organisations."},
                "date": {"type": "string", "format": "date", "description": "Local date of the (first) slot."},
                "from": {"type": "string", "pattern": HH_MM_PATTERN, "description": "Local wall-clock start."},
                "to": {"type": "string", "pattern": HH_MM_PATTERN,
                       "description": "Local end, on the same day; before `from` only with `ends_next_day`."},
                "ends_next_day": {"type": "boolean", "default": False,
                                  "description": "The slot runs past midnight and ends on the next day "
                                                 "(`to` at or before `from`, at most 24 hours)."},
                "frequency": {"type": "string", "enum": ["once", "weekly", "biweekly", "monthly"], "default": "once"},
                "until": {"type": "string", "format": "date", "description": "Last possible date of a series."},
                "attendees": {"type": "integer", "minimum": 1},
                "purpose": {"type": "string", "maxLength": 300},
                "is_public": {"type": "boolean", "description": "Show `purpose` as an event title publicly."},
                "fold": {"type": "integer", "enum": [0, 1],
                         "description": "For a wall time that occurs twice when clocks go back: 0 first, 1 second."},
                "skip_conflicts": {"type": "boolean",
                                   "description": "Book the dates that pass and return the others as `skipped`."},
                "dry_run": {"type": "boolean", "default": False,
                            "description": "Check only: answer 200 with every date, whether it can be booked "
                                           "and why not; nothing is written."},
            },
        },
        "SlotVerdict": {
            "type": "object",
            "required": ["start", "end", "ok", "problems", "codes"],
            "properties": {
                "start": {"type": "string"}, "end": {"type": "string"}, "ok": {"type": "boolean"},
                "problems": {"type": "array", "items": {"type": "string"}},
                "codes": {"type": "array", "items": {"type": "string", "enum": SLOT_CODES}},
            },
        },
        "DryRun": {
            "type": "object",
            "required": ["dry_run", "bookable", "slots"],
            "properties": {
                "dry_run": {"const": True},
                "bookable": {"type": "boolean", "description": "Every date can be booked."},
                "slots": {"type": "array", "items": _schema("SlotVerdict")},
            },
        },
        "SlotProblem": {
            "type": "object",
            "required": ["start", "end", "problems"],
            "properties": {
                "start": {"type": "string"}, "end": {"type": "string"},
                "problems": {"type": "array", "items": {"type": "string"}},
                "codes": {"type": "array", "items": {"type": "string", "enum": SLOT_CODES},
                          "description": "The problems as stable codes, in the same order."},
            },
        },
        "BookingCreated": {
            "type": "object",
            "required": ["bookings", "skipped"],
            "properties": {
                "bookings": {"type": "array", "items": _schema("Booking")},
                "skipped": {"type": "array", "items": _schema("SlotProblem")},
                "series_id": {"type": ["string", "null"]},
            },
        },
        "BookingRefusal": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string"},
                "code": {"type": "string", "description": "For recurrence problems: nonexistent, ambiguous, ..."},
                "problems": {"type": "array", "items": _schema("SlotProblem")},
            },
        },
        "OpenAPIDocument": {
            "type": "object",
            "required": ["openapi", "info", "paths"],
            "properties": {"openapi": {"type": "string"}, "info": {"type": "object"}, "paths": {"type": "object"}},
        },
    }


AUTH = [{"bearer": []}, {"session": []}]


def _responses() -> dict:
    return {
        "Unauthorized": _json(_schema("Error"), "Not logged in and no valid API token.",
                              example={"error": "Bitte anmelden."}),
        "Forbidden": _json(_schema("Error"), "Logged in, but not allowed to do this.",
                           example={"error": "Über Anfragen entscheidet nur die Raumverwaltung dieses Raums."}),
        "BookingNotFound": _json(_schema("Error"), "No such booking, or it belongs to another group.",
                                 example={"error": "Diese Buchung gibt es nicht, oder sie gehört einer "
                                                   "anderen Gruppe."}),
        "SpaceNotFound": _json(
            _schema("Error"),
            "No space has this number.",
            example={"error": "Einen Raum mit der Nummer 99999 gibt es nicht."},
        ),
    }


def _paths() -> dict:
    p = lambda name: _ref("parameters", name)  # noqa: E731
    search = ["date", "searchFrom", "searchTo", "capacity", "stepFree", "accessibleWc", "free", "equipment", "kind",
              "searchLat", "searchLon", "quartier", "walk", "bbox", "sort", "limit"]
    return {
        "/api/spaces": {
            "get": {
                "operationId": "listSpaces",
                "tags": ["spaces"],
                "summary": "Spaces matching the filters, as GeoJSON",
                "description": (
                    "Spaces matching every given filter, as a GeoJSON FeatureCollection of points, sorted by "
                    "`sort` and cut at `limit`. Without a date or time window, spaces that have closed for good "
                    "are left out and planned ones included. Unknown parameters are ignored."
                ),
                "parameters": [p(name) for name in search],
                "responses": {
                    "200": _geo_json(_schema("SpaceCollection"), "The matching spaces."),
                    "400": _bad_request(
                        "bbox braucht 4 Zahlen (min_lon,min_lat,max_lon,max_lat), nicht 3.",
                        "Art: unbekannt „xyz“; möglich: " + ", ".join(KINDS) + ".",
                        "Für einen Ort braucht es lat und lon.",
                    ),
                },
            },
        },
        "/api/spaces/nearest": {
            "get": {
                "operationId": "nearestSpaces",
                "tags": ["spaces"],
                "summary": "The spaces nearest to a point",
                "description": (
                    "The `n` spaces nearest to `lat`/`lon` by straight-line distance (nearest first), open or "
                    "planned ones only, each with `distance_m`."
                ),
                "parameters": [p("nearestLat"), p("nearestLon"), p("n")],
                "responses": {
                    "200": _geo_json(_schema("NearestSpaceCollection"), "The nearest spaces."),
                    "400": _bad_request("lat: „“ ist keine Zahl.", "n: bitte 1 bis 200."),
                },
            },
        },
        "/api/spaces/{space_id}": {
            "get": {
                "operationId": "getSpace",
                "tags": ["spaces"],
                "summary": "One space, with opening hours and its next free slot",
                "parameters": [p("spaceId")],
                "responses": {
                    "200": _geo_json(_schema("SpaceDetail"), "The space as a GeoJSON Feature."),
                    "404": _ref("responses", "SpaceNotFound"),
                },
            },
        },
        "/api/spaces/{space_id}/availability": {
            "get": {
                "operationId": "getSpaceAvailability",
                "tags": ["spaces"],
                "summary": "Free and busy intervals of a space",
                "description": (
                    f"Free and publicly visible busy intervals between `from` and `to` (at most {MAX_WINDOW_DAYS} "
                    "days). The space is checked first: an unknown one answers 404 whatever the other parameters."
                ),
                "parameters": [p("spaceId"), p("availabilityFrom"), p("availabilityTo")],
                "responses": {
                    "200": _json(_schema("Availability"), "Free and busy time of the space."),
                    "400": _bad_request(
                        f"Das Zeitfenster ist zu lang: höchstens {MAX_WINDOW_DAYS} Tage.",
                        "from: bitte mit Zeitzone angeben, z. B. 2026-12-01T18:00+01:00.",
                    ),
                    "404": _ref("responses", "SpaceNotFound"),
                },
            },
        },
        "/api/phases": {
            "get": {
                "operationId": "listPhases",
                "tags": ["phases"],
                "summary": "Construction phases, as GeoJSON",
                "description": "Every construction phase (Bauabschnitt) as a MultiPolygon, by move-in date "
                               "(unknown last), then name.",
                "responses": {"200": _geo_json(_schema("PhaseCollection"), "The construction phases.")},
            },
        },
        "/api/quartiers": {
            "get": {
                "operationId": "listQuartiers",
                "tags": ["quartiers"],
                "summary": "Named Quartiere to search near",
                "description": "Every Quartier with its centre, by name; pass a name as `quartier` to /api/spaces.",
                "responses": {
                    "200": _json({"type": "array", "items": _schema("Quartier")}, "The Quartiere."),
                },
            },
        },
        "/api/bookings": {
            "get": {
                "operationId": "listBookings",
                "tags": ["bookings"],
                "summary": "Upcoming bookings of my organisations",
                "security": AUTH,
                "responses": {
                    "200": _json({"type": "object", "required": ["bookings"],
                                  "properties": {"bookings": {"type": "array", "items": _schema("Booking")}}},
                                 "The bookings."),
                    "401": _ref("responses", "Unauthorized"),
                },
            },
            "post": {
                "operationId": "createBooking",
                "tags": ["bookings"],
                "summary": "Book a slot or a weekly/biweekly/monthly series",
                "description": (
                    "Every slot is checked by the booking rules (README, 'When a space is free'): opening hours, "
                    "closures, the space's period, days in advance, not begun, capacity, who may book, overlaps. "
                    "All or nothing, unless `skip_conflicts`; `dry_run` only checks. Members book for their "
                    "groups, QM admins for any group. Instant spaces confirm at once, others answer `requested`. "
                    "Only the listed fields are accepted: anything else is a 400."
                ),
                "security": AUTH,
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": _schema("BookingRequest")}}},
                "responses": {
                    "200": _json(_schema("DryRun"), "With `dry_run`: every date and whether it can be booked."),
                    "201": _json(_schema("BookingCreated"), "Booked (or requested)."),
                    "400": _bad_request("Diese Felder sind hier nicht erlaubt: status."),
                    "401": _ref("responses", "Unauthorized"),
                    "403": _ref("responses", "Forbidden"),
                    "404": _json(_schema("Error"), "No such space."),
                    "409": _json(_schema("BookingRefusal"),
                                 "A slot is taken (seen by the check or by the database's constraint); `problems` "
                                 "lists every refused date."),
                    "422": _json(_schema("BookingRefusal"), "Some slots cannot be booked; `problems` says why."),
                },
            },
        },
        "/api/bookings/{booking_id}": {
            "get": {
                "operationId": "getBooking",
                "tags": ["bookings"],
                "summary": "One booking of my organisation, or of a space I manage",
                "security": AUTH,
                "parameters": [p("bookingId")],
                "responses": {
                    "200": _json(_schema("Booking"), "The booking."),
                    "401": _ref("responses", "Unauthorized"),
                    "404": _ref("responses", "BookingNotFound"),
                },
            },
        },
        "/api/bookings/{booking_id}/cancel": {
            "post": {
                "operationId": "cancelBooking",
                "tags": ["bookings"],
                "summary": "Cancel a booking, or it and the later dates of its series",
                "security": AUTH,
                "parameters": [p("bookingId")],
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"rest_of_series": {"type": "boolean"}}}}}},
                "responses": {
                    "200": _json({"type": "object", "required": ["cancelled"],
                                  "properties": {"cancelled": {"type": "array", "items": _schema("Booking")}}},
                                 "What was cancelled."),
                    "400": _bad_request("Diese Felder sind hier nicht erlaubt: status."),
                    "401": _ref("responses", "Unauthorized"),
                    "403": _ref("responses", "Forbidden"),
                    "404": _ref("responses", "BookingNotFound"),
                    "409": _json(_schema("Error"), "Already cancelled or declined."),
                },
            },
        },
        "/api/bookings/{booking_id}/decision": {
            "post": {
                "operationId": "decideBooking",
                "tags": ["bookings"],
                "summary": "Accept or decline a request (the space's managers)",
                "security": AUTH,
                "parameters": [p("bookingId")],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False, "required": ["accept"],
                    "properties": {"accept": {"type": "boolean"}, "note": {"type": "string", "maxLength": 500}}}}}},
                "responses": {
                    "200": _json(_schema("Booking"), "The decided booking."),
                    "400": _bad_request("accept: true (annehmen) oder false (ablehnen)."),
                    "401": _ref("responses", "Unauthorized"),
                    "403": _ref("responses", "Forbidden"),
                    "404": _ref("responses", "BookingNotFound"),
                    "409": _json(_schema("Error"), "Already decided."),
                },
            },
        },
        "/api/tokens": {
            "post": {
                "operationId": "createToken",
                "tags": ["bookings"],
                "summary": "A personal API token (from a logged-in browser session; shown once)",
                "security": [{"session": []}],
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"name": {"type": "string", "maxLength": 100}}}}}},
                "responses": {
                    "201": _json({"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
                                 "The token; send it as `Authorization: Bearer <token>`."),
                    "401": _ref("responses", "Unauthorized"),
                    "403": _ref("responses", "Forbidden"),
                },
            },
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "getOpenAPI",
                "tags": ["meta"],
                "summary": "This document",
                "responses": {"200": _json(_schema("OpenAPIDocument"), "The OpenAPI 3.1 document of the API.")},
            },
        },
    }


def build_document() -> dict:
    """The OpenAPI 3.1 document of every /api route, as a fresh dict."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Raumfinder API",
            "version": "1",
            "description": (
                "JSON and GeoJSON API of Raumfinder, a finder for rooms and meeting places in the "
                "neighbourhoods of Hannover: searching is open to all, booking needs a login or an API token. "
                "Coordinates are WGS84 longitude/latitude; times are local to "
                "Europe/Berlin. Errors are answered as `{\"error\": \"…\"}` with a German message: 400 for a "
                "wrong parameter, 404 for an unknown space; a path that matches no route (404) or a method "
                "other than GET (405) gets Werkzeug's English text in the same shape."
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": "/", "description": "This server."}],
        "tags": [
            {"name": "spaces", "description": "Rooms and meeting places."},
            {"name": "phases", "description": "Construction phases (Bauabschnitte)."},
            {"name": "quartiers", "description": "Named neighbourhoods."},
            {"name": "bookings", "description": "Booking rooms (login or API token)."},
            {"name": "meta", "description": "About the API itself."},
        ],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(), "parameters": _parameters(), "responses": _responses(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "A personal token from POST /api/tokens; no CSRF token needed."},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "The browser session after logging in; POSTs also need the header "
                                           "X-CSRFToken (from the page's meta csrf-token)."},
            },
        },
    }


@bp.get("/openapi.json")
def document():
    """The OpenAPI 3.1 description of every /api route."""
    return jsonify(build_document())
