"""A synthetic Hannover for benchmarks: many organisations, sites, spaces, opening hours and bookings.

``generate_city(connection, spaces=..., bookings=...)`` writes everything with PostgreSQL COPY
(psycopg 3) inside the caller's transaction; the caller commits. The same seed and start give
the same data (only the database ids and organisation keys differ), and running it twice into
one database never clashes with unique keys: organisation keys are ``synth-<organisation id>``,
and every site and space hangs below a fresh organisation.

Bookings never overlap another slot-holding booking of the same space: each space's opening
time is cut into a grid of cells at most 3 hours long (opening, +3 h, +6 h, ...); a booking
lies inside one cell and each cell takes at most one booking. All booked wall-clock times lie
between 08:00 and 22:00 Europe/Berlin, so none of them falls into a daylight-saving gap or the
repeated autumn hour, and every booking lies inside a same-day opening of its space.
"""

from __future__ import annotations

import math
import random
import time as _time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import text

from geo.crs import WGS84
from spaces.clock import BERLIN, today_local
from spaces.db import db
from spaces.ops.storage import cluster_spaces
from spaces.planning.usage import summary as usage_summary

__all__ = ["generate_city", "synthetic_city_command"]

# The box every generated point lies in (lon, lat).
LON_MIN, LON_MAX = 9.60, 9.92
LAT_MIN, LAT_MAX = 52.30, 52.45

NEIGHBOURHOODS = 50
SPACES_PER_ORGANISATION = 20
COPY_CHUNK = 250_000  # bookings per COPY statement: bounds the queue of foreign-key checks

EQUIPMENT = ["kitchen", "projector", "screen", "chairs", "tables", "wifi", "stage", "sound"]

# kind: (weight, name, median capacity, spread of log capacity, equipment probabilities)
KINDS = {
    "room": (40, "Gemeinschaftsraum", 16, 0.65,
             {"chairs": 0.9, "tables": 0.85, "wifi": 0.6, "projector": 0.3, "screen": 0.2, "kitchen": 0.25}),
    "hall": (12, "Saal", 70, 0.45,
             {"chairs": 0.95, "tables": 0.8, "wifi": 0.6, "projector": 0.55, "screen": 0.35, "stage": 0.5,
              "sound": 0.6, "kitchen": 0.3}),
    "kitchen": (8, "Quartiersküche", 12, 0.45, {"kitchen": 1.0, "chairs": 0.8, "tables": 0.9, "wifi": 0.3}),
    "workshop": (10, "Werkstatt", 10, 0.5, {"tables": 0.9, "chairs": 0.6, "wifi": 0.3}),
    "coworking": (8, "Coworking-Raum", 14, 0.5,
                  {"wifi": 1.0, "tables": 0.95, "chairs": 0.95, "screen": 0.6, "projector": 0.3, "kitchen": 0.4}),
    "outdoor": (12, "Treffpunkt im Freien", 35, 0.6, {"chairs": 0.2, "tables": 0.2}),
}
KIND_NAMES = list(KINDS)
KIND_WEIGHTS = [KINDS[k][0] for k in KIND_NAMES]

ORGANISATION_KINDS = {
    "association": (40, "Nachbarschaftsverein"),
    "initiative": (20, "Quartiersinitiative"),
    "housing_company": (10, "Wohnungsgesellschaft"),
    "cooperative": (10, "Wohnungsgenossenschaft"),
    "church": (10, "Kirchengemeinde"),
    "city": (5, "Stadtteilzentrum"),
    "other": (5, "Träger"),
}
ORG_KIND_NAMES = list(ORGANISATION_KINDS)
ORG_KIND_WEIGHTS = [ORGANISATION_KINDS[k][0] for k in ORG_KIND_NAMES]

STREETS = [
    "Lindener Marktplatz", "Limmerstraße", "Fössestraße", "Engelbosteler Damm", "Lister Meile",
    "Podbielskistraße", "Sallstraße", "Hildesheimer Straße", "Wunstorfer Straße", "Vahrenwalder Straße",
    "Stöckener Straße", "Davenstedter Straße", "Göttinger Chaussee", "Mühlenberger Markt", "Canarisweg",
    "Thie", "Brabeckstraße", "Kattenbrookstrift", "Sahlkamp", "Hägewiesen", "Marienstraße",
    "Kronsberger Straße", "Wülfeler Straße", "Am Lindener Berge", "Elmstraße", "Haltenhoffstraße",
]
POSTCODES = [
    "30159", "30161", "30163", "30165", "30167", "30169", "30171", "30173", "30175", "30177", "30179",
    "30419", "30449", "30451", "30453", "30455", "30457", "30459", "30519", "30521", "30539", "30559",
    "30625", "30627", "30629", "30655", "30657", "30659", "30669",
]

# Weekday opening windows in minutes after local midnight: (weight, weekdays window, weekend window).
ROOM_PATTERNS = [
    (30, (8 * 60, 22 * 60), (10 * 60, 18 * 60)),
    (25, (16 * 60, 22 * 60), (10 * 60, 18 * 60)),
    (20, (9 * 60, 21 * 60), (9 * 60, 21 * 60)),
    (15, (9 * 60, 17 * 60), (10 * 60, 16 * 60)),
    (10, (14 * 60, 22 * 60), (14 * 60, 22 * 60)),
]
PATTERN_WEIGHTS = [p[0] for p in ROOM_PATTERNS]
OUTDOOR_BOOKING_WINDOW = (8 * 60, 22 * 60)  # outdoor spots are open 24 h; bookings stay in daytime
CELL_MINUTES = 180

DURATIONS = [60, 90, 120, 150, 180]
DURATION_WEIGHTS = [25, 15, 35, 10, 15]

PUBLIC_PURPOSES = [
    "Nachbarschaftscafé", "Repair-Café", "Sprachcafé", "Offener Spieleabend", "Kinderflohmarkt",
    "Yoga im Quartier", "Mieterversammlung", "Lesung", "Seniorentreff", "Kiezkino", "Tauschbörse",
    "Offene Nähwerkstatt", "Quartiersfest-Vorbereitung", "Erzählcafé",
]
PRIVATE_PURPOSES = [
    "", "", "Vorstandssitzung", "Chorprobe", "Hausaufgabenhilfe", "Geburtstagsfeier", "Gruppentreffen",
    "Workshop", "Theaterprobe", "Beratung", "Krabbelgruppe", "Teamsitzung", "Mitgliederversammlung",
]


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _cells(window: tuple[int, int]) -> list[tuple[int, int]]:
    """The grid of a window: (start minute, length) cells of at most 3 hours, each at least 1 hour."""
    opens, closes = window
    return [(s, min(CELL_MINUTES, closes - s)) for s in range(opens, closes - 60 + 1, CELL_MINUTES)]


class _Space:
    __slots__ = ("site", "index", "kind", "capacity", "row", "hours", "booking_windows", "first", "last",
                 "bookable")


def _neighbourhoods(rng: random.Random) -> list[tuple[float, float, float, float, str]]:
    """About 50 centres (lon, lat, sigma in degrees of latitude, weight, postcode); a few are dense."""
    out = []
    for _ in range(NEIGHBOURHOODS):
        lon = rng.uniform(LON_MIN + 0.03, LON_MAX - 0.03)
        lat = rng.uniform(LAT_MIN + 0.02, LAT_MAX - 0.02)
        sigma = rng.uniform(0.002, 0.010)
        weight = rng.paretovariate(1.1)  # heavy tail: some districts get many spaces
        out.append((lon, lat, sigma, weight, rng.choice(POSTCODES)))
    return out


def _point(rng: random.Random, centre) -> tuple[float, float]:
    lon0, lat0, sigma = centre[0], centre[1], centre[2]
    for _ in range(10):
        lat = rng.gauss(lat0, sigma)
        lon = rng.gauss(lon0, sigma * 1.63)  # 1/cos(52.4°): round clusters on the ground
        if LON_MIN <= lon <= LON_MAX and LAT_MIN <= lat <= LAT_MAX:
            return lon, lat
    return _clamp(lon, LON_MIN, LON_MAX), _clamp(lat, LAT_MIN, LAT_MAX)


def _weekday_dates(first: date, last: date, weekday: int) -> tuple[date, int]:
    """The first date on `weekday` in [first, last] and how many such dates there are."""
    start = first + timedelta(days=(weekday - first.weekday()) % 7)
    if start > last:
        return start, 0
    return start, (last - start).days // 7 + 1


def _allocate(total: int, weights: list[float], caps: list[int]) -> list[int]:
    """Split `total` proportionally to `weights`, never giving item i more than caps[i]; deterministic."""
    alloc = [0] * len(weights)
    active = [i for i, c in enumerate(caps) if c > 0]
    remaining = total
    while remaining > 0 and active:
        weight_sum = sum(weights[i] for i in active)
        given = 0
        for i in active:
            share = min(int(remaining * weights[i] / weight_sum), caps[i] - alloc[i])
            alloc[i] += share
            given += share
        remaining -= given
        active = [i for i in active if alloc[i] < caps[i]]
        if given == 0:
            for i in sorted(active, key=lambda i: -weights[i])[:remaining]:
                alloc[i] += 1
                remaining -= 1
            active = [i for i in active if alloc[i] < caps[i]]
    if remaining > 0:
        raise ValueError(f"not enough free slots: {total - remaining} of {total} bookings fit")
    return alloc


def _copy_rows(raw, statement: str, rows) -> int:
    n = 0
    with raw.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def _reserve_ids(connection, table: str, n: int) -> list[int]:
    if n == 0:
        return []
    return sorted(connection.execute(
        text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
        {"t": table, "n": n},
    ).scalars())


def generate_city(  # noqa: C901 (one generator, step by step, kept in one piece to read it top down)
    connection,
    *,
    spaces: int,
    bookings: int,
    seed: int = 1,
    start: date | None = None,
    days: int = 365,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Insert a synthetic city into the caller's transaction; returns how many rows of each table.

    `connection` is a SQLAlchemy Connection on psycopg 3 (e.g. ``session.connection()``); nothing is
    committed. Bookings lie on the `days` local dates from `start` (default: 30 days before today);
    the "today" of temporary and planned spaces is ``start + 30 days``. Raises ValueError when the
    bookings do not fit into the free cells of the bookable spaces.
    """
    if spaces < 1:
        raise ValueError("spaces must be at least 1")
    if bookings < 0 or days < 1:
        raise ValueError("bookings must be >= 0 and days >= 1")
    say = progress or (lambda message: None)
    started = _time.perf_counter()

    def step(message: str) -> None:
        say(f"[{_time.perf_counter() - started:7.1f} s] {message}")

    if start is None:
        start = today_local() - timedelta(days=30)
    today = start + timedelta(days=30)
    last_day = start + timedelta(days=days - 1)
    rng = random.Random(seed)

    # --- Everything but the bookings, in memory (small: a few hundred bytes per space). ---
    centres = _neighbourhoods(rng)
    centre_weights = [c[3] for c in centres]
    n_orgs = max(1, round(spaces / SPACES_PER_ORGANISATION))
    organisations = []
    for i in range(n_orgs):
        kind = rng.choices(ORG_KIND_NAMES, ORG_KIND_WEIGHTS)[0]
        organisations.append((kind, f"{ORGANISATION_KINDS[kind][1]} {i + 1} (synthetisch)"))
    org_weights = [rng.paretovariate(1.5) for _ in range(n_orgs)]

    sites = []  # (organisation index, address, lon, lat)
    space_list: list[_Space] = []
    while len(space_list) < spaces:
        s = len(sites)
        org = s if s < n_orgs else rng.choices(range(n_orgs), org_weights)[0]
        centre = rng.choices(centres, centre_weights)[0]
        lon, lat = _point(rng, centre)
        street = STREETS[s % len(STREETS)]
        sites.append((org, f"{street} {s // len(STREETS) + 1}, {centre[4]} Hannover", lon, lat))
        size = min(rng.choices((1, 2, 3, 4, 5), (20, 20, 25, 20, 15))[0], spaces - len(space_list))
        for _ in range(size):
            sp = _Space()
            sp.site = s
            sp.index = len(space_list) + 1
            space_list.append(sp)

    for sp in space_list:
        kind = rng.choices(KIND_NAMES, KIND_WEIGHTS)[0]
        _, label, median, spread, equipment_p = KINDS[kind]
        capacity = int(_clamp(round(rng.lognormvariate(math.log(median), spread)), 4, 150))
        area = Decimal(round(capacity * 2.5 * rng.uniform(0.8, 1.25), 1)).quantize(Decimal("0.1"))
        step_free = rng.random() < 0.6
        accessible_wc = step_free and rng.random() < 0.58  # about 35 % overall
        lift = step_free and kind != "outdoor" and rng.random() < 0.3
        hearing_loop = kind in ("room", "hall") and rng.random() < 0.08
        equipment = [e for e in EQUIPMENT if rng.random() < equipment_p.get(e, 0.05)]
        r = rng.random()
        mode = "not_bookable" if r < 0.05 else "instant" if r < 0.40 else "on_request"
        cost = Decimal(0) if rng.random() < 0.6 else Decimal(rng.randrange(5, 81))
        r = rng.random()
        available_from = available_until = None
        if r < 0.08:
            available_until = today + timedelta(days=rng.randint(14, 365))
        elif r < 0.13:
            available_from = today + timedelta(days=rng.randint(365, 3 * 365))
        advance = rng.choice((None, None, None, 30, 90, 180, 365))
        floor = None if kind == "outdoor" else rng.choice(("EG", "EG", "EG", "1. OG", "2. OG", "UG"))
        sp.kind = kind
        sp.capacity = capacity
        sp.row = [
            None, None, f"{label} {sp.index}", "", kind, None, capacity, area, floor, step_free,
            accessible_wc, lift, hearing_loop, equipment, mode, cost, "", available_from, available_until,
            advance,
        ]
        # Opening hours: (weekday, opens, closes) in minutes; booking windows per weekday.
        if kind == "outdoor":
            sp.hours = [(d, 0, 0) for d in range(7)]
            sp.booking_windows = {d: OUTDOOR_BOOKING_WINDOW for d in range(7)}
        else:
            _, weekdays, weekend = rng.choices(ROOM_PATTERNS, PATTERN_WEIGHTS)[0]
            open_days = rng.choices((5, 6, 7), (40, 35, 25))[0]
            windows = {d: weekdays if d < 5 else weekend for d in range(open_days)}
            sp.hours = [(d, w[0], w[1]) for d, w in windows.items()]
            sp.booking_windows = windows
        sp.first = max(start, available_from) if available_from else start
        sp.last = min(last_day, available_until) if available_until else last_day
        sp.bookable = mode != "not_bookable"

    # --- Ids and rows. ---
    step(f"{n_orgs} organisations, {len(sites)} sites, {spaces} spaces generated in memory")
    raw = connection.connection.driver_connection
    org_ids = _reserve_ids(connection, "organisations", n_orgs)
    site_ids = _reserve_ids(connection, "sites", len(sites))
    space_ids = _reserve_ids(connection, "spaces", spaces)

    counts = {}
    counts["organisations"] = _copy_rows(
        raw, "COPY organisations (id, key, name, kind) FROM STDIN",
        ((oid, f"synth-{oid}", name, kind) for oid, (kind, name) in zip(org_ids, organisations)),
    )
    counts["sites"] = _copy_rows(
        raw, "COPY sites (id, organisation_id, address, location) FROM STDIN",
        ((sid, org_ids[org], address, f"SRID={WGS84};POINT({lon:.6f} {lat:.6f})")
         for sid, (org, address, lon, lat) in zip(site_ids, sites)),
    )

    def space_rows():
        for sp, space_id in zip(space_list, space_ids):
            _, _, lon, lat = sites[sp.site]
            row = sp.row
            row[0] = space_id
            row[1] = site_ids[sp.site]
            row[5] = f"SRID={WGS84};POINT({lon:.6f} {lat:.6f})"
            yield row

    counts["spaces"] = _copy_rows(
        raw,
        "COPY spaces (id, site_id, name, description, kind, location, capacity, area_m2, floor, step_free,"
        " accessible_wc, lift, hearing_loop, equipment, booking_mode, cost_eur, house_rules,"
        " available_from, available_until, max_days_in_advance) FROM STDIN",
        space_rows(),
    )
    hhmm = [f"{m // 60:02d}:{m % 60:02d}" for m in range(0, 24 * 60, 30)]
    counts["opening_hours"] = _copy_rows(
        raw, "COPY opening_hours (space_id, weekday, opens, closes) FROM STDIN",
        ((space_id, d, hhmm[o // 30], hhmm[c // 30])
         for sp, space_id in zip(space_list, space_ids) for d, o, c in sp.hours),
    )
    step(f"{counts['spaces']} spaces and {counts['opening_hours']} opening hours copied")

    # --- Bookings: how many per space, then distinct cells per space. ---
    plans = []  # per space: [(weekday, first date, number of dates, cells)], total cells
    for sp in space_list:
        plan, total = [], 0
        if sp.bookable and sp.first <= sp.last:
            for d, window in sp.booking_windows.items():
                first, n_dates = _weekday_dates(sp.first, sp.last, d)
                cells = _cells(window)
                if n_dates and cells:
                    plan.append((first, n_dates, cells, total))
                    total += n_dates * len(cells)
        plans.append((plan, total))
    popularity = [rng.paretovariate(1.8) for _ in space_list]
    per_space = _allocate(bookings, popularity, [total for _, total in plans])

    offsets: dict[date, str] = {}
    date_text: dict[date, str] = {}

    def local(day: date, minute: int) -> str:
        # 08:00-22:00 local never meets a DST change (02:00/03:00), so the offset at noon is right.
        if day not in offsets:
            offset = datetime(day.year, day.month, day.day, 12, tzinfo=BERLIN).utcoffset()
            hours, seconds = divmod(int(offset.total_seconds()), 3600)
            offsets[day] = f"{hours:+03d}" + (f":{seconds // 60:02d}" if seconds else "")
            date_text[day] = day.isoformat()
        return f"{date_text[day]} {hhmm[minute // 30]}:00{offsets[day]}"

    n_public = len(PUBLIC_PURPOSES)
    n_private = len(PRIVATE_PURPOSES)

    def booking_rows():
        random_ = rng.random
        randrange = rng.randrange
        choices = rng.choices
        for sp, space_id, (plan, total), k in zip(space_list, space_ids, plans, per_space):
            if not k:
                continue
            capacity = sp.capacity
            p = 0
            for cell in sorted(rng.sample(range(total), k)):
                while p + 1 < len(plan) and plan[p + 1][3] <= cell:
                    p += 1
                first, n_dates, cells, base = plan[p]
                week, slot = divmod(cell - base, len(cells))
                day = first + timedelta(days=7 * week)
                cell_start, cell_length = cells[slot]
                duration = min(choices(DURATIONS, DURATION_WEIGHTS)[0], cell_length)
                begin = cell_start + 30 * randrange((cell_length - duration) // 30 + 1)
                r = random_()
                status = ("confirmed" if r < 0.85 else "requested" if r < 0.93
                          else "cancelled" if r < 0.965 else "declined")
                attendees = 1 + int(random_() * capacity)
                if random_() < 0.10:
                    purpose, public = PUBLIC_PURPOSES[int(random_() * n_public)], True
                else:
                    purpose, public = PRIVATE_PURPOSES[int(random_() * n_private)], False
                yield (space_id, f"[{local(day, begin)},{local(day, begin + duration)})", status,
                       min(attendees, capacity), purpose, public)

    counts["bookings"] = 0
    rows = booking_rows()
    # The usage summary's row triggers would fire once per booking: off for the COPY (in this transaction), then
    # the summary computed from the bookings in one go (spaces/planning/usage/summary.py).
    usage_summary.triggers_off(connection)
    while counts["bookings"] < bookings:
        chunk = min(COPY_CHUNK, bookings - counts["bookings"])
        counts["bookings"] += _copy_rows(
            raw, "COPY bookings (space_id, during, status, attendees, purpose, is_public) FROM STDIN",
            (next(rows) for _ in range(chunk)),
        )
        step(f"{counts['bookings']} of {bookings} bookings copied")
    usage_summary.triggers_on(connection)
    usage_summary.rebuild(connection)
    step("usage summary rebuilt")

    cluster_spaces(connection)  # as `flask spaces cluster` keeps a city's table: in the order of the map
    connection.execute(text("ANALYZE organisations, sites, spaces, opening_hours, bookings"))
    step("spaces ordered by place, tables analysed")
    return counts


@click.command("synthetic-city")
@click.option("--spaces", "n_spaces", default=1000, show_default=True, type=click.IntRange(min=1),
              help="How many spaces.")
@click.option("--bookings", "n_bookings", default=20_000, show_default=True, type=click.IntRange(min=0),
              help="How many bookings.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the random generator.")
@click.option("--days", default=365, show_default=True, type=click.IntRange(min=1),
              help="Over how many days the bookings spread.")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day of bookings (default: 30 days ago).")
@with_appcontext
def synthetic_city_command(n_spaces: int, n_bookings: int, seed: int, days: int, start: datetime | None):
    """Add a synthetic city (many spaces and bookings) for benchmarks; can run again."""
    started = _time.perf_counter()
    counts = generate_city(
        db.session.connection(), spaces=n_spaces, bookings=n_bookings, seed=seed, days=days,
        start=start.date() if start else None, progress=click.echo,
    )
    db.session.commit()
    click.echo("Synthetische Stadt angelegt: " + ", ".join(f"{v} {k}" for k, v in counts.items())
               + f" in {_time.perf_counter() - started:.1f} s")
