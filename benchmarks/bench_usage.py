"""Benchmark the usage report for every space of a synthetic city over one year (in-process, as a QM admin).

    .venv/bin/python benchmarks/bench_usage.py \
        --database-url "postgresql+psycopg://raumfinder@/raumfinder_bench_50000?host=$PWD/instance/pgsocket" \
        [--first 2027-01-01] [--last 2027-12-31] [--runs 5] [--csv]

Times spaces.planning.usage.service.build_report (the statements and the arithmetic, every bookable space, the
heat grid of the whole city, the unmet needs per Quartier) and, with --csv, the CSV built from it; prints the
median and the maximum of --runs runs after one warm-up, and the statements each run sent.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--first", type=date.fromisoformat, default=date(2027, 1, 1))
    parser.add_argument("--last", type=date.fromisoformat, default=date(2027, 12, 31))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--csv", action="store_true", help="also build the CSV of every space")
    args = parser.parse_args()
    from sqlalchemy import event

    from spaces import create_app
    from spaces.db import db
    from spaces.planning.usage import service
    from spaces.planning.usage.data import Scope

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url})
    times, statements = [], []
    with app.test_request_context():
        seen: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
        report = None
        for run in range(args.runs + 1):
            seen.clear()
            start = time.perf_counter()
            report = service.build_report(db.session, Scope(), args.first, args.last)
            if args.csv:
                service.report_csv(report)
            elapsed = time.perf_counter() - start
            db.session.rollback()
            if run:  # the first run warms caches and connections
                times.append(elapsed)
                statements.append(len(seen))
    assert report is not None
    total = report.total
    print(f"usage report {args.first} – {args.last}{' + CSV' if args.csv else ''}: {total.spaces:,} spaces, "
          f"{total.confirmed:,} confirmed bookings, {total.open_hours:,.0f} h open, "
          f"{total.booked_hours:,.0f} h booked, {len(report.quartiers)} Quartiers")
    print(f"  median {statistics.median(times):.2f} s, max {max(times):.2f} s over {len(times)} runs; "
          f"{max(statements)} statements a run (target < 2 s)")


if __name__ == "__main__":
    main()
