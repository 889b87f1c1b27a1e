"""The usage report's inputs from the database, each in one statement whatever the number of spaces or days:
the spaces in scope (with provider, address, Quartier and weekly hours), the bookings' figures per space, the
booked time per heat-grid cell, the closures with the opening hours of the closed spaces, the needs.

Bookings are summed in PostgreSQL in one pass grouped two ways (grouping sets): per space and group, clipped
to the period; and per start and end, which the heat grid cuts into UTC hours arithmetically
(spaces.core.usage.booked_cells: Berlin's offsets are whole hours, so a UTC hour is a wall hour). Only a
printout's per-space heat grids are cut into hours here, for its few spaces.

For the whole city (no restriction) the whole local months of the period come from the usage summary (migration
0022, spaces/planning/usage/summary.py), kept ahead of time by a trigger; only the bookings at the edges (the
partial months at either end, and those crossing into the whole months) are read from the bookings, in the same
statement. A booking counts in the month it starts in; its seconds in each month they lie in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np
from sqlalchemy import Integer, Text, and_, bindparam, cast, func, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from geo.crs import MERCATOR_RADIUS_M
from spaces.core.availability import Interval
from spaces.core.bookability import BOOKABLE_MODES
from spaces.models import (
    MERCATOR_X_FACTOR,
    Closure,
    Need,
    NeedStatus,
    OpeningHours,
    Organisation,
    Quartier,
    Site,
    Space,
)
from spaces.planning.usage import tables  # noqa: F401 (the summary's tables and index are known with this module)

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
    order of short distances are kept by Mercator); NULL while no Quartier exists. The centres' metres are
    computed once per statement (a materialized CTE), not once per space."""
    qx, qy = _mercator(Quartier.centre)
    centres = select(Quartier.name, qx.label("x"), qy.label("y")).cte("quartier_centres").prefix_with("MATERIALIZED")
    return (select(centres.c.name)
            .order_by((x - centres.c.x) * (x - centres.c.x) + (y - centres.c.y) * (y - centres.c.y), centres.c.name)
            .limit(1).scalar_subquery())


class SpaceRow(NamedTuple):
    id: int
    name: str
    address: str
    provider_id: int
    provider: str
    quartier: str | None
    available_from: date | None
    available_until: date | None
    week: str | None


def space_rows(session: Session, scope: Scope, first: date, last: date) -> list[SpaceRow]:
    """The bookable spaces in scope that exist some day of [first, last], ordered by Quartier (none last),
    provider, name: id, name, address, provider_id, provider, quartier, available_from, available_until, week
    (text). The nearest Quartier is found here over the spaces' Web-Mercator metres (spaces.map_x/map_y) and the
    few Quartier centres, by the rule of `_nearest_quartier` (ties by name): quicker than a subquery per space."""
    qx, qy = _mercator(Quartier.centre)
    null = literal_column
    centres = select(null("NULL::integer").label("id"), Quartier.name.label("name"),
                     null("NULL::text").label("address"), null("NULL::integer").label("provider_id"),
                     null("NULL::text").label("provider"),
                     qx.label("map_x"), qy.label("map_y"), null("NULL::date").label("available_from"),
                     null("NULL::date").label("available_until"), null("NULL::text").label("week"))
    both = centres.union_all(_spaces_in_scope(scope, first, last)).subquery()
    # the Quartier centres first (no provider), by name; then the spaces by provider, name, as PostgreSQL sorts
    rows = session.connection().execute(select(both).order_by(both.c.provider.nulls_first(), both.c.provider_id,
                                                              both.c.name, both.c.id)).all()
    names = [r for r in rows if r[0] is None]
    spaces = rows[len(names):]
    quartiers: list[str | None] = [None] * len(spaces)
    if names and spaces:
        cx = np.array([c[5] for c in names], dtype=np.float64)
        cy = np.array([c[6] for c in names], dtype=np.float64)
        xs = np.fromiter((r[5] for r in spaces), dtype=np.float64, count=len(spaces))
        ys = np.fromiter((r[6] for r in spaces), dtype=np.float64, count=len(spaces))
        dx, dy = xs[:, None] - cx[None, :], ys[:, None] - cy[None, :]
        nearest = np.argmin(dx * dx + dy * dy, axis=1)  # the first of equal distances: the first name
        quartiers = [names[i][1] for i in nearest.tolist()]
    rank = {c[1]: i for i, c in reversed(list(enumerate(names)))}
    out = [SpaceRow(r[0], r[1], r[2], r[3], r[4], q, r[7], r[8], r[9]) for r, q in zip(spaces, quartiers)
           if scope.quartier is None or q == scope.quartier]
    out.sort(key=lambda r: rank[r.quartier] if r.quartier is not None else len(names))  # stable: SQL's order
    return out


def _spaces_in_scope(scope: Scope, first: date, last: date):
    query = (select(Space.id, Space.name, Site.address, Organisation.id.label("provider_id"),
                    Organisation.name.label("provider"), Space.map_x, Space.map_y, Space.available_from,
                    Space.available_until, cast(Space.week_open, Text).label("week"))
             .join(Site, Space.site_id == Site.id).join(Organisation, Site.organisation_id == Organisation.id)
             .where(Space.booking_mode.in_(list(BOOKABLE_MODES)),
                    or_(Space.available_from.is_(None), Space.available_from <= last),
                    or_(Space.available_until.is_(None), Space.available_until >= first)))
    if scope.organisations is not None:
        query = query.where(Organisation.id.in_(scope.organisations or [-1]))
    if scope.provider is not None:
        query = query.where(Organisation.id == scope.provider)
    return query


def _period(window: Interval):
    return func.tstzrange(window.start, window.end, literal_column("'[)'"))


_BOOKINGS = """
SELECT b.space_id, b.organisation_id, lower(b.during) AS l, upper(b.during) AS u, NULL::int AS cell,
       count(*) FILTER (WHERE b.status = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE b.status = 'confirmed' AND b.is_public) AS public,
       coalesce(sum(date_part('epoch', least(upper(b.during), :end))
                    - date_part('epoch', greatest(lower(b.during), :start)))
                FILTER (WHERE b.status = 'confirmed'), 0) AS seconds,
       count(*) FILTER (WHERE b.status = 'declined') AS declined,
       count(*) FILTER (WHERE b.status = 'confirmed') AS n
FROM bookings b {join}
WHERE b.status IN ('confirmed', 'declined') AND b.during && tstzrange(:start, :end, '[)') {where}
GROUP BY GROUPING SETS ((b.space_id, b.organisation_id), (lower(b.during), upper(b.during)))
"""

# The whole months [m0, m1) (local midnights :f0, :f1) from the summary; the edges [:start, :f0) and [:f1, :end)
# from the bookings: those with time there, and those that start before :f0 and reach into the whole months. A
# booking counts (confirmed, public, declined) where it starts: in the summary if that is in the whole months,
# else here; its seconds here are those in the edges. Each booking has two pieces (l1, u1: in the left edge; l2, u2:
# in the right), empty (u <= l) where it has no time there. Rows as in _BOOKINGS; the summary's heat cells with
# `cell` set.
_SUMMARISED = """
SELECT space_id, organisation_id, NULL::timestamptz AS l, NULL::timestamptz AS u, NULL::int AS cell,
       sum(confirmed) AS confirmed, sum(public) AS public, sum(seconds) AS seconds, sum(declined) AS declined,
       0 AS n
FROM usage_month_figures WHERE month >= :m0 AND month < :m1
GROUP BY space_id, organisation_id
UNION ALL
SELECT NULL, NULL, NULL, NULL, cell, 0, 0, sum(seconds), 0, 0
FROM usage_month_heat WHERE month >= :m0 AND month < :m1
GROUP BY cell
UNION ALL
SELECT b.space_id, b.organisation_id, coalesce(b.l1, b.l2), coalesce(b.u1, b.u2), NULL,
       count(*) FILTER (WHERE b.counted AND b.status = 'confirmed'),
       count(*) FILTER (WHERE b.counted AND b.status = 'confirmed' AND b.is_public),
       coalesce(sum(greatest(date_part('epoch', b.u1) - date_part('epoch', b.l1), 0)
                    + greatest(date_part('epoch', b.u2) - date_part('epoch', b.l2), 0))
                FILTER (WHERE b.status = 'confirmed'), 0),
       count(*) FILTER (WHERE b.counted AND b.status = 'declined'),
       CASE WHEN GROUPING(b.l1, b.u1) = 0 THEN count(*) FILTER (WHERE b.status = 'confirmed' AND b.u1 > b.l1)
            ELSE count(*) FILTER (WHERE b.status = 'confirmed' AND b.u2 > b.l2) END
FROM (SELECT space_id, organisation_id, status, is_public,
             NOT (lower(during) >= :f0 AND lower(during) < :f1) AS counted,
             greatest(lower(during), :start) AS l1, least(upper(during), :f0) AS u1,
             greatest(lower(during), :f1) AS l2, least(upper(during), :end) AS u2
      FROM bookings
      WHERE status IN ('confirmed', 'declined')
        AND (during && tstzrange(:start, :f0, '[)') OR during && tstzrange(:f1, :end, '[)')
             OR (during @> CAST(:f0 AS timestamptz) AND lower(during) < :f0))) AS b
GROUP BY GROUPING SETS ((b.space_id, b.organisation_id), (b.l1, b.u1), (b.l2, b.u2))
"""


def booking_figures(session: Session, window: Interval, ids: list[int] | None) -> list:
    """One pass over the confirmed and declined bookings with time in the window, grouped two ways at once:
    per space and group (space_id, organisation_id, None, None, None, confirmed, public, seconds inside the
    window, declined, n), and per start and end (None, None, start, end, None, confirmed, ..., n: how many
    confirmed bookings have exactly that time; the heat grid cuts these into hours, see
    spaces.core.usage.booked_cells)."""
    join, where, params = _restricted_sql(ids)
    sql = _BOOKINGS.format(join=join, where=where)
    return session.execute(text(sql), {"start": window.start, "end": window.end, **params}).all()


def summarised_figures(session: Session, window: Interval, months: tuple[date, date], inner: Interval) -> list:
    """The figures of every space of the city over the window, as `booking_figures` gives them (rows may repeat
    a space and group: add them up), the whole local months [months[0], months[1]) (from local midnight
    inner.start to inner.end) from the usage summary, the rest from the bookings; and the summary's booked
    seconds per heat-grid cell (None, None, None, None, cell, 0, 0, seconds, 0, 0). One statement."""
    return session.execute(text(_SUMMARISED), {"start": window.start, "end": window.end, "m0": months[0],
                                               "m1": months[1], "f0": inner.start, "f1": inner.end}).all()


def _restricted_sql(ids: list[int] | None) -> tuple[str, str, dict]:
    """The join or condition (on bookings b) to the spaces `ids` (None: every space)."""
    if ids is None:
        return "", "", {}
    if len(ids) <= INDEXED_SPACES:  # space by space through the exclusion constraint's GiST (space_id, during)
        return "JOIN unnest(CAST(:ids AS integer[])) AS wanted(sid) ON b.space_id = wanted.sid", "", {"ids": ids}
    return "", "AND b.space_id = ANY(CAST(:ids AS integer[]))", {"ids": ids}


_HEAT = """
WITH pieces AS (
  SELECT b.space_id, lower(b.during) AS l, upper(b.during) AS u, count(*) AS n
  FROM bookings b {join}
  WHERE b.status = 'confirmed' AND b.during && tstzrange(:start, :end, '[)') {where}
  GROUP BY 1, 2, 3
), clipped AS (
  SELECT space_id, greatest(l, :start) AS l, least(u, :end) AS u, n FROM pieces
)
SELECT space_id, ((extract(isodow FROM h AT TIME ZONE 'Europe/Berlin')::int - 1) * 24
        + extract(hour FROM h AT TIME ZONE 'Europe/Berlin')::int) AS cell,
       sum(n * extract(epoch FROM least(u, h + interval '1 hour') - greatest(l, h)))::float AS seconds
FROM clipped CROSS JOIN LATERAL generate_series(date_trunc('hour', l, 'UTC'), u - interval '1 microsecond',
                                                interval '1 hour') AS h
GROUP BY space_id, cell
"""


def tune_for_report(session: Session) -> None:
    """For this transaction: memory enough to hash a year of bookings (not sort them on disk) and two parallel
    workers for its scans. The service turns both off for its many short statements (spaces/config.py); a
    report is one long read among few. That the bookings of a period have few distinct (start, end) pairs (a
    year of the 50k city: 34,000 for 1.6 million bookings) the planner learns from the statistics
    st_bookings_usage_times (migration 0019); without them it sizes the hash table for a pair per booking."""
    session.execute(text("SELECT set_config('work_mem', '64MB', true), "
                         "set_config('max_parallel_workers_per_gather', '2', true)"))


def booked_cells(session: Session, window: Interval, ids: list[int]) -> list:
    """The seconds of confirmed bookings in the window per space and heat-grid cell (space_id, cell, seconds),
    for a printout's few spaces."""
    join, where, params = _restricted_sql(ids)
    sql = _HEAT.format(join=join, where=where)
    return session.execute(text(sql), {"start": window.start, "end": window.end, **params}).all()


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
