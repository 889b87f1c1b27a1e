"""What a resident searches for: the parameters (SpaceQuery, declared once for checking and for /api/openapi.json)
and the SpaceSearch made of them, for the map page and the API alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from geo.walking import DETOUR_FACTOR, WALKING_SPEED_M_PER_MIN
from spaces.core.availability import BERLIN, wall_time_to_utc
from spaces.core.days import FIRST_DAY, LAST_DAY
from spaces.core.errors import BadParameter
from spaces.core.phrases import phrase
from spaces.finder.schemas import (
    FLAG_VALUES,
    BoundingBox,
    Flag,
    QueryParameters,
    codes,
    coordinate,
    german,
    local_day,
    place,
    says,
    wall_clock,
    whole_number,
)
from spaces.labels import EQUIPMENT, KINDS

SORTS = ("name", "distance", "capacity")
MAX_CAPACITY = 10_000
MAX_WALK_MINUTES = 120
DEFAULT_WALK_MINUTES = 15
MAX_LIMIT = 5000
DEFAULT_LIMIT = 1000


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
            raise BadParameter(phrase("Das Zeitfenster endet, bevor es beginnt: bitte „bis“ nach „von“ wählen."),
                               field="to")
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
    limit: int = DEFAULT_LIMIT
    quartier_id: int | None = None
    raw: dict = field(default_factory=dict, compare=False)
    # {space_id: metres walked on the street network} within walk_minutes of `near`, when a network is loaded
    # (spaces.walking.network.reach; service.current_search fills it in); None: the straight-line rule.
    walk_reach: dict[int, float] | None = field(default=None, compare=False, repr=False)

    @property
    def walk_method(self) -> str:
        """How "within N minutes on foot" is decided: "network" (metres on the street network <= N x 80) or
        "straight_line" (straight line x 1.3 detour <= N x 80, geo.walking)."""
        return "network" if self.walk_reach is not None else "straight_line"


class SpaceQuery(QueryParameters):
    """The search parameters of /api/spaces and of the map page /: read, checked and documented from here."""

    day: local_day(phrase("Datum"), FIRST_DAY, LAST_DAY) | None = Field(
        None, alias="date", examples=["2026-12-01"],
        description="Local day (Europe/Berlin), YYYY-MM-DD. Alone: spaces that exist on that day and have opening "
                    "hours on its weekday. With `from`/`to`: the day of the time window (default: today).")
    starts: wall_clock(phrase("von")) = Field(
        None, alias="from", examples=["18:00"],
        description="Start of the time window, local wall-clock time HH:MM (a bare hour such as `18` also works) on "
                    "`date`. Only spaces free during the whole window are listed: existing that day, covered by one "
                    "opening (also one running past midnight), neither closed nor booked. Without `from` but with "
                    "`to` the window starts at 00:00; `24:00` is refused (a window starts at 23:59 at the latest).")
    ends: wall_clock(phrase("bis"), may_end_day=True) = Field(
        None, alias="to", examples=["20:00"],
        description="End of the time window, local wall-clock time HH:MM, after `from`; `24:00` (or `24`) and "
                    "leaving it out with `from` given mean midnight at the end of `date`.")
    capacity: whole_number(phrase("Personen"), 1, MAX_CAPACITY) | None = Field(
        None, description="Minimum number of people the space holds.")
    step_free: Flag = Field(False, description=f"Only spaces reachable without steps. {FLAG_VALUES}")
    accessible_wc: Flag = Field(False, description=f"Only spaces with an accessible WC. {FLAG_VALUES}")
    free: Flag = Field(False, description="Only spaces free of charge (`cost_eur` = 0; spaces with unknown cost are "
                                          f"left out). {FLAG_VALUES}")
    equipment: codes(EQUIPMENT, phrase("Ausstattung")) = Field(
        (), description="Equipment the space must have, all of them (AND). Repeat the parameter or separate codes "
                        "with commas.")
    kind: codes(KINDS, phrase("Art")) = Field(
        (), description="Kinds of space, any of them (OR). Repeat the parameter or separate codes with commas.")
    lat: coordinate("lat") | None = Field(
        None, examples=[52.37],
        description="Latitude of a place to search near, with `lon` (WGS84, inside the service area; outside it: "
                    "400, with a hint when lat and lon look swapped). Takes precedence over `quartier`.")
    lon: coordinate("lon") | None = Field(None, examples=[9.73], description="Longitude of a place to search near, "
                                                                              "with `lat`.")
    quartier: str = Field("", examples=["Linden-Mitte"], description=(
        "Name of a Quartier from /api/quartiers to search near its centre (exact match); ignored when `lat`/`lon` "
        "are given. Unknown: 400."))
    walk: whole_number(phrase("Minuten zu Fuß"), 1, MAX_WALK_MINUTES) = Field(
        DEFAULT_WALK_MINUTES,
        description=f"With a place (`lat`/`lon` or `quartier`): only spaces within this many minutes on foot: "
                    f"minutes × {WALKING_SPEED_M_PER_MIN:g} m walked on the street network when one is loaded, else "
                    f"a straight line of minutes × {WALKING_SPEED_M_PER_MIN:g} m / {DETOUR_FACTOR:g}; the answer's "
                    f"`walk_method` says which. Without a place it is checked but has no effect.")
    bbox: BoundingBox | None = Field(
        None, examples=[[9.6, 52.3, 9.9, 52.45]],
        description="Bounding box `min_lon,min_lat,max_lon,max_lat` (WGS84, south-west corner first).")
    sort: Annotated[Literal[SORTS] | None, says(phrase(
        "Sortierung „%(value)s“ gibt es nicht; möglich: name, distance, capacity."))
                    ] = Field(None, description="Order of the spaces. Default: `distance` when a place is given, "
                                                "`name` otherwise; `distance` needs a place.")
    limit: whole_number("limit", 1, MAX_LIMIT) = Field(DEFAULT_LIMIT, description="At most this many spaces.")

    @model_validator(mode="after")
    def _a_place_is_a_pair(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise german(phrase("Für einen Ort braucht es lat und lon."))
        if self.lat is not None:
            place(self.lat, self.lon)
        return self


def _when(query: SpaceQuery, today: date) -> tuple[date | None, TimeWindow | None]:
    """The day and time window of a search: a window as soon as `from` or `to` is given, on `date` or today."""
    if query.day is not None and query.day < today:  # nothing is free in the past: say so, not "nothing found"
        raise BadParameter(phrase("Der %(day)s ist schon vorbei. Bitte heute oder einen späteren Tag wählen.",
                                  day=f"{query.day:%d.%m.%Y}"),
                           field="date")
    if not {"starts", "ends"} & query.model_fields_set:
        return query.day, None
    day = query.day or today
    return day, TimeWindow.local(day, query.starts or time(0), query.ends)


def _near(query: SpaceQuery, quartiers) -> dict:
    """The place searched near: lat/lon, or the centre of the named Quartier."""
    if query.lat is not None:
        return {"near": (query.lon, query.lat), "near_label": "gewählter Ort"}
    if not query.quartier:
        return {}
    # `quartiers` maps a name to (id, lon, lat): a dict, or anything with .get (asked only when needed).
    found = (quartiers or {}).get(query.quartier)
    if found is None:
        raise BadParameter(phrase("Quartier „%(name)s“ ist nicht bekannt.", name=query.quartier), field="quartier")
    quartier_id, lon, lat = found
    return {"near": (lon, lat), "near_label": query.quartier, "quartier_id": quartier_id}


def parse_search(args, *, today: date, quartiers=None) -> SpaceSearch:
    """A SpaceSearch from request arguments; BadParameter (HTTP 400) with a German message when one is wrong."""
    query = SpaceQuery.from_args(args)
    wrong: list[BadParameter] = []  # the checks that need the parsed parameters, all of them at once

    def asked(check, fallback):
        try:
            return check()
        except BadParameter as error:
            wrong.append(error)
            return fallback

    day, window = asked(lambda: _when(query, today), (None, None))
    near = asked(lambda: _near(query, quartiers), {})
    sort = query.sort or ("distance" if near else "name")
    if sort == "distance" and not near and "quartier" not in {e.field for e in wrong}:
        wrong.append(BadParameter(phrase("Nach Entfernung sortieren geht nur mit einem Ort (Quartier oder Klick "
                                         "auf die Karte)."), field="sort"))
    if wrong:
        raise BadParameter(wrong[0].message, field=wrong[0].field,
                           field_errors=[pair for e in wrong for pair in e.field_errors])
    return SpaceSearch(
        day=day, window=window, min_capacity=query.capacity, step_free=query.step_free,
        accessible_wc=query.accessible_wc, equipment=query.equipment, kinds=query.kind, free_of_charge=query.free,
        walk_minutes=query.walk, bbox=query.bbox, sort=sort, limit=query.limit, **near,
        raw={k: args.get(k) for k in args.keys()},  # noqa: SIM118 (any .keys)
    )
