"""Benchmark booking over HTTP: single slots and 52-week series against a city with millions of bookings.

    python benchmarks/bench_booking.py --database-url postgresql+psycopg://... --base-url http://127.0.0.1:5099

Prepares (once) a bench organisation with an API token and 400 instant-bookable spaces open around
the clock, then books conflict-free slots from several clients. ./scripts/bench runs it after the
search benchmark when BOOKING=1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from load import print_table, run  # noqa: E402

SPACES = 400


def prepare(database_url: str) -> tuple[str, int, list[int]]:
    """A bench group with a token, and its own spaces (instant, open 24/7); reused when present."""
    from sqlalchemy import select

    from spaces import create_app
    from spaces.accounts import service as accounts
    from spaces.db import db
    from spaces.models import BookingMode, OpeningHours, Site, Space, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "bench@example.org"))
        if user is None:
            user = accounts.register(db.session, email="bench@example.org", display_name="Bench",
                                     password="bench-password-1", organisation_name="Benchmark-Initiative")
        organisation = user.organisations[0]
        site = db.session.scalar(select(Site).where(Site.organisation_id == organisation.id))
        if site is None:
            from geoalchemy2.shape import from_shape
            from shapely.geometry import Point

            site = Site(organisation_id=organisation.id, address="Benchstraße 1, Hannover",
                        location=from_shape(Point(9.75, 52.37), srid=4326))
            db.session.add(site)
            db.session.flush()
            midnight = __import__("datetime").time(0)
            for i in range(SPACES):
                db.session.add(Space(site_id=site.id, name=f"Benchraum {i}", kind="room", capacity=50,
                                     location=site.location, booking_mode=BookingMode.INSTANT,
                                     opening_hours=[OpeningHours(weekday=d, opens=midnight, closes=midnight)
                                                    for d in range(7)]))
        token = accounts.create_api_token(db.session, user, "bench")
        space_ids = list(db.session.scalars(select(Space.id).where(Space.site_id == site.id).order_by(Space.id)))
        db.session.commit()
        return token, organisation.id, space_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--base-url", default="http://127.0.0.1:5099")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    token, organisation_id, space_ids = prepare(args.database_url)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    rng = random.Random()
    start_day = date.today() + timedelta(days=1)

    # Unique (space, day, hour) cells, so no two requests of a run compete for a slot; a fresh random
    # order each run, and cells already booked by an earlier run are refused (422) and reported.
    singles = [(s, d, h) for s in space_ids[: SPACES // 2] for d in range(0, 300, 3) for h in range(6, 22, 2)]
    rng.shuffle(singles)
    series = [(s, wd, h) for s in space_ids[SPACES // 2:] for wd in range(7) for h in range(0, 24, 2)]
    rng.shuffle(series)
    next_single, next_series = itertools.count(), itertools.count()  # next() is atomic in CPython

    def single_body(n: int, i: int) -> str:
        space, day, hour = singles[next(next_single) % len(singles)]
        return json.dumps({"space_id": space, "organisation_id": organisation_id,
                           "date": (start_day + timedelta(days=day)).isoformat(), "from": f"{hour:02d}:00",
                           "to": f"{hour + 1:02d}:30", "attendees": 10})

    def series_body(n: int, i: int) -> str:
        space, weekday, hour = series[next(next_series) % len(series)]
        first = start_day + timedelta(days=(weekday - start_day.weekday()) % 7)
        return json.dumps({"space_id": space, "organisation_id": organisation_id, "date": first.isoformat(),
                           "from": f"{hour:02d}:00", "to": f"{hour + 1:02d}:30", "attendees": 10,
                           "frequency": "weekly", "until": (first + timedelta(weeks=51)).isoformat()})

    rows = []
    for name, body, clients in (("one slot", single_body, 1), ("one slot", single_body, args.clients),
                                ("52-week series", series_body, 1), ("52-week series", series_body, args.clients)):
        result = run(args.base_url, lambda n, i: "/api/bookings", clients=clients, seconds=args.seconds,
                     method="POST", body=body, headers=headers, ok_status=201)
        rows.append({"scenario": f"POST /api/bookings, {name} ({clients} client{'s' if clients > 1 else ''})",
                     **result.row()})
    print_table(args.label, rows, [
        ("scenario", "scenario"), ("requests", "requests"), ("errors", "refused"), ("rps", "requests/s"),
        ("ok_rps", "booked/s"), ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"), ("p99_ms", "p99 ms"),
    ])

if __name__ == "__main__":
    main()
