"""The search's statements are built once per shape and executed with each request's values: SQLAlchemy computes
a statement's cache key once (Select.params() would copy it, and the copy's key is computed again), and psycopg
keeps its conversion of the statement's placeholders (spaces/db.py raises its limits for the long statements)."""

from datetime import date

from psycopg import _queries
from werkzeug.datastructures import MultiDict

from spaces.clock import parse_instant
from spaces.db import STATEMENT_CACHE_LIMIT
from spaces.finder.queries import cluster_spaces, count_spaces, map_points, search_query
from spaces.finder.search import parse_search

NOW = parse_instant("2026-11-26T10:00:00+01:00")


def _search(**args):
    return parse_search(MultiDict(args), today=date(2026, 11, 26))


def test_one_statement_per_shape_the_values_per_request():
    first = search_query(_search(bbox="9.70,52.36,9.74,52.39", capacity="10"), now=NOW)
    second = search_query(_search(bbox="9.60,52.30,9.64,52.33", capacity="40"), now=NOW)
    assert first.statement is second.statement
    assert (first.values["capacity"], second.values["capacity"]) == (10, 40)
    other_shape = search_query(_search(bbox="9.70,52.36,9.74,52.39"), now=NOW)
    assert other_shape.statement is not first.statement
    for build in (lambda s: map_points(s, now=NOW, limit=500), lambda s: cluster_spaces(s, now=NOW, zoom=12),
                  lambda s: count_spaces(s, now=NOW), lambda s: search_query(s, now=NOW, free_now=True)):
        assert build(_search(kind="hall")).statement is build(_search(kind="room")).statement


def test_the_cache_key_is_computed_once_per_statement():
    query = map_points(_search(bbox="9.70,52.36,9.74,52.39"), now=NOW, limit=500)
    assert query.statement._generate_cache_key() is query.statement._generate_cache_key()


def test_psycopg_keeps_the_conversion_of_long_statements(session):
    """If a psycopg release renames these limits, this fails instead of every search converting its statement."""
    assert _queries.MAX_CACHED_STATEMENT_LENGTH >= STATEMENT_CACHE_LIMIT
    query = search_query(_search(lat="52.37", lon="9.73", walk="15", date="2026-11-27", capacity="10",
                                 sort="distance", **{"from": "18:00", "to": "20:00"}), now=NOW, free_now=True)
    sql = str(query.statement.compile(dialect=session.bind.dialect))
    assert 4096 < len(sql) < STATEMENT_CACHE_LIMIT
    _queries._query2pg.cache_clear()
    for _ in range(3):
        session.execute(*query).all()
    assert _queries._query2pg.cache_info().hits >= 2
