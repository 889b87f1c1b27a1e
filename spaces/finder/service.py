"""What the residents' pages and the API ask of the database: the search of this request, a page of
results, one space, its week, its public events."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from flask import request

from spaces.clock import today_local
from spaces.core.availability import Interval
from spaces.core.errors import NotFound
from spaces.db import db
from spaces.finder.queries import (
    count_spaces,
    quartier_centre,
    quartier_centres,
    search_query,
    spaces_with_place,
)
from spaces.finder.search import parse_search
from spaces.finder.week import Busy, SpaceCalendar, space_calendar
from spaces.models import Space
from spaces.times import local_day_window, split_by_local_day
from spaces.walking import network


def quartier_lookup() -> dict:
    """Quartier name -> (id, lon, lat), for searches near a Quartier."""
    return {name: (qid, lon, lat) for name, qid, lon, lat in db.session.execute(quartier_centres())}


class _QuartierByName:
    """Looks up one Quartier by name when a search names one (most searches don't)."""

    def get(self, name: str):
        row = db.session.execute(quartier_centre(name)).first()
        return None if row is None else (row[1], row[2], row[3])


def current_search(args=None):
    """The SpaceSearch of this request's parameters (HTTP 400 when one is wrong), with the spaces within its walk
    on the street network when it searches near a place and a network is loaded."""
    search = parse_search(request.args if args is None else args, today=today_local(), quartiers=_QuartierByName())
    return with_walk_reach(search)


def with_walk_reach(search):
    """The search with walk_reach filled in from the street network (spaces.walking.network.reach), or as it is
    when it is not near a place, no network is loaded or the place lies outside it (the straight-line rule)."""
    if search.near is None or not network.available(db.session):
        return search
    reach = network.reach(db.session, search.near[0], search.near[1], search.walk_minutes)
    return search if reach is None else replace(search, walk_reach=reach)


def walking_on_network() -> bool:
    """Whether walking distances are measured on a loaded street network (else: straight line x 1.3)."""
    return network.available(db.session)


def space_row(space_id: int):
    """One space with its address, organisation and coordinates (NotFound when there is none)."""
    row = db.session.execute(spaces_with_place().where(Space.id == space_id)).first()
    if row is None:
        raise NotFound(f"Einen Raum mit der Nummer {space_id} gibt es nicht.")
    return row


def search_count(search, now: datetime) -> int:
    """How many spaces the search matches in all."""
    return db.session.execute(*count_spaces(search, now=now)).scalar_one()


def search_page(search, now: datetime, *, limit: int, offset: int) -> tuple[list, int]:
    """One page of a search's results (rows of spaces_with_place) and how many spaces match in all."""
    rows = db.session.execute(*search_query(search, now=now, limit=limit, offset=offset)).all()
    if rows:
        return rows, rows[0].total
    return rows, (search_count(search, now) if offset else 0)  # a page past the end still says how many


def quartier_names() -> list[str]:
    """The named places to search near."""
    return [name for name, *_ in db.session.execute(quartier_centres())]


def week_of(space_id: int, monday: date, now: datetime) -> tuple[dict, SpaceCalendar]:
    """A week of a space from `monday`, day by day: [(interval, "free" | "busy", title)] in time order."""
    days = [monday + timedelta(days=i) for i in range(7)]
    calendar = space_calendar(db.session, space_id, local_day_window(days[0], days[-1]), now)
    week = {d: [] for d in days}
    for interval in calendar.free:
        for day, part in split_by_local_day(interval):
            week[day].append((part, "free", None))
    for busy in calendar.busy:
        clipped = Interval(max(busy.interval.start, calendar.window.start), min(busy.interval.end, calendar.window.end))
        for day, part in split_by_local_day(clipped):
            week[day].append((part, "busy", busy.title))
    for entries in week.values():
        entries.sort(key=lambda e: (e[0].start, e[0].end))
    return week, calendar


def public_events(space_id: int, today: date, now: datetime, most: int = 10) -> list[Busy]:
    """The next public events of a space (in the coming 60 days), by title."""
    events = space_calendar(db.session, space_id, local_day_window(today, today + timedelta(days=60)), now)
    return [b for b in events.busy if b.kind == "booking" and b.title][:most]
