"""The map's counts over the whole city without filters, kept between requests (migration 0013).

Zoomed out with no filter, every visitor's map asks the same question: how many spaces per grid cell, of all
the spaces there are. Grouping 50,000 spaces takes PostgreSQL about 55 ms, so the answer is kept per zoom
level in map_counts with the day it is true for (spaces whose period ended drop out at midnight), the version
of the spaces it was computed from, and the extent of those spaces. It answers a request again only when all
three still hold and the view holds that extent; anything else (filters, a district, a change to any space)
is computed as before, by the same statement (queries.cluster_spaces). Every worker shares it through the
database.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    SmallInteger,
    Table,
    Text,
    and_,
    func,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError

from spaces.clock import BERLIN
from spaces.db import db
from spaces.finder.queries import cluster_spaces, not_expired, only_a_view
from spaces.finder.search import SpaceSearch
from spaces.models import Space

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


def _holds(bbox, west, south, east, north) -> bool:
    """The view (min_lon, min_lat, max_lon, max_lat) holds the extent, edges included."""
    return bbox[0] <= west and bbox[1] <= south and bbox[2] >= east and bbox[3] >= north


def counts(search: SpaceSearch, *, now: datetime, zoom: int) -> str:
    """The JSON of /api/spaces/clusters for this search: kept when the view holds every space, else computed."""
    session = db.session

    def computed() -> str:
        return session.execute(cluster_spaces(search, now=now, zoom=zoom)).scalar_one()

    if not only_a_view(search):
        return computed()
    today = now.astimezone(BERLIN).date()
    v = spaces_version.c
    # The version first: a change after this read makes whatever is computed below a version too old to serve.
    state = session.execute(
        select(v.n, v.extent_day, v.west, v.south, v.east, v.north, map_counts.c.geojson)
        .select_from(spaces_version.outerjoin(map_counts, and_(
            map_counts.c.zoom == zoom, map_counts.c.day == today, map_counts.c.version == v.n)))
    ).one()
    extent = (state.west, state.south, state.east, state.north) if state.extent_day == today else _extent(
        state.n, today)
    if extent is None or not _holds(search.bbox, *extent):  # a district: some spaces are outside the view
        return computed()
    if state.geojson is not None:
        return state.geojson
    geojson = computed()
    _keep(zoom, today, state.n, geojson)
    return geojson


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


def _store(statement) -> None:
    """Write what the request learnt (it has written nothing else); failing to, e.g. on a read-only replica, or
    because another request holds the row, only logs."""
    try:
        db.session.execute(statement)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("Kartenzahlen nicht gespeichert: %s", error)
