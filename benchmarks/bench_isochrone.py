"""Benchmark walking on the street network: 15-minute isochrones and reach on 200,000 edges (target p95 < 200 ms).

    .venv/bin/python benchmarks/bench_isochrone.py \
        --server-url "postgresql+psycopg://raumfinder@/postgres?host=$PWD/instance/pgsocket" [--edges 200000]
    .venv/bin/python benchmarks/bench_isochrone.py --database-url postgresql+psycopg://.../raumfinder_bench [--keep]

The network is synthetic: a jittered grid (about 60 m between crossings at 200,000 edges) over the whole city box
(CITY_BOUNDS), written in SQL with generate_series, not by the OSM reader. With --server-url it goes into a
throwaway database (created, migrated, with a synthetic city of --spaces spaces, dropped at the end); with
--database-url it replaces the network of that (migrated) database and uses its spaces, rolled back unless --keep.
Then --points random points in the city: spaces.walking.network.isochrone and .reach for --minutes each, timed
one by one in-process (the SQL and the GeoJSON); prints p50, p95 and max of each.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VERTICES = """
    INSERT INTO walk_vertices (id, geom)
    SELECT i * :ny + j + 1,
           ST_SetSRID(ST_MakePoint(:west + (i + 0.5 + (random() - 0.5) * 0.4) * :dx,
                                   :south + (j + 0.5 + (random() - 0.5) * 0.4) * :dy), 4326)
    FROM generate_series(0, :nx - 1) i, generate_series(0, :ny - 1) j
"""
EDGES = """
    INSERT INTO walk_edges (id, source, target, length_m, geom)
    SELECT row_number() OVER (), a, b, ST_Length(line::geography), line
    FROM (SELECT a.id AS a, b.id AS b, ST_MakeLine(a.geom, b.geom) AS line
          FROM walk_vertices a JOIN walk_vertices b ON b.id = a.id + :ny  -- east
          UNION ALL
          SELECT a.id, b.id, ST_MakeLine(a.geom, b.geom)
          FROM walk_vertices a JOIN walk_vertices b ON b.id = a.id + 1 AND a.id % :ny <> 0) pairs  -- north
"""


def grid(edges: int, bounds: tuple[float, float, float, float]) -> dict:
    """The grid's size and spacing for about `edges` edges over the box, square cells in metres."""
    west, south, east, north = bounds
    width = (east - west) * 111_320 * math.cos(math.radians((south + north) / 2))
    height = (north - south) * 110_574
    cell = math.sqrt(2 * width * height / edges)
    nx, ny = math.ceil(width / cell) + 1, math.ceil(height / cell) + 1
    return {"nx": nx, "ny": ny, "west": west, "south": south, "dx": (east - west) / nx, "dy": (north - south) / ny}


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return (f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {ordered[-1] * 1000:.0f} ms")


def run(database_url: str, edges: int, points: int, minutes: float, keep: bool, spaces: int) -> None:
    from sqlalchemy import func, select, text

    from spaces import create_app
    from spaces.db import db
    from spaces.models import Space
    from spaces.walking import network
    from spaces.walking.streets import snap_spaces

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    bounds = app.config["CITY_BOUNDS"]
    with app.test_request_context():
        session = db.session
        if spaces:
            from spaces.dev.synthetic import generate_city

            generate_city(session.connection(), spaces=spaces, bookings=0, seed=1)
        started = time.perf_counter()
        size = grid(edges, bounds)
        session.execute(text("DELETE FROM walk_edges"))
        session.execute(text("DELETE FROM walk_vertices"))
        session.execute(text("SELECT setseed(0.15)"))
        session.execute(text(VERTICES), size)
        session.execute(text(EDGES), {"ny": size["ny"]})
        snap_spaces(session)  # every space's nearest edge, as `flask geo import-streets` stores it
        session.execute(text("ANALYZE walk_vertices, walk_edges, walk_space_access"))
        if keep:
            session.commit()
        n_edges = session.scalar(text("SELECT count(*) FROM walk_edges"))
        n_spaces = session.scalar(select(func.count()).select_from(Space))
        print(f"network: {n_edges:,} edges, {size['nx'] * size['ny']:,} vertices "
              f"({size['nx']} x {size['ny']}) in {time.perf_counter() - started:.1f} s; {n_spaces:,} spaces")
        rng = random.Random(7)
        west, south, east, north = bounds
        starts = [(rng.uniform(west, east), rng.uniform(south, north)) for _ in range(points)]
        network.isochrone(session, *starts[0], minutes)  # warm-up
        timings: dict[str, list[float]] = {"isochrone": [], "reach": []}
        sizes = []
        for lon, lat in starts:
            network.forget_availability()
            t0 = time.perf_counter()
            area = network.isochrone(session, lon, lat, minutes)
            t1 = time.perf_counter()
            reached = network.reach(session, lon, lat, minutes)
            t2 = time.perf_counter()
            assert area is not None and reached is not None
            timings["isochrone"].append(t1 - t0)
            timings["reach"].append(t2 - t1)
            sizes.append(len(reached))
        print(f"{points} random points, {minutes:g} minutes on foot ({minutes * network.SPEED_M_PER_MIN:.0f} m):")
        for name, times in timings.items():
            print(f"  {name:9} {percentiles(times)} (target p95 < 200 ms)")
        print(f"  spaces reached per point: median {statistics.median(sizes):.0f}, max {max(sizes)}")
        if not keep:
            session.rollback()
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--server-url", help="a PostgreSQL server with pgRouting: use a throwaway database there")
    where.add_argument("--database-url", help="a migrated database (with pgRouting) whose network is replaced")
    parser.add_argument("--edges", type=int, default=200_000)
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=15)
    parser.add_argument("--spaces", type=int, default=50_000, help="with --server-url: synthetic spaces to reach")
    parser.add_argument("--keep", action="store_true", help="with --database-url: commit the synthetic network")
    args = parser.parse_args()
    if args.database_url:
        run(args.database_url, args.edges, args.points, args.minutes, args.keep, spaces=0)
        return
    from throwaway import migrated_database

    with migrated_database(args.server_url, "raumfinder_bench_isochrone") as url:
        run(url, args.edges, args.points, args.minutes, keep=True, spaces=args.spaces)


if __name__ == "__main__":
    main()
