"""Select builders for spaces and phases: composable, SQL stays here, not in views."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Executable,
    Float,
    Integer,
    Interval,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by

from geo.crs import MERCATOR_RADIUS_M, WGS84, grid_cell_m
from geo.walking import WALKING_SPEED_M_PER_MIN, walk_radius_m
from spaces.core.availability import BERLIN, wall_time_to_utc
from spaces.core.availability import Interval as AvInterval
from spaces.core.bookability import local_days
from spaces.models import (
    MERCATOR_X_FACTOR,
    SLOT_HOLDING,
    Booking,
    Closure,
    ConstructionPhase,
    OpeningHours,
    Organisation,
    Site,
    Space,
)

ONE_DAY = timedelta(days=1)


class Bound(NamedTuple):
    """A statement kept per shape (lru_cache) and one request's values, executed as `session.execute(*bound)`.

    `Select.params(values)` copies the statement, and SQLAlchemy then computes the copy's cache key again, a
    walk over the whole tree: 1.5-2.5 ms of Python per request for the search statements. The kept statement
    computes its key once."""

    statement: Executable
    values: dict

    def bound(self) -> Executable:
        """The statement with the values in it (for EXPLAIN, tests and one-off use)."""
        return self.statement.params(self.values)

    def read(self, session):
        """Execute on the session's connection (the replica when the request may read from it): plain rows,
        without the ORM's handling of results, 0.3 ms less per statement (the map's hot lines)."""
        return session.connection().execute(self.statement, self.values)


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


def not_expired(day: date, available_until=Space.available_until) -> ColumnElement[bool]:
    """Criterion: the space is open on `day` or will open later (closed temporary spaces are left out); of the
    space's column, or of the same term kept elsewhere (the map's kept counts)."""
    return or_(available_until.is_(None), available_until >= day)


# ----------------------------------------------------------------------------- free time in SQL
#
# The search filters in SQL for speed, so it states the rules of spaces.core.bookability again; the
# differential tests (tests/test_one_truth.py, tests/test_search.py) prove that both agree.
# A window's values are bound by name (see window_values), so one statement serves every window.


class BoundWindow:
    """The bind parameters of a window [start, end) for the SQL rule, named with a prefix."""

    def __init__(self, prefix: str):
        def param(name, type_):
            # CAST: typed in SQL too, so the statement means the same with literal values (EXPLAIN tests)
            return cast(bindparam(f"{prefix}_{name}", type_=type_), type_)

        self.start = param("start", DateTime(timezone=True))
        self.end = param("end", DateTime(timezone=True))
        self.now = param("now", DateTime(timezone=True))
        self.from_ = param("from", DateTime(timezone=True))  # max(start, now): where "some free time" may begin
        self.first_day = param("first_day", Date())
        self.last_day = param("last_day", Date())
        self.today = param("today", Date())
        self.days = param("days", postgresql.ARRAY(Date()))
        self.uniform = param("uniform", Boolean())
        self.offset = param("offset", Interval())
        # Within one local day without a DST change nearby: the window in seconds of the week (Monday 00:00 = 0)
        self.in_week = param("in_week", Boolean())
        self.week_start = param("week_start", Integer())
        self.week_end = param("week_end", Integer())


def window_values(prefix: str, start: datetime, end: datetime, now: datetime) -> dict:
    """The bind values of BoundWindow(prefix) for the window [start, end) asked at `now`."""
    first_day, last_day = local_days(AvInterval(start, end))
    before, after = wall_time_to_utc(first_day - ONE_DAY, time(0)), wall_time_to_utc(last_day + 2 * ONE_DAY, time(0))
    offset = before.astimezone(BERLIN).utcoffset()
    uniform = offset == after.astimezone(BERLIN).utcoffset()
    week = _week_seconds(start, end) if uniform else None
    values = {
        "start": start, "end": end, "now": now, "from": min(max(start, now), end),
        "first_day": first_day, "last_day": last_day, "today": now.astimezone(BERLIN).date(),
        "days": [first_day + timedelta(days=n) for n in range(-1, (last_day - first_day).days + 1)],
        # No DST change from the day before to the day after the window: wall time = UTC + one offset.
        "uniform": uniform,
        "offset": offset,
        "in_week": week is not None,
        "week_start": week[0] if week else 0,
        "week_end": week[1] if week else 0,
    }
    return {f"{prefix}_{k}": v for k, v in values.items()}


def _week_seconds(start: datetime, end: datetime) -> tuple[int, int] | None:
    """[start, end) as whole seconds of the local week (Monday 00:00 = 0), when it lies within one local day
    (it may end at the next midnight); None otherwise. Opening hours are whole seconds, so rounding the start
    down and the end up keeps "the window lies within the openings" exact."""
    local_start, local_end = start.astimezone(BERLIN), end.astimezone(BERLIN)
    day = local_start.date()

    def seconds(t: time) -> float:
        return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6

    if local_end.date() == day:
        until = seconds(local_end.time())
    elif local_end.date() == day + ONE_DAY and local_end.time() == time(0):
        until = 86400
    else:
        return None
    base = day.weekday() * 86400
    return base + math.floor(seconds(local_start.time())), base + math.ceil(until)


def _wall_to_utc(day, wall, w: BoundWindow):
    """SQL: the UTC instant of a Berlin wall time on a local date, as spaces.core.availability.wall_time_to_utc.

    On days without a DST change it is plain arithmetic; around a change the function
    berlin_wall_to_utc (migration 0008) resolves gaps and repeated hours as the Python rule does.
    """
    return case((w.uniform, func.timezone("UTC", day + wall - w.offset)),
                else_=func.berlin_wall_to_utc(day, wall))


def openings_between(w: BoundWindow):
    """SQL (rule 5a): the space's weekly openings on the window's days, as one tstzmultirange.

    range_agg joins openings that touch or run past midnight, as spaces.core.availability.merge does.
    """
    days = func.unnest(w.days).table_valued("day").render_derived(name="d")
    oh = OpeningHours
    next_day = cast(oh.closes <= oh.opens, Integer)  # closes <= opens: ends on the next local date
    pieces = func.tstzrange(_wall_to_utc(days.c.day, oh.opens, w), _wall_to_utc(days.c.day + next_day, oh.closes, w),
                            literal("[)"))
    return (
        select(func.range_agg(pieces))
        .select_from(oh)
        .join(days, oh.weekday == cast(func.extract("isodow", days.c.day), Integer) - 1)
        .where(oh.space_id == Space.id)
        .scalar_subquery()
    )


def _within_terms(w: BoundWindow, available_from=Space.available_from, available_until=Space.available_until,
                  max_days_in_advance=Space.max_days_in_advance) -> ColumnElement[bool]:
    """SQL (rules 5b and 5c): the window's local days lie in the space's period and advance window (the space's
    columns, or the same terms kept elsewhere: the map's kept counts, map_cache._from_kept)."""
    return and_(
        or_(available_from.is_(None), available_from <= w.first_day),
        or_(available_until.is_(None), available_until >= w.last_day),
        or_(max_days_in_advance.is_(None), w.last_day - w.today <= max_days_in_advance),
    )


def _during(start, end):
    return func.tstzrange(start, end, literal("[)"))


def slot_time():
    """The time of a booking as ix_bookings_slot_time indexes it (equal to `during`, which is [) by a CHECK)."""
    return func.tstzrange(func.lower(Booking.during), func.upper(Booking.during))


# The booking and closure checks ask once which spaces are taken in the window (for the whole city, a few
# thousand bookings at most, read through ix_bookings_slot_time) and then each space from a hash of them
# ("hashed SubPlan" in EXPLAIN): NOT IN over a NOT NULL column. Asked per space through the exclusion index
# instead, 38,000 spaces in view took 0.02 ms each; joined, the planner chose the exclusion index for a
# question without a space and read all of it. The plan tests pin both the index and the hash.


def taken_in(start, end) -> Select:
    """The spaces with a slot-holding booking overlapping [start, end) (each once or more)."""
    return select(Booking.space_id).where(
        Booking.status.in_([s.value for s in SLOT_HOLDING]), slot_time().op("&&")(_during(start, end)))


def no_booking_during(start, end) -> ColumnElement[bool]:
    """Criterion (rule 5f): no slot-holding booking of the space overlaps [start, end)."""
    return Space.id.not_in(taken_in(start, end))


def closed_in(start, end) -> Select:
    """The spaces with a closure overlapping [start, end) (each once or more)."""
    return select(Closure.space_id).where(Closure.during.op("&&")(_during(start, end)))


def no_closure_during(start, end) -> ColumnElement[bool]:
    """Criterion (rule 5e): the space is not closed during [start, end)."""
    return Space.id.not_in(closed_in(start, end))


def open_throughout(w: BoundWindow) -> ColumnElement[bool]:
    """Criterion (rule 5a): the whole window lies within the space's merged openings.

    Within one local day without a DST change nearby, wall-clock time is UTC plus one offset, so the window
    is compared with spaces.week_open (the weekly hours in seconds of the week, kept by a trigger; migration
    0012) on the row itself. Other windows build the openings of their days (openings_between).
    """
    return case((w.in_week, week_open_covers(w)),
                else_=func.coalesce(openings_between(w).op("@>")(_during(w.start, w.end)), False))


def week_open_covers(w: BoundWindow) -> ColumnElement[bool]:
    """Criterion (rule 5a for a window in_week): its seconds of the week lie within the space's weekly hours."""
    return Space.week_open.op("@>", is_comparison=True)(func.int4range(w.week_start, w.week_end))


def free_throughout(w: BoundWindow) -> ColumnElement[bool]:
    """Criterion (rule 5): the whole window lies in the space's free time (bookability.free_time)."""
    return and_(
        w.start >= w.now,  # 5d: nothing that has begun
        _within_terms(w),
        open_throughout(w),
        no_closure_during(w.start, w.end),
        no_booking_during(w.start, w.end),
    )


_EMPTY = literal_column("'{}'::tstzmultirange")


def free_some_time(w: BoundWindow) -> ColumnElement[bool]:
    """Criterion (rule 5): some of a window of whole local days is free time (bookability.free_time non-empty)."""
    window = _during(w.from_, w.end)
    closed = select(func.range_agg(Closure.during)).where(
        Closure.space_id == Space.id, Closure.during.op("&&")(window)).scalar_subquery()
    taken = select(func.range_agg(Booking.during)).where(
        Booking.space_id == Space.id, Booking.status.in_([s.value for s in SLOT_HOLDING]),
        Booking.during.op("&&")(window)).scalar_subquery()
    free = (openings_between(w).op("*")(func.tstzmultirange(window))
            .op("-")(func.coalesce(closed, _EMPTY)).op("-")(func.coalesce(taken, _EMPTY)))
    return and_(_within_terms(w), func.coalesce(~func.isempty(free), False))


def _geography(lon: float, lat: float):
    return func.geography(func.ST_SetSRID(func.ST_MakePoint(lon, lat), WGS84))


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


def in_bbox(min_lon, min_lat, max_lon, max_lat) -> ColumnElement[bool]:
    """Criterion: the space lies inside the WGS84 bounding box (a map view), edges included.

    `&&` finds the candidates by index (PostGIS compares float4 boxes, a few centimetres loose); the stored
    Web-Mercator coordinates then decide exactly: the edges go through the same formula as the columns
    (spaces.models.MAP_X/MAP_Y), which keeps the order of the coordinates, so a space on an edge is inside.
    ST_Intersects says the same for a point and a box, but over a whole city its exact test cost half of the
    map's count; ST_X/ST_Y ranges have no statistics, and a planner guessing one row sorted the city on disk.
    """
    return and_(
        Space.location.op("&&")(func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, WGS84)),
        Space.map_x.between(mercator_x(min_lon), mercator_x(max_lon)),
        Space.map_y.between(mercator_y(min_lat), mercator_y(max_lat)),
    )


def mercator_x(lon):
    """SQL: Web-Mercator x in metres of a longitude, computed as spaces.map_x is."""
    return cast(lon, Float()) * literal_column(MERCATOR_X_FACTOR)


def mercator_y(lat):
    """SQL: Web-Mercator y in metres of a latitude, computed as spaces.map_y is."""
    return func.ln(func.tan(func.radians(45 + cast(lat, Float()) / 2))) * literal_column(str(MERCATOR_RADIUS_M))


def search_spaces(search, *, now: datetime, limit: int | None = None, offset: int = 0) -> Select:
    """Spaces matching a SpaceSearch asked at `now`, with distance (metres, when a place is given) and `total`
    (how many match in all), sorted; at most `limit` (default: the search's own limit) after skipping `offset`."""
    return search_query(search, now=now, limit=limit, offset=offset).bound()


def search_query(search, *, now: datetime, limit: int | None = None, offset: int = 0,
                 free_now: bool = False) -> Bound:
    """search_spaces as a kept statement and its values; with `free_now`, also whether each space is free from
    `now` for a minute (column free_now)."""
    shape, values = _page_values(search, now, limit=limit, offset=offset, free_now=free_now)
    return Bound(_search_statement_free_now(shape) if free_now else _search_statement(shape), values)


def _page_values(search, now: datetime, *, limit: int | None = None, offset: int = 0,
                 free_now: bool = False) -> tuple[tuple, dict]:
    """The shape of a search and the values of a page of it (limit, offset and, with `free_now`, the minute
    from `now` that _free_now_column asks about)."""
    shape, values = _search_shape(search, now)
    values |= {"limit": search.limit if limit is None else limit, "offset": offset}
    if free_now:
        values |= window_values("now", now, now + timedelta(minutes=1), now)
    return shape, values


@lru_cache(maxsize=1)
def _free_now_column():
    return free_throughout(BoundWindow("now")).label("free_now")


def _search_shape(search, now: datetime) -> tuple[tuple, dict]:
    """Which criteria a search uses (the statement's shape) and the values to bind into them."""
    today = now.astimezone(BERLIN).date()
    values: dict = {"today": today}
    if search.window is not None:
        when = "window"
        values |= window_values("w", search.window.start, search.window.end, now)
    elif search.day is not None:
        whole = _local_day(search.day)
        when = "day"
        values |= window_values("w", whole.start, whole.end, now)
    else:
        when = "any"
    if search.min_capacity:
        values["capacity"] = search.min_capacity
    if search.equipment:
        values["equipment"] = list(search.equipment)
    if search.kinds:
        values["kinds"] = list(search.kinds)
    if search.bbox is not None:
        values |= dict(zip(("min_lon", "min_lat", "max_lon", "max_lat"), search.bbox))
    near: str | bool = False  # "line": straight line x detour (ST_DWithin); "network": the reach on the streets
    if search.near is not None and search.walk_reach is not None:
        near = "network"
        ids = sorted(search.walk_reach)
        values |= {"reach_ids": ids, "reach_m": [float(search.walk_reach[i]) for i in ids],
                   "walk_m": search.walk_minutes * WALKING_SPEED_M_PER_MIN}
    elif search.near is not None:
        near = "line"
        values |= {"lon": search.near[0], "lat": search.near[1], "radius": walk_radius_m(search.walk_minutes)}
    shape = (
        when, bool(search.min_capacity), search.step_free, search.accessible_wc, bool(search.equipment),
        bool(search.kinds), search.free_of_charge, search.bbox is not None, near, search.sort,
    )
    return shape, values


def only_a_view(search) -> bool:
    """The search filters by a map view (bbox) and nothing else (the shape of the statement says what filters)."""
    from spaces.clock import now_utc

    shape, _ = _search_shape(search, now_utc())
    when, capacity, step_free, accessible_wc, equipment, kinds, free, bbox, near, _sort = shape
    return when == "any" and bbox and not any((capacity, step_free, accessible_wc, equipment, kinds, free, near))


def _local_day(day: date):
    from spaces.times import local_day_window

    return local_day_window(day, day)


def _attribute_filters(capacity, step_free, accessible_wc, equipment, kinds, free, bbox) -> list:
    """The search's criteria on a space's own columns, with their bind parameters."""
    criteria = []
    if capacity:
        criteria.append(Space.capacity >= bindparam("capacity", type_=Integer()))
    if step_free:
        criteria.append(Space.step_free.is_(True))
    if accessible_wc:
        criteria.append(Space.accessible_wc.is_(True))
    if equipment:
        wanted = cast(bindparam("equipment", type_=postgresql.ARRAY(String())), postgresql.ARRAY(String(32)))
        criteria.append(Space.equipment.contains(wanted))  # @> on the GIN index
    if kinds:
        criteria.append(Space.kind.in_(bindparam("kinds", expanding=True)))
    if free:
        criteria.append(Space.cost_eur == 0)
    if bbox:
        criteria.append(in_bbox(*(bindparam(n, type_=Float()) for n in ("min_lon", "min_lat", "max_lon", "max_lat"))))
    return criteria


def _matching(shape: tuple) -> tuple[Select, ColumnElement]:
    """The ids (and distance, when near a place) of every space a search of this shape matches, unsorted and
    uncut; and the distance column. The list, the map's clusters and their counts all start from here."""
    when, capacity, step_free, accessible_wc, equipment, kinds, free, bbox, near, sort = shape
    distance = cast(literal(None), Float()).label("distance_m")
    walked = None
    if near == "network":
        # The spaces within the walk on the street network were found first (spaces.walking.network.reach): their
        # ids and metres come in as two arrays, joined by primary key instead of ST_DWithin.
        walked = walked_reach()
        distance = walked.c.m.label("distance_m")
    elif near:
        lon, lat = bindparam("lon", type_=Float()), bindparam("lat", type_=Float())
        distance = distance_m(lon, lat).label("distance_m")
    query = select(Space.id.label("id"), distance)
    if walked is not None:
        query = query.select_from(walked).join(Space, Space.id == walked.c.id).where(
            walked.c.m <= bindparam("walk_m", type_=Float()))
    if when == "window":  # free throughout the window
        query = query.where(free_throughout(BoundWindow("w")))
    elif when == "day":  # free some time that day
        query = query.where(free_some_time(BoundWindow("w")))
    else:
        query = query.where(not_expired(bindparam("today", type_=Date())))
    query = query.where(*_attribute_filters(capacity, step_free, accessible_wc, equipment, kinds, free, bbox))
    if near == "line":
        query = query.where(within_m(lon, lat, bindparam("radius", type_=Float())))
    return query, distance


def walked_reach():
    """SQL: the rows (id, m) of the bound arrays reach_ids and reach_m: spaces and their metres on foot."""
    return (func.unnest(bindparam("reach_ids", type_=postgresql.ARRAY(Integer())),
                        bindparam("reach_m", type_=postgresql.ARRAY(Float())))
            .table_valued(column("id", Integer()), column("m", Float())).render_derived(name="walked"))


def _found(shape: tuple, extra: tuple = ()):
    """The page of matches (id, distance_m, total, name, capacity and the `extra` columns of the space), sorted and
    cut by the bind parameters limit and offset."""
    when, bbox, near, sort = shape[0], shape[-3], shape[-2], shape[-1]
    cheap = when == "any" and not bbox and not near  # the whole city, no time: an index gives the page's order
    query, _ = _matching(shape)
    # The page and the number of all matches in one statement. With a time criterion every match is found once,
    # materialized, then counted and sorted: a second query would check every candidate's free time again, and
    # count(*) OVER () in the LIMITed query let the planner walk the name index hoping to stop early, which a
    # count cannot (45 ms for a district instead of 1). Over the whole city without one, the page walks the
    # name index and stops early, and the count is a plain scan of its own.
    matching = (query.add_columns(Space.name.label("name"), Space.capacity.label("capacity"), *extra).cte("matching")
                .prefix_with("NOT MATERIALIZED" if cheap else "MATERIALIZED"))
    m = matching.c
    if sort == "distance":
        inner_order = (m.distance_m, m.id)
    elif sort == "capacity":
        inner_order = (m.capacity, m.name, m.id)
    else:
        inner_order = (m.name, m.id)
    total = select(func.count()).select_from(matching).scalar_subquery()
    found = (select(m.id, m.distance_m, total.label("total"), m.name, m.capacity, *(m[c.name] for c in extra))
             .order_by(*inner_order).limit(bindparam("limit", type_=Integer()))
             .offset(bindparam("offset", type_=Integer())).subquery("found"))
    return found


@lru_cache(maxsize=512)
def _search_statement(shape: tuple) -> Select:
    # Building a statement costs about a millisecond of Python; there are only a few hundred shapes.
    #
    # The spaces are filtered, sorted and cut in an inner query and only then joined to their site and
    # organisation. PostgreSQL cannot estimate the free-time criteria and guesses one row; joined in
    # one query, that guess once made it loop over every site for each of 372 results (1.6 s instead
    # of 40 ms). A LIMITed inner query is planned on its own, and its few rows are decorated by index.
    sort = shape[-1]
    found = _found(shape)
    # Address and organisation per found space, by primary key (never a join the planner might loop over).
    address = select(Site.address).where(Site.id == Space.site_id).scalar_subquery()
    organisation = (select(Organisation.name).join(Site, Site.organisation_id == Organisation.id)
                    .where(Site.id == Space.site_id).scalar_subquery())
    outer = (select(*SPACE_COLUMNS, address.label("address"), organisation.label("organisation"),
                    func.ST_X(Space.location).label("lon"), func.ST_Y(Space.location).label("lat"),
                    found.c.distance_m, found.c.total)
             .select_from(found).join(Space, Space.id == found.c.id))
    if sort == "distance":
        return outer.order_by(found.c.distance_m, Space.id)
    if sort == "capacity":
        return outer.order_by(Space.capacity, Space.name, Space.id)
    return outer.order_by(Space.name, Space.id)


@lru_cache(maxsize=512)
def _search_statement_free_now(shape: tuple) -> Select:
    return _search_statement(shape).add_columns(_free_now_column())


def map_points(search, *, now: datetime, limit: int) -> Bound:
    """The spaces of a map view, at most `limit`, as the JSON text of a GeoJSON FeatureCollection built in
    PostGIS: position and what a marker and its popup show (name, kind, capacity, access, period, free now);
    everything else loads on demand from /api/spaces/{id}. `total` counts every match, `truncated` says the
    features are cut."""
    shape, values = _page_values(search, now, limit=limit, free_now=True)
    return Bound(_map_statement(shape), values)


def json_text(*members: tuple, opened=None) -> ColumnElement[str]:
    """SQL: the text of a JSON object, concatenated. Over hundreds of features this takes half the time of
    json_build_object/json_agg (the map's markers: 5 ms instead of 11 ms per view of 450 spaces).

    Each member is (name, value, how): how "n" for a number or boolean (its text is its JSON), "s" through
    to_json (strings escaped, dates ISO whatever DateStyle says), "j" for JSON text already. A name ending in
    "?" is left out when the value is NULL (as json_strip_nulls would); otherwise NULL is written as null.
    Names are constants of this module, never input. With `opened` (SQL text of an object begun and holding
    members already, e.g. spaces.marker_json), the members continue it."""
    def quoted(text: str):
        assert "'" not in text and "\\" not in text
        return literal_column(f"'{text}'", Text())

    def json_of(value, how):
        if isinstance(value, str):
            return quoted(value)
        return {"n": cast(value, Text()), "s": cast(func.to_json(value), Text()), "j": value}[how]

    parts: list = [] if opened is None else [opened]
    for position, (name, value, how) in enumerate(members, start=len(parts)):
        optional = name.endswith("?")
        key = quoted(("{" if position == 0 else ",") + '"' + name.rstrip("?") + '":')
        if optional:
            assert position > 0, "the first member is always written"
            parts.append(func.coalesce(key.op("||")(json_of(value, how)), quoted("")))
        else:
            parts += [key, func.coalesce(json_of(value, how), quoted("null"))]
    return func.concat(*parts, quoted("}"))


def json_array_text(element, *order) -> ColumnElement[str]:
    """SQL: the text of a JSON array of `element` (JSON text) over the rows, in `order`; [] for no rows."""
    comma = literal_column("','", Text())
    return func.concat(literal_column("'['", Text()),
                       func.string_agg(element, aggregate_order_by(comma, *order) if order else comma),
                       literal_column("']'", Text()))


def _point_text(lon, lat) -> ColumnElement[str]:
    """SQL: a GeoJSON Point's text, coordinates to six places (about 10 cm)."""
    def rounded(column):
        return func.round(cast(column, postgresql.NUMERIC), 6)

    return json_text(("type", '"Point"', "j"),
                     ("coordinates", func.concat(literal_column("'['", Text()), cast(rounded(lon), Text()),
                                                 literal_column("','", Text()), cast(rounded(lat), Text()),
                                                 literal_column("']'", Text())), "j"))


@lru_cache(maxsize=512)
def _map_statement(shape: tuple) -> Select:
    # Each space's Feature up to its open "properties" is kept in spaces.marker_json (migration 0023); only what
    # depends on the request is added here: free now, the walk's metres.
    # Read with the match itself (the heap row is at hand there), not joined again by id: 0.005 ms a marker.
    page = _found(shape, extra=(Space.marker_json.label("marker_json"), _free_now_column()))
    p = page.c
    properties = json_text(("free_now?", p.free_now, "n"), ("distance_m?", func.round(p.distance_m), "n"),
                           opened=p.marker_json)
    return _feature_collection(page, properties.op("||")(literal_column("'}'", Text())), sort=shape[-1])


def _feature_collection(page, feature, *, sort: str, walk_method: bool = False) -> Select:
    """One row: the JSON text of a GeoJSON FeatureCollection of `feature` (JSON text) over the page's rows in the
    list's order (_search_statement's for `sort`), with `total` (every match), `limit`, `truncated` and, asked for,
    `walk_method` (the bound value; left out when NULL)."""
    p = page.c
    order = {"distance": (p.distance_m, p.id), "capacity": (p.capacity, p.name, p.id)}.get(sort, (p.name, p.id))
    limit = bindparam("limit", type_=Integer())
    total = func.coalesce(func.max(p.total), 0)
    members = [("type", '"FeatureCollection"', "j"), ("total", total, "n"), ("limit", limit, "n"),
               ("truncated", total > limit, "n"), ("features", json_array_text(feature, *order), "j")]
    if walk_method:
        members.append(("walk_method?", bindparam("walk_method", type_=Text()), "s"))
    return select(json_text(*members).label("geojson")).select_from(page)


class Words(NamedTuple):
    """What an answer built in PostGIS says in the request's language, and where a space's page is: the values
    of api.FeatureWriter's labels, spaces.labels.period's words and the space URL, bound into the statement."""

    kinds: dict
    modes: dict
    months: list
    from_: str  # "ab %(date)s"
    until: str  # "bis %(date)s"
    space_url: str  # ".../raeume/" (the id follows)

    def values(self) -> dict:
        return {"kind_labels": self.kinds, "mode_labels": self.modes, "months": "\n".join(self.months),
                "from_words": self.from_, "until_words": self.until, "space_url": self.space_url}


def search_geojson(search, *, now: datetime, words: Words, walk_method: str | None) -> Bound:
    """/api/spaces's answer as the JSON text of a GeoJSON FeatureCollection built in PostGIS: the first
    `search.limit` spaces of search_query (with free_now), `total`, `truncated` and `walk_method` (None: left
    out). Each feature is the one api.FeatureWriter writes from a row (tests/finder/test_search_geojson.py)."""
    shape, values = _page_values(search, now, free_now=True)
    return Bound(_search_geojson_statement(shape), values | words.values() | {"walk_method": walk_method})


def period_text(available_from, available_until) -> ColumnElement[str]:
    """SQL: spaces.labels.period for a space (the bound words of Words and `today`): '' when always there."""
    def month_year(day):
        month = cast(extract("month", day), Integer())  # the month's name: a line of the bound `months`
        name = func.split_part(bindparam("months", type_=Text()), literal_column("E'\\n'", Text()), month)
        return name.op("||")(
            literal_column("' '", Text())).op("||")(cast(cast(extract("year", day), Integer()), Text()))

    def words(name: str, day):
        return func.replace(bindparam(name, type_=Text()), literal_column("'%(date)s'", Text()), month_year(day))

    today = bindparam("today", type_=Date())
    return func.concat_ws(literal_column("', '", Text()),
                          case((available_from > today, words("from_words", available_from))),
                          case((available_until.is_not(None), words("until_words", available_until))))


@lru_cache(maxsize=512)
def _search_geojson_statement(shape: tuple) -> Select:
    page = _search_statement_free_now(shape).order_by(None).subquery("page")
    p = page.c

    def labelled(name: str, code):
        return func.coalesce(bindparam(name, type_=postgresql.JSONB()).op("->>")(code), code, literal_column("''"))

    properties = json_text(
        ("id", p.id, "n"), ("name", p.name, "s"), ("kind", p.kind, "s"), ("kind_label", labelled("kind_labels", p.kind),
                                                                           "s"),
        ("capacity", p.capacity, "n"), ("area_m2", p.area_m2, "n"), ("floor", p.floor, "s"),
        ("step_free", p.step_free, "n"), ("accessible_wc", p.accessible_wc, "n"),
        ("equipment", cast(func.to_json(func.coalesce(p.equipment, literal_column("'{}'"))), Text()), "j"),
        ("booking_mode", p.booking_mode, "s"), ("booking_mode_label", labelled("mode_labels", p.booking_mode), "s"),
        ("cost_eur", p.cost_eur, "n"), ("available_from", p.available_from, "s"),
        ("available_until", p.available_until, "s"),
        ("period_label", period_text(p.available_from, p.available_until), "s"),
        ("organisation", p.organisation, "s"), ("address", p.address, "s"),
        ("url", bindparam("space_url", type_=Text()).op("||")(cast(p.id, Text())), "s"),
        ("distance_m?", func.round(p.distance_m), "n"), ("free_now", func.coalesce(p.free_now, False), "n"))
    feature = json_text(("type", '"Feature"', "j"), ("id", p.id, "n"), ("geometry", _point_text(p.lon, p.lat), "j"),
                        ("properties", properties, "j"))
    return _feature_collection(page, feature, sort=shape[-1], walk_method=True)


def count_spaces(search, *, now: datetime) -> Bound:
    """How many spaces a search matches in all (the list shows a page of them)."""
    shape, values = _search_shape(search, now)
    return Bound(_count_statement(shape[:-1] + ("name",)), values)


@lru_cache(maxsize=256)
def _count_statement(shape: tuple) -> Select:
    return select(func.count()).select_from(_matching(shape)[0].subquery("found"))


CLUSTER_PIXELS = 60  # a cluster gathers the spaces in a grid cell this many screen pixels wide


def cluster_spaces(search, *, now: datetime, zoom: int) -> Bound:
    """Every space a search matches, counted per grid cell of the map at `zoom`: one row, the JSON text of a
    GeoJSON FeatureCollection of cluster points (built in PostGIS), with `total` the number of matching
    spaces. Nothing is cut: the counts add up to every match in view.

    The grid is fixed in Web-Mercator metres (cells CLUSTER_PIXELS wide at that zoom), so panning does not
    move spaces between clusters; a cluster's point is the mean of its spaces. A cell with one space names it.
    """
    shape, values = _search_shape(search, now)
    return Bound(_cluster_statement(cluster_shape(shape)), values | cluster_values(zoom))


def cluster_shape(shape: tuple) -> tuple:
    """The shape of a search as the map's counts ask it (the order of a list plays no part)."""
    return shape[:-1] + ("name",)


def cluster_values(zoom: int) -> dict:
    """The bind values of the grid at `zoom` (bind parameters `cell` and `zoom`)."""
    return {"cell": grid_cell_m(zoom, CLUSTER_PIXELS), "zoom": zoom}


def grid_cell() -> tuple:
    """SQL: the space's grid cell (x, y) at the bound cell size, from the stored Web-Mercator metres."""
    cell = bindparam("cell", type_=Float())
    return func.floor(Space.map_x / cell), func.floor(Space.map_y / cell)


@lru_cache(maxsize=256)
def _cluster_statement(shape: tuple) -> Select:
    # spaces.map_x/map_y: EPSG:3857 metres stored with the row (migration 0012), not computed per request.
    # Grouped in the matching query itself: joined back to spaces by id, PostgreSQL read the city twice.
    cx, cy = grid_cell()
    found = (_matching(shape)[0]
             .add_columns(cx.label("cx"), cy.label("cy"),
                          func.ST_X(Space.location).label("lon"), func.ST_Y(Space.location).label("lat"))
             .subquery("found"))
    cells = (select(found.c.cx, found.c.cy, func.count().label("n"), func.avg(found.c.lon).label("lon"),
                    func.avg(found.c.lat).label("lat"), func.min(found.c.id).label("id"))
             .group_by(found.c.cx, found.c.cy)
             .subquery("cells"))
    return cluster_collection(cells)


def cluster_collection(cells) -> Select:
    """The map's counts as one row of GeoJSON text, from `cells` (cx, cy, n, lon, lat and id, the space of a
    cell with n == 1). Cells in a fixed order: most spaces first, then west to east, south to north."""
    cell = bindparam("cell", type_=Float())
    feature = json_text(
        ("type", '"Feature"', "j"), ("geometry", _point_text(cells.c.lon, cells.c.lat), "j"),
        ("properties", json_text(("count", cells.c.n, "n"), ("id", case((cells.c.n == 1, cells.c.id)), "n")), "j"))
    collection = json_text(
        ("type", '"FeatureCollection"', "j"), ("zoom", bindparam("zoom", type_=Integer()), "n"),
        ("cell_m", func.round(cast(cell, postgresql.NUMERIC), 1), "n"),
        ("total", func.coalesce(func.sum(cells.c.n), 0), "n"),
        ("features", json_array_text(feature, cells.c.n.desc(), cells.c.cx, cells.c.cy), "j"))
    return select(collection.label("geojson")).select_from(cells)


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
    from spaces.models import Quartier

    return select(Quartier.name, Quartier.id, func.ST_X(Quartier.centre), func.ST_Y(Quartier.centre)).order_by(
        Quartier.name
    )


def quartier_centre(name: str) -> Select:
    """The Quartier of this name (exact match): name, id, lon, lat."""
    from spaces.models import Quartier

    return quartier_centres().where(Quartier.name == name)


def opening_hours_of(space_id: int) -> Select:
    """A space's weekly opening hours, by weekday and opening time."""
    return (
        select(OpeningHours)
        .where(OpeningHours.space_id == space_id)
        .order_by(OpeningHours.weekday, OpeningHours.opens)
    )
