"""The finder API's payloads as pydantic models, and the tools every API module checks its input with.

Each query parameter and each field is declared once, here or beside its use (the search
parameters in spaces.finder.search, the booking bodies in spaces.booking.schemas): the same
declaration checks the input, with German messages (HTTP 400), and describes it in
/api/openapi.json (spaces.finder.openapi). The answers are described by models too; the big ones
(/api/spaces, up to thousands of features) are still built as plain dicts (api.FeatureWriter)
for speed, and tests/finder/test_openapi.py holds real answers against their models.
"""

import math
import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from geo.crs import SERVICE_AREA, in_service_area
from spaces.core import availability, days
from spaces.core.availability import BERLIN
from spaces.core.errors import BadParameter
from spaces.core.phrases import phrase
from spaces.extensions import LOCALES
from spaces.finder.week import MAX_WINDOW
from spaces.labels import BOOKING_MODES, EQUIPMENT, KINDS, PHASE_STATUS
from spaces.times import local_day_window

Model = TypeVar("Model", bound=BaseModel)

# ----------------------------------------------------------------------------- checking input

NOT_AN_OBJECT = "Erwartet wird ein JSON-Objekt (Content-Type: application/json)."

# pydantic's own complaints in German, after "<field>: "; {value} is what the client sent.
_COMPLAINTS = {
    "int_type": phrase("„%(value)s“ ist keine ganze Zahl."),
    "int_parsing": phrase("„%(value)s“ ist keine ganze Zahl."),
    "bool_type": phrase("true oder false."),
    "bool_parsing": phrase("true oder false."),
    "string_type": phrase("bitte als Text angeben."),
    "greater_than_equal": phrase("„%(value)s“ ist zu klein."),
    "less_than_equal": phrase("„%(value)s“ ist zu groß."),
}


def german(message: str) -> PydanticCustomError:
    """A validation error whose message is already the German sentence the client sees (a Phrase keeps how it
    was made, for a page in English)."""
    return PydanticCustomError("german", "{message}", {"message": message})


def says(message: str) -> WrapValidator:
    """Whatever is wrong with the field, answer this German `message` ("%(value)s" or "{value}": the value sent;
    a phrase() is said in English on an English page)."""

    def validate(value, handler):
        try:
            return handler(value)
        except ValidationError:
            pattern = getattr(message, "pattern", message).replace("{value}", "%(value)s")
            raise german(phrase(pattern, value=value) if "%(value)s" in pattern else phrase(pattern)) from None

    return WrapValidator(validate)


def german_message(errors: list[dict]) -> tuple[str, str | None]:
    """One German sentence (and the field it names) for what pydantic found wrong: unknown fields first,
    then missing ones, then the first wrong value, named as the client sent it."""

    def named(kind: str) -> list[str]:
        return sorted(str(e["loc"][0]) for e in errors if e["type"] == kind)

    if unknown := named("extra_forbidden"):
        return f"Diese Felder sind hier nicht erlaubt: {', '.join(unknown)}.", unknown[0]
    if missing := named("missing"):
        return f"Es fehlen: {', '.join(missing)}.", missing[0]
    first = errors[0]
    field = str(first["loc"][0]) if first["loc"] else None
    if first["type"] == "german":
        return first["ctx"]["message"], field  # the Phrase itself (first["msg"] is plain text)
    if field is None:  # the body itself: a list, a number, broken JSON
        return NOT_AN_OBJECT, None
    complaint = _COMPLAINTS.get(first["type"], phrase("„%(value)s“ ist kein gültiger Wert."))
    return phrase("%(field)s: %(complaint)s", field=field, complaint=phrase(complaint.pattern, value=first["input"])
                  if "%(value)s" in complaint.pattern else complaint), field


def german_messages(errors: list[dict]) -> list[tuple[str | None, str]]:
    """Every field pydantic found wrong, each with its German sentence: (field, message), the first as
    german_message chooses it, then one per other field."""
    message, field = german_message(errors)
    found = [(field, message)]
    for error in errors:
        name = str(error["loc"][0]) if error["loc"] else None
        if name is not None and name not in {f for f, _ in found}:
            found.append((name, german_message([error])[0]))
    return found


def checked(model: type[Model], data: Any) -> Model:
    """`data` validated by `model`; BadParameter (HTTP 400) with a German message naming the field otherwise
    (and `field_errors`: every wrong field at once)."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        message, field = german_message(errors)
        raise BadParameter(message, field=field, field_errors=german_messages(errors)) from None


class Repeatable:
    """Marks a query parameter that may be given more than once (`kind=hall&kind=room`)."""


class QueryParameters(BaseModel):
    """Parameters of a URL's query string, read as text (a list when repeatable), blank ones left out."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def from_args(cls, args) -> Self:
        """The parameters in `args` (request.args, a MultiDict or a dict), checked: BadParameter when one is wrong."""
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if any(isinstance(m, Repeatable) for m in field.metadata):
                raw = args.getlist(key) if hasattr(args, "getlist") else [args.get(key) or ""]
                value: Any = [v for v in raw if v.strip()]
            else:
                value = (args.get(key) or "").strip()
            if value or field.is_required():  # a required one that is missing: its own check says so
                values[key] = value
        return checked(cls, values)


# ----------------------------------------------------------------------------- query parameter types
#
# Each factory returns one annotated type: how the text is read, the German messages, and the
# limits the document shows.

FLAG_ON, FLAG_OFF = ("1", "true", "on", "ja", "yes"), ("0", "false", "off", "nein", "no")
FLAG_VALUES = (f"On for {', '.join(FLAG_ON)}; off for {', '.join(FLAG_OFF)} or empty (case-insensitive); "
               "any other value: 400 („… verstehe ich nicht; bitte 1 (ja) oder 0 (nein).“).")
HH_MM_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"  # 00:00 to 23:59


def whole_number(label: str, lo: int, hi: int):
    """A whole number from `lo` to `hi`; the German messages call it `label`."""

    def read(text: str) -> int:
        if isinstance(text, str) and not text.strip():
            raise german(phrase("%(label)s: bitte eine Zahl von %(lo)s bis %(hi)s angeben.", label=label, lo=lo, hi=hi))
        try:
            number = int(text)
        except ValueError:
            raise german(phrase("%(label)s: „%(text)s“ ist keine ganze Zahl.", label=label, text=text)) from None
        if not lo <= number <= hi:
            raise german(phrase("%(label)s: bitte eine Zahl von %(lo)s bis %(hi)s.", label=label, lo=lo, hi=hi))
        return number

    return Annotated[int, Field(ge=lo, le=hi), BeforeValidator(read)]


def _finite(text: str, label: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise german(phrase("%(label)s: „%(text)s“ ist keine Zahl.", label=label, text=text)) from None
    if not math.isfinite(number):
        raise german(phrase("%(label)s: „%(text)s“ ist keine endliche Zahl.", label=label, text=text))
    return number


def coordinate(label: str):
    """A WGS84 latitude or longitude (`label` is "lat" or "lon"); the service area is checked on the pair."""
    lon_min, lat_min, lon_max, lat_max = SERVICE_AREA
    lo, hi = (lat_min, lat_max) if label == "lat" else (lon_min, lon_max)
    # Documented bounds, checked by in_service_area with both values, so that swapped ones get a hint.
    return Annotated[float, BeforeValidator(lambda text: _finite(text, label)),
                     Field(json_schema_extra={"minimum": lo, "maximum": hi})]


def place(lat: float, lon: float) -> tuple[float, float]:
    """The point (lon, lat) when it lies in the service area; a German validation error otherwise."""
    if not in_service_area(lon, lat):
        if in_service_area(lat, lon):
            raise german(phrase("Der Ort lat=%(lat)s, lon=%(lon)s liegt außerhalb des Gebiets des Dienstes. Sind lat "
                                "und lon vertauscht?", lat=lat, lon=lon))
        raise german(phrase("Der Ort lat=%(lat)s, lon=%(lon)s liegt außerhalb des Gebiets des Dienstes.", lat=lat,
                            lon=lon))
    return lon, lat


def _flag(text: str, info: ValidationInfo) -> bool:
    value = text.strip().lower()
    if value not in FLAG_ON + FLAG_OFF:
        raise german(phrase("%(name)s: „%(value)s“ verstehe ich nicht; bitte 1 (ja) oder 0 (nein).",
                            name=info.field_name, value=value))
    return value in FLAG_ON


Flag = Annotated[bool, BeforeValidator(_flag)]


def codes(known: dict, label: str):
    """Codes from `known`, repeated or separated by commas; the German messages call them `label`."""

    def read(texts: list[str]) -> tuple[str, ...]:
        values = [v.strip() for text in texts for v in text.split(",") if v.strip()]
        if unknown := [v for v in values if v not in known]:
            raise german(phrase("%(label)s: unbekannt „%(unknown)s“; möglich: %(known)s.", label=label,
                                unknown=", ".join(unknown), known=", ".join(known)))
        return tuple(dict.fromkeys(values))

    return Annotated[tuple[Literal[tuple(known)], ...], BeforeValidator(read), Repeatable(),
                     Field(json_schema_extra={"uniqueItems": True})]


def local_day(label: str, first: date, last: date):
    """A local date YYYY-MM-DD from `first` to `last`."""

    def read(text: str) -> date:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise german(phrase("%(label)s: „%(text)s“ ist kein Datum (erwartet JJJJ-MM-TT).", label=label,
                                text=text)) from None
        if not first <= day <= last:
            raise german(phrase("%(label)s: bitte zwischen %(first)s und %(last)s.", label=label,
                                first=f"{first:%d.%m.%Y}", last=f"{last:%d.%m.%Y}"))
        return day

    return Annotated[date, BeforeValidator(read)]


def wall_clock(label: str, *, may_end_day: bool = False):
    """A local wall-clock time H, HH or HH:MM; 24:00 (None: midnight at the end of the day) only if `may_end_day`."""

    def read(text: str) -> time | None:
        if text in ("24:00", "24"):
            if may_end_day:
                return None
            raise german(phrase("%(label)s: 24:00 ist das Ende eines Tages; ein Zeitfenster beginnt spätestens "
                                "23:59.", label=label))
        match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?", text)
        try:
            if match is None:
                raise ValueError(text)
            return time(int(match[1]), int(match[2] or 0))
        except ValueError:
            raise german(phrase("%(label)s: „%(text)s“ ist keine Uhrzeit (erwartet HH:MM).", label=label,
                                text=text)) from None

    pattern = r"([01]?[0-9]|2[0-3])(:[0-5][0-9])?"  # H, HH or HH:MM up to 23:59; the end of a window also 24:00
    pattern = f"^({pattern}|24(:00)?)$" if may_end_day else f"^{pattern}$"
    return Annotated[time | None, BeforeValidator(read), WithJsonSchema({"type": "string", "pattern": pattern})]


def _bounding_box(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    if len(parts) != 4:
        raise german(phrase("bbox braucht 4 Zahlen (min_lon,min_lat,max_lon,max_lat), nicht %(n)s.", n=len(parts)))
    min_lon, min_lat, max_lon, max_lat = (_finite(p.strip(), "bbox") for p in parts)
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise german(phrase("bbox: Länge muss zwischen -180 und 180, Breite zwischen -90 und 90 liegen."))
    if min_lon >= max_lon or min_lat >= max_lat:
        raise german(phrase("bbox: erst die kleinere Länge und Breite (Südwest), dann die größere (Nordost)."))
    return min_lon, min_lat, max_lon, max_lat


# Not repeatable: one parameter, four numbers separated by commas (OpenAPI: explode false).
BoundingBox = Annotated[tuple[float, float, float, float], BeforeValidator(_bounding_box),
                        WithJsonSchema({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4})]


def moment(label: str, *, end: bool = False):
    """A date (its local midnight; with `end` the midnight after it) or an ISO 8601 date-time with offset."""

    def read(text: str) -> datetime:
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
            else:
                value = datetime.fromisoformat(text)
                day = value.date()
        except ValueError:
            raise german(f"{label}: „{text}“ ist weder Datum (JJJJ-MM-TT) noch Zeitpunkt (ISO 8601).") from None
        if not days.plausible(day):
            raise german(f"{label}: bitte ein Datum {days.range_text()}.")
        if len(text) == 10:
            return local_day_window(day, day).end if end else local_day_window(day, day).start
        if value.tzinfo is None:
            raise german(f"{label}: bitte mit Zeitzone angeben, z. B. 2026-12-01T18:00+01:00.")
        return value

    return Annotated[datetime, BeforeValidator(read), WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]})]


# ----------------------------------------------------------------------------- query parameters

NEAREST_DEFAULT, NEAREST_MAX = 20, 200


class Language(QueryParameters):
    """The language of the labels in an answer; spaces.extensions.select_locale reads it, on every page."""

    lang: Literal[LOCALES] | None = Field(None, description=(
        "`en` for English labels (`kind_label`, `booking_mode_label`, `status_label`, ...), `de` for German (the "
        "default); remembered in the session cookie. Other values are ignored."))


class NearestQuery(QueryParameters):
    """The parameters of /api/spaces/nearest."""

    lat: coordinate("lat") = Field(description="Latitude of the point (WGS84, inside the service area; "
                                               "outside it: 400, with a hint when lat and lon look swapped).",
                                   examples=[52.37])
    lon: coordinate("lon") = Field(description="Longitude of the point.", examples=[9.73])
    n: whole_number("n", 1, NEAREST_MAX) = Field(NEAREST_DEFAULT, description="How many spaces.")

    @model_validator(mode="after")
    def _in_service_area(self) -> Self:
        place(self.lat, self.lon)
        return self


MAX_ZOOM = 22


class ClusterQuery(QueryParameters):
    """The map's zoom level, for /api/spaces/clusters."""

    zoom: whole_number("zoom", 0, MAX_ZOOM) = Field(
        description="The map's zoom level (Leaflet/OSM, 0 = the whole world in one 256-pixel tile): spaces are "
                    "counted per grid cell about 60 screen pixels wide at this zoom.", examples=[12])


class AvailabilityQuery(QueryParameters):
    """The parameters of /api/spaces/{space_id}/availability."""

    start: moment("from") | None = Field(
        None, alias="from", examples=["2026-12-01"],
        description="Start: a date YYYY-MM-DD (local midnight, Europe/Berlin) or an ISO 8601 date-time with offset "
                    "(encode `+` as `%2B`). Default: today.")
    end: moment("to", end=True) | None = Field(
        None, alias="to", examples=["2026-12-02"],
        description=f"End: a date YYYY-MM-DD means the local midnight after that day (the day is included), or an "
                    f"ISO 8601 date-time with offset. Default: six days after the day of `from`, so a week. Must be "
                    f"after `from` and at most {MAX_WINDOW.days} days after it.")

    def window(self, today: date) -> availability.Interval:
        """The asked window, defaults filled in; BadParameter when it is empty or too long."""
        start = self.start or local_day_window(today, today).start
        last_day = start.astimezone(BERLIN).date() + timedelta(days=6)
        end = self.end or local_day_window(last_day, last_day).end
        if end <= start:
            raise BadParameter("Das Zeitfenster endet, bevor es beginnt: „to“ muss nach „from“ liegen.", field="to")
        if end - start > MAX_WINDOW:
            raise BadParameter(f"Das Zeitfenster ist zu lang: höchstens {MAX_WINDOW.days} Tage.", field="to")
        return availability.Interval(start, end)


# ----------------------------------------------------------------------------- answers

LOCAL_MINUTE_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[+-]\d{2}:\d{2}$"

LocalDateTime = Annotated[str, Field(
    pattern=LOCAL_MINUTE_PATTERN, examples=["2026-12-01T18:00+01:00"],
    description="An instant in Europe/Berlin time to the minute with its offset (ISO 8601, no seconds).")]
Position = Annotated[list[float], Field(min_length=2, max_length=2,
                                        description="[longitude, latitude] in WGS84 (EPSG:4326).")]


class FieldError(BaseModel):
    """One wrong parameter and what is wrong with it."""

    field: str | None = Field(description="The parameter, as the client sent it.")
    message: str = Field(description="What is wrong, in German.")


class Error(BaseModel):
    """An error: a German message and, for domain errors, a stable code."""

    model_config = ConfigDict(json_schema_extra={
        "examples": [{"error": "bbox braucht 4 Zahlen (min_lon,min_lat,max_lon,max_lat), nicht 3."}]})

    error: str = Field(description="What went wrong, in German.")
    code: str | None = Field(None, description="A stable code for clients (domain errors).")
    errors: list[FieldError] | None = Field(
        None, description="When more than one parameter is wrong: every one of them (the first is `error`).")


class Interval(BaseModel):
    """A half-open interval [start, end)."""

    start: LocalDateTime
    end: LocalDateTime


class BusyInterval(Interval):
    """Time that is not free: a booking holding its slot, or a closure."""

    title: str = Field(description="The purpose of a public confirmed event, the reason of a closure, "
                                   "otherwise `belegt`.")
    kind: Literal["booking", "closure"]


class OpeningHours(BaseModel):
    """One weekly opening, in local wall-clock time."""

    weekday: int = Field(ge=0, le=6, description="0 = Monday.")
    opens: str = Field(pattern=HH_MM_PATTERN)
    closes: str = Field(pattern=HH_MM_PATTERN, description="Not after `opens`: open past midnight.")


class Point(BaseModel):
    """A GeoJSON Point."""

    type: Literal["Point"]
    coordinates: Position


class MultiPolygon(BaseModel):
    """A GeoJSON MultiPolygon: polygons of rings of at least four positions (the last repeats the first)."""

    type: Literal["MultiPolygon"]
    coordinates: list[list[Annotated[list[Position], Field(min_length=4)]]]


class SpaceProperties(BaseModel):
    """What every answer tells of a space."""

    # api.FeatureWriter builds these as plain dicts (thousands per answer); tests hold them to this model.

    id: int
    name: str
    kind: str = Field(description=f"Kind code, e.g. one of {', '.join(KINDS)}.")
    kind_label: str = Field(description="German word for `kind` (the code itself when it has none).")
    capacity: int = Field(ge=1, description="People the space holds.")
    area_m2: float | None = Field(description="Floor area in square metres, null when unknown.")
    floor: str | None = Field(description="Floor, e.g. `EG`; null when unknown.")
    step_free: bool
    accessible_wc: bool
    equipment: list[str] = Field(description=f"Equipment codes, e.g. {', '.join(EQUIPMENT)}.")
    booking_mode: Literal[tuple(BOOKING_MODES)]
    booking_mode_label: str = Field(description="German words for `booking_mode`.")
    cost_eur: float | None = Field(ge=0, description="Cost in euro; 0 free of charge, null unknown.")
    available_from: date | None = Field(description="First day of a planned or temporary space.")
    available_until: date | None = Field(description="Last day of a temporary space.")
    period_label: str = Field(description="German period, e.g. `ab Sept. 2027`, `bis Dez. 2026`; empty when always.")
    organisation: str = Field(description="Name of the organisation that offers the space.")
    address: str
    url: str = Field(json_schema_extra={"format": "uri-reference"},
                     description="The space's HTML page, e.g. /raeume/1.")
    distance_m: int | None = Field(None, ge=0, description=(
        "Distance in metres to the place searched near, only with one: walked on the street network when the "
        "collection's `walk_method` is `network`, else straight-line."))


class SearchedSpaceProperties(SpaceProperties):
    """A space found by /api/spaces."""

    free_now: bool = Field(description="Whether the space is open and neither closed nor booked in the current "
                                       "minute.")


class NearestSpaceProperties(SpaceProperties):
    """A space found by /api/spaces/nearest."""

    distance_m: int = Field(ge=0, description="Straight-line distance in metres to the point.")


class SpaceDetailProperties(SpaceProperties):
    """One space, with what only /api/spaces/{space_id} tells."""

    next_free: Interval | None = Field(description=(
        "Its first free slot of at least an hour in the next 14 days (the booking rules' free time: opening hours, "
        "period, advance window, not begun, closures, bookings), null when there is none."))
    bookable: bool = Field(description="Whether anyone may book it now or later (its booking mode, period and "
                                       "advance window allow it).")
    opening_hours: list[OpeningHours] = Field(description="Its weekly opening hours.")


class SpaceFeature(BaseModel):
    """A space as a GeoJSON Feature."""

    type: Literal["Feature"]
    id: int = Field(description="The space's number, as in `properties.id`.")
    geometry: Point
    properties: SpaceProperties


class SearchedSpaceFeature(SpaceFeature):
    """A space found by /api/spaces, as a GeoJSON Feature."""

    properties: SearchedSpaceProperties


class NearestSpaceFeature(SpaceFeature):
    """A space found by /api/spaces/nearest, as a GeoJSON Feature."""

    properties: NearestSpaceProperties


class SpaceDetail(SpaceFeature):
    """One space as a GeoJSON Feature, with opening hours and its next free slot."""

    properties: SpaceDetailProperties


class SpaceCollection(BaseModel):
    """The spaces matching a search."""

    type: Literal["FeatureCollection"]
    features: list[SearchedSpaceFeature]
    total: int = Field(ge=0, description="How many spaces match in all; `features` holds the first `limit`.")
    limit: int = Field(description="The limit applied.")
    truncated: bool = Field(description="Whether there are more spaces than `limit`.")
    walk_method: Literal["network", "straight_line"] | None = Field(
        None, description="With a place searched near: how `walk` was measured: `network` (metres walked on the "
                          "street network, at most walk × 80 m; `distance_m` is that walk) or `straight_line` (no "
                          "network loaded or the place is outside it: straight line × 1.3 at most walk × 80 m). "
                          "Absent without a place.")


class MapPointProperties(BaseModel):
    """What a map marker and its popup show; the rest loads on demand from /api/spaces/{space_id}."""

    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    kind: str = Field(description="room, hall, outdoor, …")
    capacity: int
    step_free: bool
    accessible_wc: bool
    available_from: date | None = Field(None, description="First day of a planned or temporary space (else absent).")
    available_until: date | None = Field(None, description="Last day of a temporary space (else absent).")
    free_now: bool = Field(description="Free from now for at least a minute.")
    distance_m: int | None = Field(None, description="Metres from the place searched near (else absent): walked on "
                                                     "the street network when one is loaded, else straight-line.")


class MapPoint(BaseModel):
    """A space as a GeoJSON point for the map."""

    type: Literal["Feature"]
    id: int
    geometry: Point
    properties: MapPointProperties


class MapPointCollection(BaseModel):
    """The spaces of a map view, built in PostGIS, cut at `limit`."""

    type: Literal["FeatureCollection"]
    total: int = Field(ge=0, description="How many spaces match in all.")
    limit: int = Field(description="The limit applied.")
    truncated: bool = Field(description="Whether `total` is more than `limit` (the map then shows counts).")
    features: list[MapPoint]


class ClusterProperties(BaseModel):
    """How many matching spaces a grid cell holds."""

    count: int = Field(ge=1, description="Matching spaces in the cell.")
    id: int | None = Field(description="The space, when the cell holds exactly one; else null.")


class ClusterFeature(BaseModel):
    """A grid cell with matching spaces, as a GeoJSON point at the mean position of its spaces."""

    type: Literal["Feature"]
    geometry: Point
    properties: ClusterProperties


class ClusterCollection(BaseModel):
    """Every space matching a search, counted per grid cell (nothing is cut: the counts add up to `total`)."""

    type: Literal["FeatureCollection"]
    zoom: int = Field(description="The zoom level asked for.")
    cell_m: float = Field(description="Side of a grid cell in Web-Mercator metres (EPSG:3857).")
    total: int = Field(ge=0, description="All matching spaces: the sum of the counts.")
    features: list[ClusterFeature] = Field(description="The cells with at least one matching space, fullest first.")


class NearestSpaceCollection(BaseModel):
    """The spaces nearest to a point, nearest first."""

    type: Literal["FeatureCollection"]
    features: list[NearestSpaceFeature]


class Availability(BaseModel):
    """Free and busy time of a space in a window."""

    space_id: int
    start: LocalDateTime = Field(alias="from")
    end: LocalDateTime = Field(alias="to")
    free: list[Interval] = Field(description="Open and neither closed nor booked, in time order.")
    busy: list[BusyInterval] = Field(description="Closures and slot-holding (requested or confirmed) bookings, "
                                                 "by start.")


class PhaseProperties(BaseModel):
    """A construction phase (Bauabschnitt)."""

    id: int
    name: str
    quartier: str = Field(description="Name of the Quartier; may be empty.")
    status: Literal[tuple(PHASE_STATUS)]
    status_label: str = Field(description="German word for `status`.")
    move_in: date | None = Field(description="When people move in; null when unknown.")
    homes: int = Field(ge=0)


class PhaseFeature(BaseModel):
    """A construction phase as a GeoJSON Feature."""

    type: Literal["Feature"]
    id: int
    geometry: MultiPolygon
    properties: PhaseProperties


class PhaseCollection(BaseModel):
    """Every construction phase."""

    type: Literal["FeatureCollection"]
    features: list[PhaseFeature]


class Quartier(BaseModel):
    """A named Quartier with its centre."""

    name: str = Field(description="Use as `quartier` in /api/spaces.")
    lon: float
    lat: float


class Quartiers(RootModel[list[Quartier]]):
    """Every Quartier, by name."""


class OpenAPIDocument(BaseModel):
    """An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0)."""

    openapi: str
    info: dict
    servers: list[dict]
    tags: list[dict]
    paths: dict
    components: dict
