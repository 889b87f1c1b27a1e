"""Benchmark the map page and the search API of a running Raumfinder against a synthetic city.

    python benchmarks/bench.py --base-url http://127.0.0.1:5099 [--clients 8] [--seconds 15]

Prints one markdown table row per scenario. The database behind the server should hold a
synthetic city (flask demo synthetic-city); ./scripts/bench does all of it for several sizes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import have_wrk, print_table, run, run_wrk  # noqa: E402

LON, LAT = (9.62, 9.90), (52.31, 52.44)
DISTRICT = (0.025, 0.015)  # degrees: about 1.7 km x 1.7 km at Hannover's latitude


def district_bbox(rng: random.Random) -> str:
    lon = rng.uniform(LON[0], LON[1] - DISTRICT[0])
    lat = rng.uniform(LAT[0], LAT[1] - DISTRICT[1])
    return f"{lon:.5f},{lat:.5f},{lon + DISTRICT[0]:.5f},{lat + DISTRICT[1]:.5f}"


WALK_POINTS = 200  # the walk line cycles through this many random points and dates


def walk_query(today: date, k: int) -> dict:
    """The k-th of WALK_POINTS searches "free 18-20 within 15 minutes' walk, first 50 by distance"."""
    rng = random.Random(k)
    day = today + timedelta(days=rng.randrange(1, 60))
    return {"lat": f"{rng.uniform(*LAT):.5f}", "lon": f"{rng.uniform(*LON):.5f}", "walk": 15,
            "date": day.isoformat(), "from": "18:00", "to": "20:00", "capacity": 10, "sort": "distance",
            "limit": 50}


def scenarios(today: date):
    def all_filters(n: int, i: int) -> str:
        rng = random.Random(n * 1_000_003 + i)
        day = today + timedelta(days=rng.randrange(1, 60))
        start = rng.choice([9, 10, 14, 16, 17, 18, 19])
        query = {
            "bbox": district_bbox(rng), "date": day.isoformat(), "from": f"{start}:00", "to": f"{start + 2}:00",
            "capacity": rng.choice([5, 10, 15, 20]), "step_free": 1, "accessible_wc": rng.choice([0, 1]),
            "equipment": rng.choice(["chairs", "tables", "wifi", "kitchen"]), "kind": rng.choice(["room", "hall"]),
            "free": rng.choice([0, 1]),
        }
        return "/api/spaces?" + urlencode(query)

    def map_view(n: int, i: int) -> str:
        return "/api/spaces?" + urlencode({"bbox": district_bbox(random.Random(n * 7919 + i))})

    def map_points(n: int, i: int) -> str:  # what the map loads zoomed in (static/js/map.js, MAX_MARKERS)
        return "/api/spaces/points?" + urlencode({"bbox": district_bbox(random.Random(n * 7919 + i)), "limit": 500})

    def nearest(n: int, i: int) -> str:
        rng = random.Random(n * 104_729 + i)
        return "/api/spaces/nearest?" + urlencode(
            {"lat": f"{rng.uniform(*LAT):.5f}", "lon": f"{rng.uniform(*LON):.5f}", "n": 20}
        )

    def free_near(n: int, i: int) -> str:
        return "/api/spaces?" + urlencode(walk_query(today, (n * 1009 + i) % WALK_POINTS))

    city = "9.55,52.28,9.95,52.47"  # all of Hannover, as the map shows it zoomed out

    def city_counts(n: int, i: int) -> str:
        return "/api/spaces/clusters?" + urlencode({"bbox": city, "zoom": 11})

    def city_counts_filtered(n: int, i: int) -> str:
        rng = random.Random(n * 15_485_863 + i)
        day = today + timedelta(days=rng.randrange(1, 60))
        return "/api/spaces/clusters?" + urlencode({
            "bbox": city, "zoom": 11, "date": day.isoformat(), "from": "18:00", "to": "20:00", "capacity": 10})

    def district_counts(n: int, i: int) -> str:
        return "/api/spaces/clusters?" + urlencode({"bbox": district_bbox(random.Random(n * 7919 + i)), "zoom": 15})

    return {
        "map: whole city, counts per cell (zoom 11)": city_counts,
        "map: whole city, counts, free 18-20 on a date, capacity 10": city_counts_filtered,
        "map: district, counts per cell (zoom 15)": district_counts,
        "api: district bbox, all filters, free on a date 2 h": all_filters,
        "api: nearest 20": nearest,
        "api: free 18-20 within 15 min walk, by distance, first 50 and total (200 points and dates)": free_near,
        "map: district, the spaces as markers (/api/spaces/points, at most 500, GeoJSON from PostGIS)": map_points,
        "api: district bbox only, every detail (/api/spaces, 1,000, built in PostGIS)": map_view,
    }


def page_size_and_time(base_url: str, path: str = "/", repeat: int = 30) -> dict:
    """The map page's size and its latency with one client (= server time on loopback)."""
    result = run(base_url, lambda n, i: path, clients=1, seconds=5, warmup=0.5, max_requests=repeat)
    with urllib.request.urlopen(base_url + path) as response:
        size = len(response.read())
    return {"bytes": size, **result.row()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5099")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--label", default="")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    parser.add_argument("--only", default="", help="run only the lines whose name contains this text")
    parser.add_argument("--load", choices=["wrk", "python"], default="wrk" if have_wrk() else "python",
                        help="the load generator (default: wrk when installed; its bytes include the headers)")
    args = parser.parse_args()
    load = run_wrk if args.load == "wrk" else run
    args.label += f", load from {args.load}"
    today = date.today()
    rows = []
    if not args.only:
        page = page_size_and_time(args.base_url)
        rows.append({"scenario": "map page / (1 client)", **page})
    for name, next_path in scenarios(today).items():
        if args.only not in name:
            continue
        for clients in ([1, args.clients] if name == "api: nearest 20" else [args.clients]):
            result = load(args.base_url, next_path, clients=clients, seconds=args.seconds)
            rows.append({"scenario": f"{name} ({clients} client{'s' if clients > 1 else ''})", **result.row()})
    if args.json:
        for row in rows:
            print(json.dumps({"label": args.label, **row}))
        return
    print_table(args.label, rows, [
        ("scenario", "scenario"), ("requests", "requests"), ("errors", "errors"), ("rps", "req/s"),
        ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"), ("p99_ms", "p99 ms"), ("max_ms", "max ms"), ("avg_kb", "avg KB"),
        ("bytes", "page bytes"),
    ])

if __name__ == "__main__":
    main()
