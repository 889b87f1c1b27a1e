"""Select builders for spaces and phases: composable, SQL stays here, not in views."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Select, String, and_, cast, exists, func, literal, or_, select
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
    weekday, before = window.day.weekday(), (window.day.weekday() - 1) % 7
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


def not_closed_all_day(day: date) -> ColumnElement[bool]:
    """Criterion: no closure covers the whole local day."""
    from .calendar import local_day_window

    whole = local_day_window(day, day)
    return ~exists(
        select(1)
        .where(Closure.space_id == Space.id, Closure.during.op("@>")(func.tstzrange(whole.start, whole.end, literal("[)"))))
        .offset(0)
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


def search_spaces(search, *, today: date) -> Select:
    """Spaces matching a SpaceSearch, with distance (metres, when a place is given), sorted and limited."""
    query = spaces_with_place()
    if search.window is not None:
        query = query.where(free_during(search.window))
    elif search.day is not None:
        query = query.where(
            open_on(search.day),
            exists().where(OpeningHours.space_id == Space.id, OpeningHours.weekday == search.day.weekday()),
            not_closed_all_day(search.day),
        )
    else:
        query = query.where(not_expired(today))
    if search.min_capacity:
        query = query.where(Space.capacity >= search.min_capacity)
    if search.step_free:
        query = query.where(Space.step_free.is_(True))
    if search.accessible_wc:
        query = query.where(Space.accessible_wc.is_(True))
    if search.equipment:
        wanted = cast(postgresql.array(search.equipment), postgresql.ARRAY(String(32)))
        query = query.where(Space.equipment.contains(wanted))  # @> on the GIN index
    if search.kinds:
        query = query.where(Space.kind.in_(search.kinds))
    if search.free_of_charge:
        query = query.where(Space.cost_eur == 0)
    if search.bbox is not None:
        query = query.where(in_bbox(*search.bbox))
    distance = literal(None).label("distance_m")
    if search.near is not None:
        lon, lat = search.near
        distance = distance_m(lon, lat).label("distance_m")
        query = query.where(within_m(lon, lat, walk_radius_m(search.walk_minutes)))
    query = query.add_columns(distance)
    if search.sort == "distance":
        query = query.order_by(None).order_by(distance, Space.id)
    elif search.sort == "capacity":
        query = query.order_by(None).order_by(Space.capacity, Space.name, Space.id)
    return query.limit(search.limit)


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
