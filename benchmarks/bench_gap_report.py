"""Benchmark the QM's gap report: 50 construction phases over a synthetic city of 20,000 spaces.

    python benchmarks/bench_gap_report.py --database-url postgresql+psycopg://...   (a migrated, empty database)

Fills the database once (synthetic city with bookings, 50 phases east of the centre), then times
the whole page /bedarf (queries, computation, HTML) and /bedarf.csv in-process, 7 times each.
./scripts/bench runs it when GAPS=1.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PHASES, SPACES, BOOKINGS = 50, 20_000, 400_000


def prepare(app) -> str:
    """City, phases and a QM admin (once); returns a login-session token for the admin."""
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon, box
    from sqlalchemy import func, select

    from geo.crs import to_wgs84
    from spaces.accounts import service as accounts
    from spaces.db import db
    from spaces.dev.synthetic import generate_city
    from spaces.models import ConstructionPhase, Space, User

    with app.app_context():
        if db.session.scalar(select(func.count()).select_from(Space)) < SPACES:
            generate_city(db.session.connection(), spaces=SPACES, bookings=BOOKINGS, seed=3)
            db.session.commit()
        if db.session.scalar(select(func.count()).select_from(ConstructionPhase)) < PHASES:
            rng = random.Random(5)
            for i in range(PHASES):  # 300-700 m fields spread over the city's east, in EPSG:25832
                x, y = 548_000 + rng.uniform(0, 9_000), 5_796_000 + rng.uniform(0, 9_000)
                w, h = rng.uniform(300, 700), rng.uniform(300, 700)
                area = to_wgs84(box(x, y, x + w, y + h))
                homes = rng.randrange(200, 1500)
                db.session.add(ConstructionPhase(
                    name=f"Synthetisches Baufeld {i + 1}", geom=from_shape(MultiPolygon([area]), srid=4326),
                    status=rng.choice(["planned", "building", "occupied"]), homes=homes, persons_per_home=2.2,
                    move_in=date.today() + timedelta(days=rng.randrange(-900, 1500))))
            db.session.commit()
        user = db.session.scalar(select(User).where(User.email == "bench-qm@example.org"))
        if user is None:
            user = accounts.register(db.session, email="bench-qm@example.org", display_name="QM",
                                     password="bench-password-1")
            user.role = "qm_admin"
        token = accounts.open_session(db.session, user)
        db.session.commit()
        return token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from spaces import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "TILE_URL": ""})
    token = prepare(app)
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = token
        cookie["_fresh"] = True
    print(f"\ngap report: {PHASES} phases, {SPACES} spaces, {BOOKINGS} bookings, in-process, 1 request at a time\n")
    print("| page | runs | median ms | max ms | bytes |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for path in ("/bedarf", "/bedarf.csv", "/bedarf.geojson"):
        client.get(path)  # warm up: imports, statement caches
        times, size = [], 0
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
            size = len(response.data)
        print(f"| {path} | {args.runs} | {statistics.median(times):.0f} | {max(times):.0f} | {size} |")


if __name__ == "__main__":
    main()
