"""The usage report's inputs from the database, each in one statement whatever the number of spaces or days:
the spaces in scope (with provider, address, Quartier and weekly hours), the bookings' figures per space, the
booked time per heat-grid cell, the closures with the opening hours of the closed spaces, the needs.

Bookings are summed in PostgreSQL: grouped by space, status, public and group, clipped to the period; for
the heat grid first grouped by their (clipped) start and end, then cut into UTC hours (Berlin's offsets are
whole hours, so a UTC hour is a wall hour) and each hour put into the cell of its local weekday and hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, Text, and_, bindparam, cast, func, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from geo.crs import MERCATOR_RADIUS_M
from spaces.core.availability import Interval
from spaces.core.bookability import BOOKABLE_MODES
from spaces.models import (
    MERCATOR_X_FACTOR,
    Booking,
    BookingStatus,
    Closure,
    Need,
    NeedStatus,
    OpeningHours,
    Organisation,
    Quartier,
    Site,
    Space,
)

# Up to this many spaces the bookings are read per space through the exclusion constraint's index; more, and
# one pass over the bookings of the period with a hashed list of the spaces is quicker.
INDEXED_SPACES = 200


@dataclass(frozen=True)
class Scope:
    """Which spaces a report covers: the organisations the viewer manages (None: every one), and the filters."""

    organisations: tuple[int, ...] | None = None
    provider: int | None = None
    quartier: str | None = None


def _mercator(geom):
    """A point's Web-Mercator metres (as spaces.map_x/map_y keep them for spaces, migration 0012)."""
    return (func.ST_X(geom) * float(MERCATOR_X_FACTOR),
            func.ln(func.tan(func.radians(45 + func.ST_Y(geom) / 2))) * MERCATOR_RADIUS_M)


def _nearest_quartier(x, y):
    """The name of the Quartier whose centre is nearest to (x, y) in Web-Mercator metres (angles and so the
    order of short distances are kept by Mercator); NULL while no Quartier exists."""
    qx, qy = _mercator(Quartier.centre)
    return (select(Quartier.name).order_by((x - qx) * (x - qx) + (y - qy) * (y - qy), Quartier.name)
            .limit(1).scalar_subquery())


def space_rows(session: Session, scope: Scope, first: date, last: date) -> list:
    """The bookable spaces in scope that exist some day of [first, last], ordered by Quartier, provider, name:
    id, name, address, provider_id, provider, quartier, available_from, available_until, week (text)."""
    quartier = _nearest_quartier(Space.map_x, Space.map_y).label("quartier")
    inner = (select(Space.id, Space.name, Site.address, Organisation.id.label("provider_id"),
                    Organisation.name.label("provider"), quartier, Space.available_from, Space.available_until,
                    cast(Space.week_open, Text).label("week"))
             .join(Site, Space.site_id == Site.id).join(Organisation, Site.organisation_id == Organisation.id)
             .where(Space.booking_mode.in_(list(BOOKABLE_MODES)),
                    or_(Space.available_from.is_(None), Space.available_from <= last),
                    or_(Space.available_until.is_(None), Space.available_until >= first)))
    if scope.organisations is not None:
        inner = inner.where(Organisation.id.in_(scope.organisations or [-1]))
    if scope.provider is not None:
        inner = inner.where(Organisation.id == scope.provider)
    sub = inner.subquery()
    query = select(sub)
    if scope.quartier is not None:
        query = query.where(sub.c.quartier == scope.quartier)
    return session.connection().execute(query.order_by(sub.c.quartier.nulls_last(), sub.c.provider, sub.c.provider_id,
                                          sub.c.name, sub.c.id)).all()


def _period(window: Interval):
    return func.tstzrange(window.start, window.end, literal_column("'[)'"))


def booking_figures(session: Session, window: Interval, ids: list[int] | None) -> list:
    """Per space: its confirmed bookings with time in the window (count, public ones, seconds inside the
    window), its declined ones, and the groups of the confirmed ones (space_id, confirmed, public, seconds,
    declined, groups: an array, a group may repeat)."""
    start, end = window.start, window.end
    seconds = func.sum(func.date_part("epoch", func.least(func.upper(Booking.during), end))
                       - func.date_part("epoch", func.greatest(func.lower(Booking.during), start)))
    inner = (select(Booking.space_id, Booking.organisation_id, Booking.status, Booking.is_public,
                    func.count().label("n"), seconds.label("seconds"))
             .where(Booking.during.op("&&")(_period(window)),
                    Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.DECLINED)))
             .group_by(Booking.space_id, Booking.organisation_id, Booking.status, Booking.is_public))
    b = _restrict(inner, ids).subquery()
    confirmed = b.c.status == BookingStatus.CONFIRMED
    query = (select(b.c.space_id,
                    func.coalesce(func.sum(b.c.n).filter(confirmed), 0).label("confirmed"),
                    func.coalesce(func.sum(b.c.n).filter(and_(confirmed, b.c.is_public)), 0).label("public"),
                    func.coalesce(func.sum(b.c.seconds).filter(confirmed), 0).label("seconds"),
                    func.coalesce(func.sum(b.c.n).filter(b.c.status == BookingStatus.DECLINED), 0).label("declined"),
                    func.array_remove(func.array_agg(b.c.organisation_id).filter(confirmed), None).label("groups"))
             .group_by(b.c.space_id))
    return session.connection().execute(query, {"ids": ids} if ids is not None else {}).all()


def _restrict(query, ids: list[int] | None):
    if ids is None:
        return query
    if len(ids) <= INDEXED_SPACES:  # space by space through the exclusion constraint's GiST (space_id, during)
        wanted = func.unnest(cast(bindparam("ids", ids), ARRAY(Integer))).table_valued("sid").render_derived()
        return query.join(wanted, Booking.space_id == wanted.c.sid)
    return query.where(Booking.space_id == func.any(cast(bindparam("ids", ids), ARRAY(Integer))))


_HEAT = """
WITH pieces AS (
  SELECT {key} lower(b.during) AS l, upper(b.during) AS u, count(*) AS n
  FROM bookings b {join}
  WHERE b.status = 'confirmed' AND b.during && tstzrange(:start, :end, '[)') {where}
  GROUP BY {group} 2, 3
), clipped AS (
  SELECT space_id, greatest(l, :start) AS l, least(u, :end) AS u, n FROM pieces
)
SELECT {outer} ((extract(isodow FROM h AT TIME ZONE 'Europe/Berlin')::int - 1) * 24
        + extract(hour FROM h AT TIME ZONE 'Europe/Berlin')::int) AS cell,
       sum(n * extract(epoch FROM least(u, h + interval '1 hour') - greatest(l, h)))::float AS seconds
FROM clipped CROSS JOIN LATERAL generate_series(date_trunc('hour', l, 'UTC'), u - interval '1 microsecond',
                                                interval '1 hour') AS h
GROUP BY {outer} cell
"""


def tune_for_report(session: Session) -> None:
    """For this transaction: memory enough to hash a year of bookings (not sort them on disk) and two parallel
    workers for its scans. The service turns both off for its many short statements (spaces/config.py); a
    report is one long read among few."""
    session.execute(text("SELECT set_config('work_mem', '64MB', true), "
                         "set_config('max_parallel_workers_per_gather', '2', true)"))


def booked_cells(session: Session, window: Interval, ids: list[int] | None, *, per_space: bool) -> list:
    """The seconds of confirmed bookings in the window per heat-grid cell (cell, seconds), or per space and
    cell (space_id, cell, seconds) when `per_space`."""
    params: dict = {"start": window.start, "end": window.end}
    join = where = ""
    if ids is not None:
        params["ids"] = ids
        if len(ids) <= INDEXED_SPACES:
            join = "JOIN unnest(CAST(:ids AS integer[])) AS wanted(sid) ON b.space_id = wanted.sid"
        else:
            where = "AND b.space_id = ANY(CAST(:ids AS integer[]))"
    # The grouping's first column is the space (per space) or a constant, so the positions stay 2 and 3.
    sql = _HEAT.format(key="b.space_id," if per_space else "0 AS space_id,", join=join, where=where,
                       group="1," if per_space else "1,", outer="space_id," if per_space else "")
    return session.execute(text(sql), params).all()


def closures(session: Session, window: Interval, ids: list[int] | None) -> list:
    """The closures overlapping the window of the spaces in scope: space_id, start, end."""
    query = (select(Closure.space_id, func.lower(Closure.during), func.upper(Closure.during))
             .where(Closure.during.op("&&")(_period(window))).order_by(Closure.space_id, Closure.during))
    if ids is not None:
        query = query.where(Closure.space_id == func.any(cast(bindparam("ids", ids), ARRAY(Integer))))
    return session.execute(query, {"ids": ids} if ids is not None else {}).all()


def opening_hours(session: Session, space_ids: list[int]) -> list:
    """The weekly opening hours of these spaces: space_id, weekday, opens, closes."""
    if not space_ids:
        return []
    return session.execute(select(OpeningHours.space_id, OpeningHours.weekday, OpeningHours.opens,
                                  OpeningHours.closes).where(OpeningHours.space_id.in_(space_ids))).all()


def needs(session: Session) -> list:
    """Needs with a place that are not withdrawn, each with the Quartier nearest to that place: (Need, quartier)."""
    x, y = _mercator(Need.near)
    return session.execute(select(Need, _nearest_quartier(x, y).label("quartier"))
                           .where(Need.near.is_not(None), Need.status != NeedStatus.WITHDRAWN)
                           .order_by(Need.id)).all()


def providers(session: Session, organisations: tuple[int, ...] | None) -> list:
    """The organisations with bookable spaces (of `organisations`, None: all), by name: id, name."""
    query = (select(Organisation.id, Organisation.name)
             .where(select(Space.id).join(Site, Space.site_id == Site.id)
                    .where(and_(Site.organisation_id == Organisation.id,
                                Space.booking_mode.in_(list(BOOKABLE_MODES)))).exists())
             .order_by(Organisation.name, Organisation.id))
    if organisations is not None:
        query = query.where(Organisation.id.in_(organisations or [-1]))
    return session.execute(query).all()


def quartier_names(session: Session) -> list[str]:
    """Every Quartier by name."""
    return list(session.scalars(select(Quartier.name).order_by(Quartier.name)))
