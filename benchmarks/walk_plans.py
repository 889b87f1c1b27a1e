"""The walk search's SQL over the 200 points and dates of bench.py's walk line, one client, no HTTP: the time of
each statement the service sends (search_spaces: first 50 by distance with the total) and the plan of the
slowest, so a plan that depends on the planner's luck shows up as a max far above the p95.

    python benchmarks/walk_plans.py --database-url postgresql+psycopg://…/raumfinder_bench_50000 [--plan]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine
from werkzeug.datastructures import MultiDict

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import WALK_POINTS, walk_query  # noqa: E402

from spaces.config import Config  # noqa: E402
from spaces.finder.queries import search_spaces  # noqa: E402
from spaces.finder.search import parse_search  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=2, help="passes over the points (the first warms the cache)")
    parser.add_argument("--plan", action="store_true", help="also print the plan of the slowest statement")
    args = parser.parse_args()
    engine = create_engine(args.database_url, **Config.SQLALCHEMY_ENGINE_OPTIONS)  # as the app connects
    today = date.today()
    now = datetime.now(UTC)
    times: list[tuple[float, str]] = []
    with engine.connect() as conn:
        for round_ in range(args.rounds):
            for k in range(WALK_POINTS):
                query = {key: str(value) for key, value in walk_query(today, k).items()}
                search = parse_search(MultiDict(query), today=today)
                statement = search_spaces(search, now=now)
                sql = str(statement.compile(dialect=engine.dialect,
                                            compile_kwargs={"literal_binds": True, "render_postcompile": True}))
                start = time.perf_counter()
                conn.exec_driver_sql(sql).fetchall()
                if round_ == args.rounds - 1:
                    times.append(((time.perf_counter() - start) * 1000, sql))
        times.sort(key=lambda t: t[0])
        ms = [t for t, _ in times]
        print(f"walk search SQL, {len(ms)} statements, one client: p50 {statistics.median(ms):.1f} ms, "
              f"p95 {ms[int(0.95 * (len(ms) - 1))]:.1f} ms, max {ms[-1]:.1f} ms")
        if not args.plan:
            return
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + times[-1][1]).fetchall()
        print("plan of the slowest:\n" + "\n".join("    " + row[0] for row in plan))


if __name__ == "__main__":
    main()
