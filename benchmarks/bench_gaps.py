"""Benchmark spaces.core.gaps.gap_report: 50 phases × 20,000 spaces × 12 quarters, pure Python.

    .venv/bin/python benchmarks/bench_gaps.py [--spaces 20000] [--phases 50] [--runs 5] [--seed 1]

Builds (seeded) 50 square-ish construction phases (200-700 m, slightly rotated and skewed) in
the east of Hannover (around Kronsberg / Bemerode / Misburg) and 20,000 random spaces in
EPSG:25832 over the phases' region plus the walking radius (60 % always open, 20 % planned,
20 % temporary; 0-40 public hours a week), plus 2,000 signals; then times gap_report for the
12 quarters from --start, and prints the median and p95 wall time of --runs runs.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shapely.geometry import Point, Polygon  # noqa: E402

from geo.crs import to_metric  # noqa: E402
from spaces.core.gaps import Norm, PhaseInput, Signal, SpaceInput, gap_report, quarters  # noqa: E402

EAST_HANNOVER = (9.83, 52.355)  # lon, lat: roughly between Kronsberg and Misburg


def build(n_phases: int, n_spaces: int, n_signals: int, seed: int, start: date):
    rnd = random.Random(seed)
    centre = to_metric(Point(*EAST_HANNOVER))
    cx, cy = centre.x, centre.y
    cols = math.ceil(math.sqrt(n_phases))
    pitch = 900.0  # metres between phase centres: neighbours share spaces
    phases = []
    for i in range(n_phases):
        row, col = divmod(i, cols)
        px = cx + (col - cols / 2) * pitch + rnd.uniform(-150, 150)
        py = cy + (row - cols / 2) * pitch + rnd.uniform(-150, 150)
        w, h = rnd.uniform(200, 700), rnd.uniform(200, 700)
        a = rnd.uniform(0, math.pi / 2)
        ca, sa = math.cos(a), math.sin(a)
        corners = []
        for ux, uy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            x, y = ux * w / 2 + rnd.uniform(-30, 30), uy * h / 2 + rnd.uniform(-30, 30)
            corners.append((px + x * ca - y * sa, py + x * sa + y * ca))
        move_in = start + timedelta(days=rnd.randint(-720, 900)) if rnd.random() > 0.05 else None
        phases.append(PhaseInput(id=i, name=f"BA {i}", area=Polygon(corners), move_in=move_in,
                                 residents=rnd.randint(200, 3000)))
    xmin = min(p.area.bounds[0] for p in phases) - 800
    ymin = min(p.area.bounds[1] for p in phases) - 800
    xmax = max(p.area.bounds[2] for p in phases) + 800
    ymax = max(p.area.bounds[3] for p in phases) + 800
    spaces = []
    for j in range(n_spaces):
        kind = rnd.random()
        available_from = available_until = None
        if kind < 0.2:  # planned
            available_from = start + timedelta(days=rnd.randint(0, 1100))
        elif kind < 0.4:  # temporary
            available_from = start + timedelta(days=rnd.randint(-400, 700))
            available_until = available_from + timedelta(days=rnd.randint(60, 700))
        spaces.append(SpaceInput(
            id=j,
            point=Point(rnd.uniform(xmin, xmax), rnd.uniform(ymin, ymax)),
            area_m2=rnd.choice([None, rnd.uniform(15, 300)]) if rnd.random() < 0.1 else rnd.uniform(15, 300),
            seats=rnd.randint(5, 150),
            available_from=available_from,
            available_until=available_until,
            public_hours=rnd.choice([0.0, 2.0, 5.0, 10.0, 20.0, 40.0]),
        ))
    signals = [Signal(Point(rnd.uniform(xmin, xmax), rnd.uniform(ymin, ymax)),
                      rnd.choice(["unmet_need", "declined_request"])) for _ in range(n_signals)]
    return phases, spaces, signals, (xmax - xmin) * (ymax - ymin) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phases", type=int, default=50)
    ap.add_argument("--spaces", type=int, default=20_000)
    ap.add_argument("--signals", type=int, default=2_000)
    ap.add_argument("--quarters", type=int, default=12)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=date.fromisoformat, default=date(2026, 5, 1))
    ap.add_argument("--min-hours", type=float, default=2.0, help="Norm.min_public_evening_hours")
    args = ap.parse_args()

    start = args.start
    until = start
    while len(quarters(start, until)) < args.quarters:
        until += timedelta(days=28)
    phases, spaces, signals, km2 = build(args.phases, args.spaces, args.signals, args.seed, start)
    norm = Norm(min_public_evening_hours=args.min_hours)

    times, rows = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        rows = gap_report(phases, spaces, norm, start=start, until=until, signals=signals)
        times.append(time.perf_counter() - t0)
    times.sort()
    p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
    reached = sum(len(r.counted_spaces) for r in rows) / max(1, len(rows))
    full = sum(r.coverage >= 1.0 for r in rows)
    print(f"{args.phases} phases × {args.spaces} spaces ({args.spaces / km2:.0f}/km² over {km2:.1f} km²) "
          f"× {len(quarters(start, until))} quarters, {len(signals)} signals: {len(rows)} rows")
    print(f"  counted spaces per row (mean): {reached:.1f}; rows fully covered: {full}/{len(rows)}")
    print(f"  wall time over {args.runs} runs: median {statistics.median(times) * 1e3:.1f} ms, "
          f"p95 {p95 * 1e3:.1f} ms, min {times[0] * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
