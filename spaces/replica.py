"""Reads from a streaming replica: with DATABASE_REPLICA_URL set, the read-only pages and APIs a resident uses
(map, search, space pages, feeds, open data) read from the replica; everything else, every write and every
booking check, from the primary.

Read your own writes: after a request that may have written (any method but GET/HEAD) the primary's WAL
position (`pg_current_wal_lsn()`) goes into the person's session cookie. A later read goes to the replica only
once the replica has replayed that far (`pg_last_wal_replay_lsn()`), else to the primary; so whoever booked
sees the booking on the next page, however far the replica lags. Requests with an API token (programs, which
keep no cookie) always read from the primary. A replica that does not answer sends the read to the primary.

The choice is made once per request (spaces.db.RoutingSession asks `reading_from_replica()`); a request that
reads from the replica never writes (the map's caches skip their write there, spaces/finder/map_cache.py).
"""

from __future__ import annotations

import logging

from flask import g, has_request_context, request, session
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

REPLICA = "replica"
SESSION_KEY = "rf_lsn"
log = logging.getLogger("raumfinder.replica")

# Read-only endpoints that may be served from the replica.
REPLICA_ENDPOINTS = frozenset({
    "finder.index", "finder.space",
    "api.spaces", "api.points", "api.clusters", "api.nearest", "api.space", "api.availability", "api.phases",
    "api.quartiers",
    "feeds.space_feed", "feeds.organisation_feed",
    "open_data.spaces_geojson", "open_data.page",
    "walking.point_isochrone", "walking.phase_isochrone",
    "openapi.document", "legal.impressum", "legal.datenschutz",
})


def replica_bind(values: dict, url: str | None) -> None:
    """Configuration: the replica as the Flask-SQLAlchemy bind "replica" (the engine options apply to it too)."""
    if url:
        values["SQLALCHEMY_BINDS"] = {**(values.get("SQLALCHEMY_BINDS") or {}), REPLICA: url}


def init_replica(app) -> None:
    if REPLICA not in (app.config.get("SQLALCHEMY_BINDS") or {}):
        return
    app.before_request(_choose)
    app.after_request(_remember_position)


def reading_from_replica() -> bool:
    """Whether this request reads from the replica (never outside a request: commands use the primary)."""
    return has_request_context() and bool(g.get("replica"))


def _engines():
    from spaces.db import db

    return db.engines


def _choose() -> None:
    g.replica = False
    if request.method not in ("GET", "HEAD") or request.endpoint not in REPLICA_ENDPOINTS:
        return
    if request.headers.get("Authorization"):
        return
    position = session.get(SESSION_KEY)
    g.replica = position is None or _replayed(position)


def _replayed(position: str) -> bool:
    """The replica has replayed the primary's WAL up to `position` (False when it cannot say)."""
    try:
        with _engines()[REPLICA].connect() as connection:
            return bool(connection.execute(text("SELECT pg_last_wal_replay_lsn() >= CAST(:p AS pg_lsn)"),
                                           {"p": position}).scalar())
    except SQLAlchemyError as error:
        log.warning("Replikat antwortet nicht, lese vom Primärserver: %s", error)
        return False


def _remember_position(response):
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return response
    try:
        with _engines()[None].connect() as connection:
            session[SESSION_KEY] = str(connection.execute(text("SELECT pg_current_wal_lsn()")).scalar())
    except SQLAlchemyError as error:
        log.warning("WAL-Position nicht gelesen: %s", error)
    return response
