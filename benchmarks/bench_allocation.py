"""Benchmark spaces.core.allocation.allocate (pure Python + scipy), against greedy_first_fit.

    .venv/bin/python benchmarks/bench_allocation.py [--runs 3] [--seed 1]

(a) 500 needs, 150 spaces x 30 weekly slots (4,500 slots, partly overlapping within a space),
    ~20 random candidates per need with random scores; target < 2 s.
(b) 2,000 needs, 50,000 space-slots (5,000 spaces x 10 slots), ~25 candidates per need; target
    < 10 s; run once with partly overlapping slots (MILP components) and once with a
    non-overlapping grid (pure bipartite matching).
(c) contended (not in the brief): 500 needs on 20 spaces x 30 slots, 2,000 needs on 100 x 30.
Prints the median wall time of --runs runs, served / total score, and greedy's for comparison.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spaces.core.allocation import Candidate, Slot, allocate, greedy_first_fit  # noqa: E402

MONDAY = datetime(2025, 9, 1)


def make_slots(rng, n_spaces, per_space, overlap):
    slots = []
    for sp in range(n_spaces):
        if overlap:
            # random 1-3 h slots starting on the hour, 8-21 h, Mon-Sun: many overlap
            for k in range(per_space):
                day = rng.randrange(7)
                start = rng.randrange(8, 21)
                length = rng.randint(1, 3)
                begin = MONDAY + timedelta(days=day, hours=start)
                slots.append(Slot(f"{sp}:{k}", sp, begin, begin + timedelta(hours=length)))
        else:
            # disjoint 2 h blocks, 8-22 h, Mon-Sun
            blocks = [(d, h) for d in range(7) for h in range(8, 22, 2)]
            for k, (day, start) in enumerate(rng.sample(blocks, min(per_space, len(blocks)))):
                begin = MONDAY + timedelta(days=day, hours=start)
                slots.append(Slot(f"{sp}:{k}", sp, begin, begin + timedelta(hours=2)))
    return slots


def make_instance(seed, n_needs, n_spaces, per_space, per_need, overlap):
    rng = random.Random(seed)
    slots = make_slots(rng, n_spaces, per_space, overlap)
    needs = [f"need{i}" for i in range(n_needs)]
    cands = []
    for n in needs:
        k = max(1, int(rng.gauss(per_need, per_need / 4)))
        for s in rng.sample(slots, min(k, len(slots))):
            cands.append(Candidate(n, s.id, round(rng.random(), 6)))
    return needs, slots, cands


def run(name, target, runs, *instance):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        res = allocate(*instance)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    greedy = greedy_first_fit(*instance)
    t_greedy = time.perf_counter() - t0
    median = statistics.median(times)
    ok = "OK" if median < target else "SLOW"
    print(
        f"{name}: {len(instance[0])} needs, {len(instance[1])} slots, {len(instance[2])} candidates | "
        f"allocate median {median:.3f} s (max {max(times):.3f} s, target < {target} s: {ok}) "
        f"method={res.method} served={res.served} score={res.total_score:.3f} | "
        f"greedy {t_greedy:.3f} s served={greedy.served} score={greedy.total_score:.3f}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    run("(a) overlapping", 2, args.runs, *make_instance(args.seed, 500, 150, 30, 20, True))
    run("(b) overlapping", 10, args.runs, *make_instance(args.seed, 2000, 5000, 10, 25, True))
    run("(b) disjoint", 10, args.runs, *make_instance(args.seed, 2000, 5000, 10, 25, False))
    # contended (not in the brief): demand exceeds what the overlapping slots can hold
    run("(c) contended", 10, args.runs, *make_instance(args.seed, 500, 20, 30, 20, True))
    run("(c) contended", 10, args.runs, *make_instance(args.seed, 2000, 100, 30, 25, True))


if __name__ == "__main__":
    main()
