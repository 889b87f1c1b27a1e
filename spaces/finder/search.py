"""What a resident searches for: parsed and checked from URL parameters (form and API alike)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from geo.crs import in_service_area
from spaces.core.availability import BERLIN, wall_time_to_utc
from spaces.core.errors import BadParameter
from spaces.labels import EQUIPMENT, KINDS

SORTS = ("name", "distance", "capacity")
MAX_WALK_MINUTES = 120
DEFAULT_WALK_MINUTES = 15
MAX_LIMIT = 5000
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


@dataclass(frozen=True)
class TimeWindow:
    """A window on one local day, [start, end) in UTC, with its local parts for opening-hour checks."""

    day: date
    starts: time
    ends: time | None  # None: until midnight
    start: datetime
    end: datetime

    @property
    def weekday(self) -> int:
        """Weekday of the local day, 0 = Monday."""
        return self.day.weekday()

    @property
    def before(self) -> int:
        """Weekday of the local day before (its openings may run past midnight into this one)."""
        return (self.day.weekday() - 1) % 7

    @classmethod
    def local(cls, day: date, starts: time, ends: time | None) -> TimeWindow:
        end_day, end_time = (day + timedelta(days=1), time(0)) if ends is None else (day, ends)
        start, end = wall_time_to_utc(day, starts, BERLIN), wall_time_to_utc(end_day, end_time, BERLIN)
        if end <= start:
            raise BadParameter("Das Zeitfenster endet, bevor es beginnt: bitte „bis“ nach „von“ wählen.")
        return cls(day, starts, ends, start, end)

    @classmethod
    def around(cls, moment: datetime, minutes: int = 1) -> TimeWindow:
        """The window from `moment` for a few minutes, e.g. to ask whether a space is free now."""
        local = moment.astimezone(BERLIN)
        end = (local + timedelta(minutes=minutes))
        ends = None if end.date() != local.date() else end.time().replace(second=0, microsecond=0)
        starts = local.time().replace(second=0, microsecond=0)
        if ends is not None and ends <= starts:
            ends = None
        return cls.local(local.date(), starts, ends)


@dataclass(frozen=True)
class SpaceSearch:
    """A search for spaces: every field optional, all checked."""

    day: date | None = None
    window: TimeWindow | None = None
    min_capacity: int | None = None
    step_free: bool = False
    accessible_wc: bool = False
    equipment: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    free_of_charge: bool = False
    near: tuple[float, float] | None = None  # lon, lat
    near_label: str = ""
    walk_minutes: int = DEFAULT_WALK_MINUTES
    bbox: tuple[float, float, float, float] | None = None
    sort: str = "name"
    limit: int = 1000
    quartier_id: int | None = None
    raw: dict = field(default_factory=dict, compare=False)


TRUE, FALSE = ("1", "true", "on", "ja", "yes"), ("", "0", "false", "off", "nein", "no")


def _flag(args, name: str) -> bool:
    value = (args.get(name) or "").strip().lower()
    if value not in TRUE + FALSE:
        raise BadParameter(f"{name}: „{value}“ verstehe ich nicht; bitte 1 (ja) oder 0 (nein).")
    return value in TRUE


def _int(args, name: str, label: str, lo: int, hi: int) -> int | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadParameter(f"{label}: „{value}“ ist keine ganze Zahl.") from None
    if not lo <= number <= hi:
        raise BadParameter(f"{label}: bitte eine Zahl von {lo} bis {hi}.")
    return number


def _float(value: str, label: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise BadParameter(f"{label}: „{value}“ ist keine Zahl.") from None
    if not math.isfinite(number):
        raise BadParameter(f"{label}: „{value}“ ist keine endliche Zahl.")
    return number


def _time(value: str, label: str) -> time | None:
    value = value.strip()
    if value in ("24:00", "24"):
        return None
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?", value)
    try:
        if match is None:
            raise ValueError(value)
        return time(int(match[1]), int(match[2] or 0))
    except ValueError:
        raise BadParameter(f"{label}: „{value}“ ist keine Uhrzeit (erwartet HH:MM).") from None


def _codes(args, name: str, known: dict, label: str) -> tuple[str, ...]:
    values = []
    for raw in args.getlist(name) if hasattr(args, "getlist") else [args.get(name, "")]:
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    unknown = [v for v in values if v not in known]
    if unknown:
        raise BadParameter(f"{label}: unbekannt „{', '.join(unknown)}“; möglich: {', '.join(known)}.")
    return tuple(dict.fromkeys(values))


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """A bounding box `min_lon,min_lat,max_lon,max_lat` in WGS84, or BadParameter."""
    parts = [p for p in value.split(",")]
    if len(parts) != 4:
        raise BadParameter(f"bbox braucht 4 Zahlen (min_lon,min_lat,max_lon,max_lat), nicht {len(parts)}.")
    min_lon, min_lat, max_lon, max_lat = (_float(p.strip(), "bbox") for p in parts)
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise BadParameter("bbox: Länge muss zwischen -180 und 180, Breite zwischen -90 und 90 liegen.")
    if min_lon >= max_lon or min_lat >= max_lat:
        raise BadParameter("bbox: erst die kleinere Länge und Breite (Südwest), dann die größere (Nordost).")
    return min_lon, min_lat, max_lon, max_lat


def parse_point(lat_value: str, lon_value: str) -> tuple[float, float]:
    """A point (lon, lat) in the service area from lat/lon parameters, or BadParameter."""
    lat, lon = _float(lat_value, "lat"), _float(lon_value, "lon")
    if not in_service_area(lon, lat):
        hint = " Sind lat und lon vertauscht?" if in_service_area(lat, lon) else ""
        raise BadParameter(f"Der Ort lat={lat}, lon={lon} liegt außerhalb des Gebiets des Dienstes.{hint}")
    return lon, lat


def _when(args, today: date) -> dict:
    """The day and time window of a search (date, from, to), checked."""
    values: dict = {}
    day_value = (args.get("date") or "").strip()
    from_value, to_value = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if day_value:
        try:
            values["day"] = date.fromisoformat(day_value)
        except ValueError:
            raise BadParameter(f"Datum: „{day_value}“ ist kein Datum (erwartet JJJJ-MM-TT).") from None
        if not FIRST_DAY <= values["day"] <= LAST_DAY:
            raise BadParameter(f"Datum: bitte zwischen {FIRST_DAY:%d.%m.%Y} und {LAST_DAY:%d.%m.%Y}.")
    elif from_value or to_value:
        values["day"] = today
    if from_value or to_value:
        starts = _time(from_value or "00:00", "von")
        if starts is None:
            raise BadParameter("von: 24:00 ist das Ende eines Tages; ein Zeitfenster beginnt spätestens 23:59.")
        ends = _time(to_value, "bis") if to_value else None
        values["window"] = TimeWindow.local(values["day"], starts, ends)
    return values


def parse_search(args, *, today: date, quartiers=None) -> SpaceSearch:
    """A SpaceSearch from request arguments; BadParameter (HTTP 400) with a German message when one is wrong."""
    values: dict = {"raw": {k: args.get(k) for k in args.keys()}, **_when(args, today)}  # noqa: SIM118 (any .keys)

    values["min_capacity"] = _int(args, "capacity", "Personen", 1, 10_000)
    values["step_free"] = _flag(args, "step_free")
    values["accessible_wc"] = _flag(args, "accessible_wc")
    values["free_of_charge"] = _flag(args, "free")
    values["equipment"] = _codes(args, "equipment", EQUIPMENT, "Ausstattung")
    values["kinds"] = _codes(args, "kind", KINDS, "Art")

    lat_value, lon_value = (args.get("lat") or "").strip(), (args.get("lon") or "").strip()
    quartier = (args.get("quartier") or "").strip()
    if bool(lat_value) != bool(lon_value):
        raise BadParameter("Für einen Ort braucht es lat und lon.")
    if lat_value:
        values["near"] = parse_point(lat_value, lon_value)
        values["near_label"] = "gewählter Ort"
    elif quartier:
        # `quartiers` maps a name to (id, lon, lat): a dict, or anything with .get (asked only when needed).
        found = (quartiers or {}).get(quartier)
        if found is None:
            raise BadParameter(f"Quartier „{quartier}“ ist nicht bekannt.")
        values["quartier_id"], lon, lat = found
        values["near"], values["near_label"] = (lon, lat), quartier
    walk = _int(args, "walk", "Minuten zu Fuß", 1, MAX_WALK_MINUTES)
    if walk is not None:
        values["walk_minutes"] = walk

    if bbox := (args.get("bbox") or "").strip():
        values["bbox"] = parse_bbox(bbox)
    sort = (args.get("sort") or "").strip() or ("distance" if values.get("near") else "name")
    if sort not in SORTS:
        raise BadParameter(f"Sortierung „{sort}“ gibt es nicht; möglich: {', '.join(SORTS)}.")
    if sort == "distance" and not values.get("near"):
        raise BadParameter("Nach Entfernung sortieren geht nur mit einem Ort (Quartier oder Klick auf die Karte).")
    values["sort"] = sort
    limit = _int(args, "limit", "limit", 1, MAX_LIMIT)
    if limit is not None:
        values["limit"] = limit
    return SpaceSearch(**values)
