"""Residents' pages: the map with search filters and the list of results, and a space's page."""

import math
from datetime import date, timedelta
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from flask_babel import format_decimal, format_number, gettext
from werkzeug.datastructures import MultiDict

from geo.maps import finder_map, page_parts
from geo.walking import WALKING_SPEED_M_PER_MIN, walk_minutes, walk_radius_m
from spaces.clock import BERLIN, now_utc, today_local
from spaces.core.bookability import horizon
from spaces.core.errors import BadParameter
from spaces.db import db
from spaces.finder import service
from spaces.finder.relax import relaxations
from spaces.finder.search import FIRST_DAY, LAST_DAY, SORTS, SpaceSearch
from spaces.labels import BOOKING_MODES, EQUIPMENT, KINDS, WEEKDAYS, date_words, kind_letters, label, period
from spaces.maps import map_settings
from spaces.models import Space
from spaces.phrasing import said

bp = Blueprint("finder", __name__)

PAGE_SIZE = 50


@bp.app_context_processor
def _labels():
    return {"label": label, "KINDS": KINDS, "EQUIPMENT": EQUIPMENT, "BOOKING_MODES": BOOKING_MODES,
            "WEEKDAYS": WEEKDAYS}


def _map_text() -> dict:
    """The words static/js/map.js shows, in the visitor's language (map.js falls back to German)."""
    months, from_date, until_date = date_words()
    return {
        "persons": gettext("bis %(n)s Personen"),
        "step_free": gettext("stufenlos"),
        "not_step_free": gettext("nicht stufenlos"),
        "accessible_wc": gettext("barrierefreies WC"),
        "next_loading": gettext("Nächste freie Zeit wird geladen …"),
        "next_free": gettext("Nächste freie Zeit: %(when)s"),
        "none_free": gettext("In den nächsten zwei Wochen nichts frei."),
        "details": gettext("Details und Buchung"),
        "move_in": gettext("Einzug ab %(date)s"),
        "homes": gettext("%(n)s Wohnungen"),
        "spaces_layer": gettext("Räume und Treffpunkte"),
        "cluster": gettext("%(n)s Räume hier – vergrößern"),
        "phases_layer": gettext("Bauabschnitte"),
        "search_here": gettext("Hier suchen"),
        "phase_label": gettext("Bauabschnitt %(name)s"),
        # Translators: the language tag for weekdays and dates in the map's popups (English: en-GB).
        "date_locale": gettext("de-DE"),
        "kind_letters": kind_letters(),
        "kind_labels": {code: label(KINDS, code) for code in KINDS},
        "months": list(months), "from_date": from_date, "until_date": until_date,
    }


def _bounds(rows: list, near) -> list | None:
    """[[south, west], [north, east]] around the listed spaces and the place searched near; None for none."""
    points = [(r.lat, r.lon) for r in rows] + ([(near[1], near[0])] if near and rows else [])
    if not points:
        return None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _locate_strings() -> dict:
    """The "where am I" map button's words; {distance} is filled in by the button, in metres."""
    return {"title": gettext("Wo bin ich?"),
            "popup": gettext("Sie sind im Umkreis von {distance} m um diesen Punkt")}


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        return 1


def _map(search, errors: list, found: list) -> dict:
    """The Folium frame of the residents' map; map.js loads the spaces in view from the API. After a search the
    map fits the listed results (and the place searched near)."""
    filters = {} if errors else _multi(request.args, drop=("page", "lang", "sort", "limit", "zoom"))
    return page_parts(finder_map(
        **map_settings(), locate_strings=_locate_strings(), layers={
            "spaces": url_for("api.points", **filters),
            "fit": _bounds(found, search.near),
            "space_url": url_for("finder.space", space_id=0)[:-1],  # + id
            "space_query": urlencode(list(MultiDict(filters).items(multi=True))),  # the search, carried on
            "today": today_local().isoformat(),  # the service's day, for "ab Sept. 2027" of planned spaces
            "clusters": url_for("api.clusters", **filters),
            "phases": url_for("api.phases"),
            "near": list(search.near) if search.near else None,
            "radius": round(walk_radius_m(search.walk_minutes)),
            # On the street network the map draws the area reached on foot instead of the circle (map.js).
            "isochrone": _isochrone_url(search),
            "text": _map_text(),
        }))


def _isochrone_url(search) -> str | None:
    """/api/isochrone of the place searched near and its walk, when the search walked on the street network."""
    if search.near is None or search.walk_method != "network":
        return None
    return url_for("walking.point_isochrone", lat=search.near[1], lon=search.near[0], minutes=search.walk_minutes)


def walk_note(search) -> str:
    """How this page measures "minutes on foot": on the street network, or estimated from the straight line."""
    if search.near is not None and search.walk_method == "network":
        return gettext("Gehzeit auf dem Fußwegenetz")
    if search.near is not None and service.walking_on_network():
        return gettext("Gehzeit geschätzt (Luftlinie × 1,3) – der Ort liegt außerhalb des Fußwegenetzes")
    if search.near is None and service.walking_on_network():
        return gettext("Gehzeit auf dem Fußwegenetz")
    return gettext("Gehzeit geschätzt (Luftlinie × 1,3) – kein Fußwegenetz geladen")


@bp.get("/")
def index():
    """The map of Hannover with spaces and construction phases, a search form, and the results as a list."""
    now = now_utc()
    errors, status = [], 200
    try:
        search = service.current_search()
    except BadParameter as err:  # every wrong field at once, each beside its input; no list of "results"
        errors, status, search = [{"field": f, "message": said(m)} for f, m in err.field_errors], 400, SpaceSearch()
    page = _page_number()
    # The list shows a page; the page says how many there are in all.
    rows, total = ([], 0) if errors else service.search_page(
        search, now, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    filtered = any(v for k, v in request.args.items(multi=True) if k not in ("page", "lang"))
    changes = _what_would_help(search, now) if filtered and not errors and total == 0 else []
    return render_template(
        "finder/index.html", map=_map(search, errors, rows[:PAGE_SIZE] if filtered else []), rows=rows[:PAGE_SIZE],
        search=search, errors=errors, error_fields={e["field"] for e in errors}, args=request.args,
        quartiers=service.quartier_names(), sorts=SORTS, page=page, has_next=len(rows) > PAGE_SIZE, total=total,
        pages=max(1, -(-total // PAGE_SIZE)), page_size=PAGE_SIZE, filtered=filtered, changes=changes,
        active_filters=_active_filters(request.args), walk_note=walk_note(search), **_list_helpers(errors, now)), status


def _list_helpers(errors: list, now) -> dict:
    """What the list's template asks per row: links that keep the search, the period and distance words."""
    today = now.astimezone(BERLIN).date()
    return {
        "page_url": lambda n: url_for("finder.index", **{**_multi(request.args, drop=("page",)), "page": n}),
        "search_args": {} if errors else _multi(request.args, drop=("page",)),
        "change_url": lambda change: url_for("finder.index", **_multi(change.args)) + "#treffer",
        "period": lambda s: period(s.available_from, s.available_until, today),
        "distance_words": distance_words,
    }


def distance_words(metres: float, method: str = "straight_line") -> str:
    """"≈ 12 Min. zu Fuß · 850 m Luftlinie" (German numbers; km from 1,000 m on): the walk minutes by the same rule
    as the search's walking distance (geo.walking), so a space found within 15 minutes never says 16. Walked on the
    street network ("network"): "12 Min. zu Fuß · 960 m Fußweg", the metres / 80 m a minute."""
    if method == "network":
        minutes = max(1, math.ceil(metres / WALKING_SPEED_M_PER_MIN - 1e-9))
        if metres < 1000:
            far = gettext("%(m)s m Fußweg", m=format_number(round(metres)))
        else:
            far = gettext("%(km)s km Fußweg", km=format_decimal(round(metres / 1000, 1), format="#,##0.0"))
        return gettext("%(min)s Min. zu Fuß", min=minutes) + " · " + far
    minutes = max(1, math.ceil(walk_minutes(metres) - 1e-9))
    if metres < 1000:
        far = gettext("%(m)s m Luftlinie", m=format_number(round(metres)))
    else:
        far = gettext("%(km)s km Luftlinie", km=format_decimal(round(metres / 1000, 1), format="#,##0.0"))
    return gettext("≈ %(min)s Min. zu Fuß", min=minutes) + " · " + far


def _active_filters(args) -> int:
    """How many filters the search uses (a chosen place counts once), for the "Filter (3)" button."""
    return len({k for k, v in args.items(multi=True) if v and k not in ("page", "lang", "sort", "lon", "limit")})


def _what_would_help(search: SpaceSearch, now) -> list:
    """Nothing found: the single changes to the search that would find something (spaces.finder.relax)."""
    return relaxations(request.args, search, parse=service.current_search, count=service.search_count, now=now)


def _multi(args, drop=()) -> dict:
    """Request arguments as a dict for url_for, keeping repeated keys as lists."""
    return {k: (v if len(v) > 1 else v[0]) for k, v in args.lists() if k not in drop and any(v)}


def _week_start(value: str | None, today: date) -> date:
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        raise BadParameter(f"Woche: „{value}“ ist kein Datum (erwartet JJJJ-MM-TT).") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadParameter(f"Woche: bitte zwischen {FIRST_DAY:%d.%m.%Y} und {LAST_DAY:%d.%m.%Y}.")
    return day - timedelta(days=day.weekday())


@bp.get("/raeume/<int:space_id>")
def space(space_id: int):
    """One space: facts, a week of free and busy time in time order, public events, how to book."""
    now = now_utc()
    today = now.astimezone(BERLIN).date()
    row = service.space_row(space_id)
    # The search that led here (the list and the map pass it on): its day's week, and "Jetzt buchen" and
    # "Zur Karte" keep it. A search argument that does not parse is simply not carried on.
    search = _search_context()
    monday = _week_start(request.args.get("woche") or (search.day.isoformat() if search.day else None), today)
    days, calendar = service.week_of(space_id, monday, now)
    limit = horizon(calendar.terms, now)
    return render_template(
        "finder/space.html", row=row, space=db.session.get(Space, space_id),
        period=period(row.available_from, row.available_until, today), week=days, monday=monday,
        prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7),
        events=service.public_events(space_id, today, now), bookable=calendar.bookable,
        last_bookable_day=(limit - timedelta(days=1)).astimezone(BERLIN).date() if limit else None,
        today=today, BERLIN=BERLIN,
        searched=search, search_args=_multi(request.args, drop=("woche", "page")),
        book_url=url_for("booking.book", space_id=space_id, **_booking_prefill(search)))


def _search_context() -> SpaceSearch:
    """The search this page was reached from, or none when its arguments are missing or wrong."""
    try:
        return service.current_search()
    except BadParameter:
        return SpaceSearch()


def _booking_prefill(search: SpaceSearch) -> dict:
    """The booking form's day and times from the search: the day searched, and its window when it had one."""
    if search.window is not None:
        start, end = search.window.start.astimezone(BERLIN), search.window.end.astimezone(BERLIN)
        return {"day": start.date().isoformat(), "starts": f"{start:%H:%M}", "ends": f"{end:%H:%M}"}
    return {"day": search.day.isoformat()} if search.day else {}
