"""Benchmark proposals for one need against a synthetic city (queries + ranking, in-process).

    python benchmarks/bench_proposals.py --database-url postgresql+psycopg://...  [--needs 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--needs", type=int, default=200)
    args = parser.parse_args()
    from geoalchemy2.shape import from_shape
    from shapely.geometry import Point
    from sqlalchemy import func, select

    from spaces import create_app
    from spaces.clock import now_utc
    from spaces.core.proposals import propose
    from spaces.db import db
    from spaces.models import Need, Space
    from spaces.planning.needs.data import need_near, need_spec, space_facts_for

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url})
    rng = random.Random(11)
    times, found = [], []
    with app.app_context():
        spaces = db.session.scalar(select(func.count()).select_from(Space))
        for i in range(args.needs + 10):
            first = now_utc().date() + timedelta(days=rng.randrange(7, 120))
            need = Need(title="bench", group_size=rng.choice([8, 12, 20, 30]), duration_minutes=rng.choice([90, 120]),
                        time_pattern={"weekdays": rng.sample(range(5), rng.choice([1, 2])), "from": "17:00",
                                      "to": "21:00", "first_day": first.isoformat(),
                                      "last_day": (first + timedelta(weeks=rng.choice([8, 16, 20]))).isoformat()},
                        step_free=rng.random() < 0.5, equipment=rng.choice([[], ["chairs"], ["kitchen"]]),
                        near=from_shape(Point(rng.uniform(9.62, 9.90), rng.uniform(52.31, 52.44)), srid=4326),
                        max_walk_minutes=15, free_of_charge_only=False)
            db.session.add(need)
            db.session.flush()  # a real row, so need_near reads its point back
            start = time.perf_counter()
            spec = need_spec(need)
            facts = space_facts_for(db.session, spec, need_near(db.session, need))
            result = propose(spec, facts, now=now_utc(), limit=20)
            elapsed = (time.perf_counter() - start) * 1000
            if i >= 10:  # warm-up
                times.append(elapsed)
                found.append(len(result))
        db.session.rollback()
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"\nproposals for one need: {spaces} spaces, {len(times)} random needs (1-2 weekdays, 8-20 weeks, "
          f"15 min walk), in-process\n")
    print(f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms; "
          f"proposals per need: median {statistics.median(found):.0f}")


if __name__ == "__main__":
    main()
