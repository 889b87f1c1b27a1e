"""The raw-SQL floor of the map's lines: what PostgreSQL alone needs for the same answer, with the same
number of clients, measured in the same run as the HTTP lines of bench.py.

    python benchmarks/floor.py --database-url postgresql://…/raumfinder_bench_50000 [--clients 8] [--seconds 10]

Each client is a thread with its own connection, sending the next statement when the last one answered.
The statements build the answer in PostGIS as the service does (GeoJSON with json_agg), without the
service's rules: no time filter, no Python, no HTTP. The difference to the HTTP line is what the service
adds on top.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from datetime import date
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import WALK_POINTS, district_bbox, walk_query  # noqa: E402
from load import Result, print_table  # noqa: E402

from geo.walking import walk_radius_m  # noqa: E402
from spaces.config import Config  # noqa: E402

OPTIONS = Config.SQLALCHEMY_ENGINE_OPTIONS["connect_args"]["options"]  # the server settings the app asks for

DISTRICT_GEOJSON = """
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
         'type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(location, 6)::json,
         'properties', json_build_object('id', id, 'name', name, 'kind', kind, 'capacity', capacity))), '[]'))::text
FROM spaces WHERE location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)
"""
GRID_COUNTS = """
SELECT json_agg(json_build_object('n', n, 'lon', lon, 'lat', lat))::text FROM (
  SELECT count(*) AS n, avg(ST_X(location)) AS lon, avg(ST_Y(location)) AS lat FROM spaces
  WHERE location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)
  GROUP BY floor(map_x / %s), floor(map_y / %s)
) cells
"""
WALK_FIRST_50 = """
SELECT json_agg(json_build_object('id', id, 'name', name, 'distance_m', round(d), 'total', total))::text FROM (
  SELECT id, name, d, count(*) OVER () AS total FROM (
    SELECT id, name, ST_Distance(geography(location), geography(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))) AS d
    FROM spaces
    WHERE ST_DWithin(geography(location), geography(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)), %(radius)s)
      AND capacity >= %(capacity)s) near
  ORDER BY d, id LIMIT 50) first
"""
CITY = (9.55, 52.28, 9.95, 52.47)


def statements():
    def district(n: int, i: int):
        box = tuple(float(v) for v in district_bbox(random.Random(n * 7919 + i)).split(","))
        return DISTRICT_GEOJSON, box

    def city_counts(n: int, i: int):
        cell = 60 * 156543.03392804097 / 2**11
        return GRID_COUNTS, (*CITY, cell, cell)

    def walk(n: int, i: int):
        query = walk_query(date.today(), (n * 1009 + i) % WALK_POINTS)
        return WALK_FIRST_50, {"lon": float(query["lon"]), "lat": float(query["lat"]),
                               "radius": walk_radius_m(query["walk"]), "capacity": query["capacity"]}

    return {"floor: district bbox as GeoJSON (PostGIS json_agg, no rules)": district,
            "floor: whole city, counts per cell (zoom 11, no rules)": city_counts,
            "floor: within 15 min walk, first 50 by distance and total (no time rules)": walk}


def run_sql(url: str, next_statement, *, clients: int, seconds: float, warmup: float = 1.0) -> Result:
    lock = threading.Lock()
    latencies: list[float] = []
    totals = {"count": 0, "bytes": 0}
    start_at = time.perf_counter() + warmup
    stop_at = start_at + seconds

    def client(n: int) -> None:
        with psycopg.connect(url, autocommit=True, prepare_threshold=0, options=OPTIONS) as conn:
            i = 0
            while (now := time.perf_counter()) < stop_at:
                sql, params = next_statement(n, i)
                i += 1
                text = conn.execute(sql, params).fetchone()[0] or ""
                done = time.perf_counter()
                if now >= start_at:
                    with lock:
                        latencies.append((done - now) * 1000)
                        totals["count"] += 1
                        totals["bytes"] += len(text)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Result(totals["count"], 0, seconds, latencies or [0.0], totals["bytes"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    url = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    rows = [{"scenario": f"{name} ({args.clients} clients)",
             **run_sql(url, statement, clients=args.clients, seconds=args.seconds).row()}
            for name, statement in statements().items()]
    print_table("raw-SQL floor, same database", rows, [
        ("scenario", "line"), ("requests", "statements"), ("rps", "per s"), ("p50_ms", "p50 ms"),
        ("p95_ms", "p95 ms"), ("max_ms", "max ms"), ("avg_kb", "avg KB")])


if __name__ == "__main__":
    main()
