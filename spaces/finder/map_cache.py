"""The map's counts over the whole city without filters, kept between requests (migration 0013).

Zoomed out with no filter, every visitor's map asks the same question: how many spaces per grid cell, of all
the spaces there are. Grouping 50,000 spaces takes PostgreSQL about 55 ms, so the answer is kept per zoom
level in map_counts with the day it is true for (spaces whose period ended drop out at midnight), the version
of the spaces it was computed from, and the extent of those spaces. It answers a request again only when all
three still hold and the view holds that extent; anything else (filters, a district, a change to any space)
is computed as before, by the same statement (queries.cluster_spaces). Every worker shares it through the
database.

With filters (migration 0016) the whole city is counted in two parts. Which spaces match the filters on their
own columns (capacity, access, equipment, kind, cost) and, for a time window within one local day without a
DST change nearby, are open throughout its hours of the week, depends only on the spaces: that part is kept in
map_filtered_counts per key (zoom, filter values, seconds of the week) and version, grouped by grid cell and the
space's terms (available from/until, days in advance). A request adds the groups whose terms allow its date
and subtracts the matching spaces a booking or closure takes in its window, read live by index (a few
thousand at most); a cell left with one space asks which. Anything else (a day without a time, a window across
midnight or near a DST change, one that has begun, a walk, a district) is computed as before.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    Select,
    SmallInteger,
    Table,
    Text,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, insert
from sqlalchemy.exc import SQLAlchemyError

from geo.crs import MERCATOR_RADIUS_M, WGS84
from spaces.clock import BERLIN
from spaces.db import db
from spaces.finder.queries import (
    BoundWindow,
    _attribute_filters,
    _search_shape,
    _within_terms,
    closed_in,
    cluster_collection,
    cluster_shape,
    cluster_spaces,
    cluster_values,
    free_throughout,
    grid_cell,
    not_expired,
    only_a_view,
    taken_in,
    week_open_covers,
)
from spaces.finder.search import SpaceSearch
from spaces.models import MERCATOR_X_FACTOR, Space

log = logging.getLogger("raumfinder.map_cache")

spaces_version = Table(
    "spaces_version", db.metadata,
    Column("id", Boolean, primary_key=True, server_default=true()),
    Column("n", BigInteger, nullable=False, server_default="0"),
    # The extent of the spaces open on extent_day at version n (the trigger forgets it when n moves).
    Column("extent_day", Date),
    Column("west", Float), Column("south", Float), Column("east", Float), Column("north", Float),
    CheckConstraint("id", name="one_row"),
)
map_counts = Table(
    "map_counts", db.metadata,
    Column("zoom", SmallInteger, primary_key=True, autoincrement=False),
    Column("day", Date, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("geojson", Text, nullable=False),
)

# The part of the filtered counts that changes rarely (migration 0016): one row per key, one array element per
# group of spaces (grid cell x terms), the arrays in step.
map_filtered_counts = Table(
    "map_filtered_counts", db.metadata,
    Column("key", Text, primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("cx", ARRAY(Float), nullable=False),
    Column("cy", ARRAY(Float), nullable=False),
    Column("available_from", ARRAY(Date), nullable=False),
    Column("available_until", ARRAY(Date), nullable=False),
    Column("max_days_in_advance", ARRAY(Integer), nullable=False),
    Column("n", ARRAY(Integer), nullable=False),
    Column("sum_lon", ARRAY(Float), nullable=False),
    Column("sum_lat", ARRAY(Float), nullable=False),
    Column("min_id", ARRAY(Integer), nullable=False),
)
KEPT_KEYS = 200  # at most this many filter combinations are kept (the newest stored)

# Whole answers of the split (migration 0023): per kept key and window, with the day, the spaces version and the
# sorted ids of the spaces taken in the window (bookings and closures), all from one snapshot. The answer is a
# function of exactly these, so a request that finds the same three live gets it again; any other computes.
map_filtered_answers = Table(
    "map_filtered_answers", db.metadata,
    Column("key", Text, primary_key=True),
    Column("starts_at", DateTime(timezone=True), primary_key=True),
    Column("ends_at", DateTime(timezone=True), primary_key=True),
    Column("day", Date, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("taken", ARRAY(Integer), nullable=False),
    Column("geojson", Text, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
KEPT_ANSWERS = 2000  # at most this many answers are kept (the newest stored)
_GROUP_COLUMNS = ("cx", "cy", "available_from", "available_until", "max_days_in_advance", "n", "sum_lon",
                  "sum_lat", "min_id")


def _holds(bbox, west, south, east, north) -> bool:
    """The view (min_lon, min_lat, max_lon, max_lat) holds the extent, edges included."""
    return bbox[0] <= west and bbox[1] <= south and bbox[2] >= east and bbox[3] >= north


def counts(search: SpaceSearch, *, now: datetime, zoom: int) -> str:
    """The JSON of /api/spaces/clusters for this search: kept when the view holds every space, else computed."""
    session = db.session

    def computed() -> str:
        return cluster_spaces(search, now=now, zoom=zoom).read(session).scalar_one()

    if not only_a_view(search):
        return _filtered(search, now=now, zoom=zoom, computed=computed)
    today = now.astimezone(BERLIN).date()
    # The version first: a change after this read makes whatever is computed below a version too old to serve.
    state = session.connection().execute(_state_and_kept_counts(), {"zoom": zoom, "day": today}).one()
    if not _view_holds_every_space(search.bbox, state, today):  # a district: some spaces are outside the view
        return computed()
    if state.geojson is not None:
        return state.geojson
    geojson = computed()
    _keep(zoom, today, state.n, geojson)
    return geojson


@lru_cache(maxsize=1)
def _state_and_kept_counts() -> Select:
    """The spaces' version and extent, and the counts kept for them at `zoom` on `day` (NULL when none are)."""
    v, kept = spaces_version.c, map_counts.c
    return (select(v.n, v.extent_day, v.west, v.south, v.east, v.north, kept.geojson)
            .select_from(spaces_version.outerjoin(map_counts, and_(
                kept.zoom == bindparam("zoom", type_=SmallInteger()), kept.day == bindparam("day", type_=Date()),
                kept.version == v.n))))


@lru_cache(maxsize=1)
def _state_and_kept_part() -> Select:
    """The spaces' version and extent, and whether the part of `kept_key` is kept for that version."""
    v, k = spaces_version.c, map_filtered_counts.c
    kept = exists().where(k.key == bindparam("kept_key", type_=Text()), k.version == v.n)
    return select(v.n, v.extent_day, v.west, v.south, v.east, v.north, kept.label("kept"))


def _view_holds_every_space(bbox, state, today) -> bool:
    """The view holds every space open today or later (state: a row of spaces_version)."""
    extent = (state.west, state.south, state.east, state.north) if state.extent_day == today else _extent(
        state.n, today)
    return extent is not None and _holds(bbox, *extent)


def _filtered(search: SpaceSearch, *, now: datetime, zoom: int, computed) -> str:
    """The counts of a search with filters: from the kept part and the live bookings and closures where the
    split covers the search and the view holds every space, else computed."""
    shape, values = _search_shape(search, now)
    key = _kept_key(shape, values, zoom, now)
    if key is None:
        return computed()
    today = now.astimezone(BERLIN).date()
    state = db.session.connection().execute(_state_and_kept_part(), {"kept_key": key}).one()
    if not _view_holds_every_space(search.bbox, state, today):
        return computed()
    part = _part(cluster_shape(shape))
    values |= cluster_values(zoom) | {"kept_key": key}
    if not state.kept:
        insert_part, names = _kept_part(part)
        if not _store((_forget_old(), {}), (insert_part, {name: values[name] for name in names if name in values})):
            return computed()
    if part[0] != "window":
        geojson = db.session.connection().execute(_from_kept(cluster_shape(shape)), values).scalar_one_or_none()
        return computed() if geojson is None else geojson  # None: the spaces changed since (an older version)
    geojson = db.session.connection().execute(_kept_answer(), values).scalar_one_or_none()
    if geojson is None:
        geojson = _answer(cluster_shape(shape), values)
    return computed() if geojson is None else geojson  # None: the spaces changed since (kept for an older version)


def _part(shape: tuple) -> tuple:
    """What the kept part depends on of a search's shape: when (window or any) and the attribute filters."""
    when, capacity, step_free, accessible_wc, equipment, kinds, free = shape[:7]
    return when, capacity, step_free, accessible_wc, equipment, kinds, free


def _kept_key(shape: tuple, values: dict, zoom: int, now: datetime) -> str | None:
    """The key of the kept part for this search, or None when the split does not cover it."""
    when, capacity, step_free, accessible_wc, equipment, kinds, free, bbox, near, _sort = shape
    if not bbox or near or when not in ("window", "any"):
        return None
    week = None
    if when == "window":
        # Within one local day without a DST change nearby, and not begun (then nothing is free: computed).
        if not values["w_in_week"] or values["w_start"] < now:
            return None
        week = [values["w_week_start"], values["w_week_end"]]
    return json.dumps([zoom, when, values.get("capacity") if capacity else None, step_free, accessible_wc,
                       sorted(set(values.get("equipment", ()))), sorted(set(values.get("kinds", ()))), free, week])


def _attributes(part: tuple) -> list:
    """The criteria of the kept part on a space's own columns (as the search states them, no view)."""
    when, capacity, step_free, accessible_wc, equipment, kinds, free = part
    criteria = _attribute_filters(capacity, step_free, accessible_wc, equipment, kinds, free, False)
    if when == "window":
        criteria.append(week_open_covers(BoundWindow("w")))
    return criteria


@lru_cache(maxsize=128)
def _kept_part(part: tuple) -> tuple:
    """INSERT: the spaces matching the kept part, grouped by grid cell and terms, as one row of arrays for the key
    (bind `kept_key`) at the version of the same snapshot; and the names of its bind parameters."""
    cx, cy = grid_cell()
    terms = (Space.available_from, Space.available_until, Space.max_days_in_advance)
    groups = (select(cx.label("cx"), cy.label("cy"), *terms, func.count().label("n"),
                     func.sum(func.ST_X(Space.location)).label("sum_lon"),
                     func.sum(func.ST_Y(Space.location)).label("sum_lat"), func.min(Space.id).label("min_id"))
              .where(*_attributes(part)).group_by(cx, cy, *terms).subquery("groups"))
    row = select(bindparam("kept_key", type_=Text()), select(spaces_version.c.n).scalar_subquery(),
                 *(func.coalesce(func.array_agg(groups.c[name]), literal_column("'{}'")) for name in _GROUP_COLUMNS))
    statement = insert(map_filtered_counts).from_select(["key", "version", *_GROUP_COLUMNS], row)
    kept = map_filtered_counts.c
    statement = statement.on_conflict_do_update(
        index_elements=[kept.key],
        set_={name: statement.excluded[name] for name in ("version", "stored_at", *_GROUP_COLUMNS)},
        where=kept.version <= statement.excluded.version)
    return statement, tuple(statement.compile(dialect=postgresql.dialect()).params)


def _forget_old():
    """DELETE what is kept for an older version of the spaces, and all but the newest KEPT_KEYS."""
    kept = map_filtered_counts.c
    newest = select(kept.key).order_by(kept.stored_at.desc()).limit(KEPT_KEYS - 1)
    return delete(map_filtered_counts).where(or_(
        kept.version < select(spaces_version.c.n).scalar_subquery(), kept.key.not_in(newest)))


def _cell_envelope(cx, cy):
    """SQL: the WGS84 box of grid cell (cx, cy), a little larger (for the index; the cell decides exactly)."""
    cell = bindparam("cell", type_=Float())
    margin = 1e-6

    def lon(x):
        return x / literal_column(MERCATOR_X_FACTOR)

    def lat(y):
        return func.degrees(2 * func.atan(func.exp(y / MERCATOR_RADIUS_M)) - math.pi / 2)

    return func.ST_MakeEnvelope(lon(cx * cell) - margin, lat(cy * cell) - margin,
                                lon((cx + 1) * cell) + margin, lat((cy + 1) * cell) + margin, WGS84)


@lru_cache(maxsize=128)
def _from_kept(shape: tuple) -> Select:
    """The map's counts from the kept part (bind `kept_key`, at the current version; no row when none is kept) less
    the matching spaces taken by a booking or closure in the window, as cluster_spaces answers them."""
    part = _part(shape)
    when = part[0]
    k = map_filtered_counts.c
    version = select(spaces_version.c.n).scalar_subquery()
    this = and_(k.key == bindparam("kept_key", type_=Text()), k.version == version)
    groups = select(*(func.unnest(k[name]).label(name) for name in _GROUP_COLUMNS)).where(this).subquery("groups")
    g = groups.c
    if when == "window":
        w = BoundWindow("w")
        terms = _within_terms(w, g.available_from, g.available_until, g.max_days_in_advance)
    else:
        terms = not_expired(bindparam("today", type_=Date()), g.available_until)
    live = (select(g.cx, g.cy, func.sum(g.n).label("n"), func.sum(g.sum_lon).label("lon"),
                   func.sum(g.sum_lat).label("lat"), func.min(g.min_id).label("id"))
            .where(terms).group_by(g.cx, g.cy).subquery("live"))
    if when != "window":
        cells = select(live.c.cx, live.c.cy, live.c.n, (live.c.lon / live.c.n).label("lon"),
                       (live.c.lat / live.c.n).label("lat"), live.c.id).subquery("cells")
        return cluster_collection(cells).having(exists().where(this))
    cx, cy = grid_cell()
    # The matching spaces a booking or closure takes: read through the index of their time, a few thousand.
    taken = union_all(taken_in(w.start, w.end), closed_in(w.start, w.end))
    gone = (select(cx.label("cx"), cy.label("cy"), func.count().label("n"),
                   func.sum(func.ST_X(Space.location)).label("lon"), func.sum(func.ST_Y(Space.location)).label("lat"))
            .where(Space.id.in_(taken), *_attributes(part), _within_terms(w))
            .group_by(cx, cy).subquery("gone"))
    n = live.c.n - func.coalesce(gone.c.n, 0)
    # A cell left with one space after some were taken: which one, asked of that cell alone.
    single = (select(func.min(Space.id))
              .where(cx == live.c.cx, cy == live.c.cy, Space.location.op("&&")(_cell_envelope(live.c.cx, live.c.cy)),
                     *_attributes(part), free_throughout(w))
              .scalar_subquery())
    cells = (select(live.c.cx, live.c.cy, n.label("n"),
                    ((live.c.lon - func.coalesce(gone.c.lon, 0)) / n).label("lon"),
                    ((live.c.lat - func.coalesce(gone.c.lat, 0)) / n).label("lat"),
                    case((gone.c.n.is_(None), live.c.id), (n == 1, single), else_=None).label("id"))
             .select_from(live.outerjoin(gone, and_(gone.c.cx == live.c.cx, gone.c.cy == live.c.cy)))
             .where(n > 0).subquery("cells"))
    return cluster_collection(cells).having(exists().where(this))


def _taken_ids():
    """SQL: the sorted ids of the spaces a booking or closure takes in the window `w` ('{}' for none)."""
    w = BoundWindow("w")
    taken = union_all(taken_in(w.start, w.end), closed_in(w.start, w.end)).subquery("taken")
    ids = select(taken.c.space_id).distinct().subquery("ids")
    return select(func.coalesce(func.array_agg(aggregate_order_by(ids.c.space_id, ids.c.space_id)),
                                literal_column("'{}'::integer[]"))).scalar_subquery()


def _this_answer(a=map_filtered_answers.c):
    return and_(a.key == bindparam("kept_key", type_=Text()), a.starts_at == BoundWindow("w").start,
                a.ends_at == BoundWindow("w").end)


@lru_cache(maxsize=1)
def _kept_answer() -> Select:
    """The kept answer for this key and window, if its day, spaces version and taken spaces are today's."""
    a = map_filtered_answers.c
    return select(a.geojson).where(_this_answer(), a.day == bindparam("today", type_=Date()),
                                   a.version == select(spaces_version.c.n).scalar_subquery(), a.taken == _taken_ids())


@lru_cache(maxsize=128)
def _keep_answer(shape: tuple):
    """INSERT the answer computed from the kept part, with the day, version and taken spaces of the same snapshot,
    RETURNING it (no row when the kept part is for an older version)."""
    answer = _from_kept(shape).subquery("answer")
    row = select(bindparam("kept_key", type_=Text()), BoundWindow("w").start, BoundWindow("w").end,
                 bindparam("today", type_=Date()), select(spaces_version.c.n).scalar_subquery(), _taken_ids(),
                 answer.c.geojson)
    statement = insert(map_filtered_answers).from_select(
        ["key", "starts_at", "ends_at", "day", "version", "taken", "geojson"], row)
    a = map_filtered_answers.c
    return statement.on_conflict_do_update(
        index_elements=[a.key, a.starts_at, a.ends_at],
        set_={name: statement.excluded[name] for name in ("day", "version", "taken", "geojson", "stored_at")},
    ).returning(a.geojson)


def _forget_old_answers():
    """DELETE the kept answers of another day or an older version, and all but the newest KEPT_ANSWERS; never
    waiting for a row another request is writing (two requests deleting in different orders would deadlock)."""
    a = map_filtered_answers.c
    newest = select(a.stored_at).order_by(a.stored_at.desc()).offset(KEPT_ANSWERS - 1).limit(1).scalar_subquery()
    old = (select(a.key, a.starts_at, a.ends_at)
           .where(or_(a.day != bindparam("today", type_=Date()),
                      a.version < select(spaces_version.c.n).scalar_subquery(), a.stored_at < newest))
           .with_for_update(skip_locked=True))
    return delete(map_filtered_answers).where(tuple_(a.key, a.starts_at, a.ends_at).in_(old))


def _answer(shape: tuple, values: dict) -> str | None:
    """The answer from the kept part, kept in turn (where this request may write); None for an older version."""
    from spaces.replica import reading_from_replica

    if not reading_from_replica():
        try:
            db.session.execute(_forget_old_answers(), {"today": values["today"]})
            geojson = db.session.execute(_keep_answer(shape), values).scalar_one_or_none()
            db.session.commit()
            return geojson
        except SQLAlchemyError as error:
            db.session.rollback()
            log.warning("Kartenzahlen nicht gespeichert: %s", error)
    return db.session.execute(_from_kept(shape), values).scalar_one_or_none()


def _extent(version: int, today) -> tuple | None:
    """The extent of the spaces open today (one scan), kept with the version it belongs to; None when none is."""
    extent = db.session.execute(
        select(func.min(func.ST_X(Space.location)), func.min(func.ST_Y(Space.location)),
               func.max(func.ST_X(Space.location)), func.max(func.ST_Y(Space.location)))
        .where(not_expired(today))).one()
    if None in extent:
        return None
    west, south, east, north = extent
    v = spaces_version.c
    # Only if the version has not moved, and never waiting for a transaction that is writing spaces.
    _store(update(spaces_version).where(
        v.n == version, v.id.in_(select(v.id).where(v.n == version).with_for_update(skip_locked=True)))
        .values(extent_day=today, west=west, south=south, east=east, north=north))
    return tuple(extent)


def _keep(zoom: int, day, version: int, geojson: str) -> None:
    values = {"zoom": zoom, "day": day, "version": version, "geojson": geojson}
    _store(insert(map_counts).values(**values).on_conflict_do_update(index_elements=[map_counts.c.zoom], set_=values))


def _store(*statements) -> bool:
    """Write what the request learnt (it has written nothing else), in one transaction (each a statement, or a
    statement and its parameters); failing to, e.g. on a read-only replica, or because another request holds
    the row, only logs. True when written. A request reading from the replica does not try (spaces/replica.py)."""
    from spaces.replica import reading_from_replica

    if reading_from_replica():
        return False
    try:
        for statement in statements:
            db.session.execute(*statement) if isinstance(statement, tuple) else db.session.execute(statement)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("Kartenzahlen nicht gespeichert: %s", error)
        return False
    return True
