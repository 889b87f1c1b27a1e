"""Select builders for spaces and phases: composable, SQL stays here, not in views."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    Select,
    String,
    Time,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql

from geo.walking import walk_radius_m

from .models import SLOT_HOLDING, Booking, Closure, ConstructionPhase, OpeningHours, Organisation, Site, Space


# What lists, maps and the API show of a space: plain columns, no ORM objects to build per row.
SPACE_COLUMNS = (
    Space.id, Space.name, Space.kind, Space.capacity, Space.area_m2, Space.floor, Space.step_free,
    Space.accessible_wc, Space.equipment, Space.booking_mode, Space.cost_eur, Space.available_from,
    Space.available_until,
)


def spaces_with_place() -> Select:
    """Spaces (SPACE_COLUMNS) with their address, organisation and coordinates, ordered by name."""
    return (
        select(
            *SPACE_COLUMNS,
            Site.address,
            Organisation.name.label("organisation"),
            func.ST_X(Space.location).label("lon"),
            func.ST_Y(Space.location).label("lat"),
        )
        .join(Site, Space.site_id == Site.id)
        .join(Organisation, Site.organisation_id == Organisation.id)
        .order_by(Space.name, Space.id)
    )


def open_on(day: date) -> ColumnElement[bool]:
    """Criterion: the space exists on `day` (temporary spaces inside their period, planned ones from their opening)."""
    return and_(
        or_(Space.available_from.is_(None), Space.available_from <= day),
        or_(Space.available_until.is_(None), Space.available_until >= day),
    )


def not_expired(day: date) -> ColumnElement[bool]:
    """Criterion: the space is open on `day` or will open later (closed temporary spaces are left out)."""
    return or_(Space.available_until.is_(None), Space.available_until >= day)


def opening_covers(window) -> ColumnElement[bool]:
    """Criterion: one weekly opening of the space covers the local window (wall-clock, so DST cannot shift it)."""
    oh = OpeningHours
    weekday, before = window.weekday, window.before
    past_midnight = oh.closes <= oh.opens
    if window.ends is None:  # until midnight: only an opening running past midnight covers it
        covers = and_(oh.weekday == weekday, oh.opens <= window.starts, past_midnight)
    else:
        covers = or_(
            and_(oh.weekday == weekday, oh.opens <= window.starts, or_(oh.closes >= window.ends, past_midnight)),
            # the previous day's opening that runs past midnight
            and_(oh.weekday == before, past_midnight, oh.closes >= window.ends),
        )
    return exists().where(oh.space_id == Space.id, covers)


def _during(window):
    return func.tstzrange(window.start, window.end, literal("[)"))


# _per_space: the booking and closure checks are asked per candidate space, through the index
# on (space_id, during). PostgreSQL would otherwise turn NOT EXISTS into an anti-join that first
# collects every booking of the city in the window from an index led by space_id, which it
# underestimates badly (150 ms with 2 million bookings). OFFSET 0 keeps the subquery correlated.


def no_booking_during(window) -> ColumnElement[bool]:
    """Criterion: no slot-holding booking of the space overlaps the window."""
    return ~exists(
        select(1)
        .where(
            Booking.space_id == Space.id,
            Booking.status.in_([s.value for s in SLOT_HOLDING]),
            Booking.during.op("&&")(_during(window)),
        )
        .offset(0)  # see _per_space
    )


def no_closure_during(window) -> ColumnElement[bool]:
    """Criterion: the space is not closed during the window."""
    return ~exists(
        select(1).where(Closure.space_id == Space.id, Closure.during.op("&&")(_during(window))).offset(0)
    )


def free_during(window) -> ColumnElement[bool]:
    """Criterion: the space exists, is open, not closed and not booked during the window."""
    return and_(open_on(window.day), opening_covers(window), no_closure_during(window), no_booking_during(window))


def _geography(lon: float, lat: float):
    return func.geography(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326))


def _space_geography():
    # geography(location) is the expression of ix_spaces_location_geography; a CAST through
    # GeoAlchemy2's Geography type would add a type modifier and miss the index.
    return func.geography(Space.location)


def distance_m(lon: float, lat: float):
    """Expression: straight-line metres from the space to a point (on the spheroid)."""
    return func.ST_Distance(_space_geography(), _geography(lon, lat))


def within_m(lon: float, lat: float, metres: float) -> ColumnElement[bool]:
    """Criterion: the space lies within `metres` of the point (uses the geography GiST index)."""
    return func.ST_DWithin(_space_geography(), _geography(lon, lat), metres)


def in_bbox(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> ColumnElement[bool]:
    """Criterion: the space lies inside the WGS84 bounding box."""
    return func.ST_Intersects(Space.location, func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326))


class BoundWindow:
    """A TimeWindow's values as named bind parameters, so one statement serves every window of its shape."""

    def __init__(self, prefix: str, to_midnight: bool):
        def param(name, type_):
            return bindparam(f"{prefix}_{name}", type_=type_)

        self.prefix = prefix
        self.day = param("day", Date())
        self.weekday = param("weekday", Integer())
        self.before = param("before", Integer())
        self.starts = param("starts", Time())
        self.ends = None if to_midnight else param("ends", Time())
        self.start = param("start", DateTime(timezone=True))
        self.end = param("end", DateTime(timezone=True))

    @staticmethod
    def values(prefix: str, window) -> dict:
        """The bind values for a concrete TimeWindow."""
        values = {"day": window.day, "weekday": window.weekday, "before": window.before, "starts": window.starts,
                  "start": window.start, "end": window.end}
        if window.ends is not None:
            values["ends"] = window.ends
        return {f"{prefix}_{k}": v for k, v in values.items()}


def search_spaces(search, *, today: date) -> Select:
    """Spaces matching a SpaceSearch, with distance (metres, when a place is given), sorted and limited."""
    shape, values = _search_shape(search, today)
    return _search_statement(shape).params(values)


def free_now_column(window) -> tuple:
    """A column saying whether each space is free in `window` (e.g. now), and its bind values."""
    return _free_during_column(window.ends is None), BoundWindow.values("now", window)


@lru_cache(maxsize=2)
def _free_during_column(to_midnight: bool):
    return free_during(BoundWindow("now", to_midnight)).label("free_now")


def _search_shape(search, today: date) -> tuple[tuple, dict]:
    """Which criteria a search uses (the statement's shape) and the values to bind into them."""
    values: dict = {"today": today, "limit": search.limit}
    if search.window is not None:
        when = ("window", search.window.ends is None)
        values |= BoundWindow.values("w", search.window)
    elif search.day is not None:
        whole = _local_day(search.day)
        when = ("day",)
        values |= {"day": search.day, "weekday": search.day.weekday(), "day_start": whole.start,
                   "day_end": whole.end}
    else:
        when = ("any",)
    if search.min_capacity:
        values["capacity"] = search.min_capacity
    if search.equipment:
        values["equipment"] = list(search.equipment)
    if search.kinds:
        values["kinds"] = list(search.kinds)
    if search.bbox is not None:
        values |= dict(zip(("min_lon", "min_lat", "max_lon", "max_lat"), search.bbox))
    if search.near is not None:
        values |= {"lon": search.near[0], "lat": search.near[1], "radius": walk_radius_m(search.walk_minutes)}
    shape = (
        when, bool(search.min_capacity), search.step_free, search.accessible_wc, bool(search.equipment),
        bool(search.kinds), search.free_of_charge, search.bbox is not None, search.near is not None, search.sort,
    )
    return shape, values


def _local_day(day: date):
    from .calendar import local_day_window

    return local_day_window(day, day)


@lru_cache(maxsize=512)
def _search_statement(shape: tuple) -> Select:
    # Building a statement costs about a millisecond of Python; there are only a few hundred shapes.
    when, capacity, step_free, accessible_wc, equipment, kinds, free, bbox, near, sort = shape
    query = spaces_with_place()
    if when[0] == "window":
        query = query.where(free_during(BoundWindow("w", to_midnight=when[1])))
    elif when[0] == "day":
        day = bindparam("day", type_=Date())
        whole = func.tstzrange(bindparam("day_start", type_=DateTime(timezone=True)),
                               bindparam("day_end", type_=DateTime(timezone=True)), literal("[)"))
        query = query.where(
            open_on(day),
            exists().where(OpeningHours.space_id == Space.id, OpeningHours.weekday == bindparam("weekday", type_=Integer())),
            ~exists(select(1).where(Closure.space_id == Space.id, Closure.during.op("@>")(whole)).offset(0)),
        )
    else:
        query = query.where(not_expired(bindparam("today", type_=Date())))
    if capacity:
        query = query.where(Space.capacity >= bindparam("capacity", type_=Integer()))
    if step_free:
        query = query.where(Space.step_free.is_(True))
    if accessible_wc:
        query = query.where(Space.accessible_wc.is_(True))
    if equipment:
        wanted = cast(bindparam("equipment", type_=postgresql.ARRAY(String())), postgresql.ARRAY(String(32)))
        query = query.where(Space.equipment.contains(wanted))  # @> on the GIN index
    if kinds:
        query = query.where(Space.kind.in_(bindparam("kinds", expanding=True)))
    if free:
        query = query.where(Space.cost_eur == 0)
    if bbox:
        query = query.where(in_bbox(*(bindparam(n, type_=Float()) for n in ("min_lon", "min_lat", "max_lon", "max_lat"))))
    distance = literal(None).label("distance_m")
    if near:
        lon, lat = bindparam("lon", type_=Float()), bindparam("lat", type_=Float())
        distance = distance_m(lon, lat).label("distance_m")
        query = query.where(within_m(lon, lat, bindparam("radius", type_=Float())))
    query = query.add_columns(distance)
    if sort == "distance":
        query = query.order_by(None).order_by(distance, Space.id)
    elif sort == "capacity":
        query = query.order_by(None).order_by(Space.capacity, Space.name, Space.id)
    return query.limit(bindparam("limit", type_=Integer()))


def nearest_spaces(lon: float, lat: float, n: int = 20, *, today: date) -> Select:
    """The n spaces nearest to a point, by index-assisted KNN on geography."""
    knn = _space_geography().op("<->")(_geography(lon, lat))
    return (
        spaces_with_place()
        .add_columns(distance_m(lon, lat).label("distance_m"))
        .where(not_expired(today))
        .order_by(None)
        .order_by(knn)
        .limit(n)
    )


def phases_as_geojson() -> Select:
    """Construction phases with their geometry as GeoJSON text, by move-in date."""
    return select(
        ConstructionPhase,
        func.ST_AsGeoJSON(ConstructionPhase.geom, 6).label("geojson"),
    ).order_by(ConstructionPhase.move_in.nulls_last(), ConstructionPhase.name)


def quartier_centres() -> Select:
    """Named places to search near: name, id, lon, lat."""
    from .models import Quartier

    return select(Quartier.name, Quartier.id, func.ST_X(Quartier.centre), func.ST_Y(Quartier.centre)).order_by(
        Quartier.name
    )
