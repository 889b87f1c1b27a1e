"""Benchmark the inventory import: a synthetic CSV of 50,000 spaces read, planned and applied (target < 60 s).

    .venv/bin/python benchmarks/bench_import.py \
        --server-url "postgresql+psycopg://raumfinder@/postgres?host=$PWD/instance/pgsocket" [--rows 50000]
    .venv/bin/python benchmarks/bench_import.py --database-url postgresql+psycopg://.../raumfinder_bench [--keep]

With --server-url it imports into a throwaway database (created, migrated, dropped); with --database-url into that
(migrated) database, rolled back unless --keep. Every row lies inside the city box, 500 providers, a few
deliberately refused rows (no coordinates, capacity "viele"). Prints the seconds for read, plan and apply, the
total, and then the same file imported again (every row "unverändert").
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADER = ["ID", "Name", "Träger", "Adresse", "Breite", "Länge", "Art", "Kapazität", "Fläche (m²)", "stufenlos",
          "Ausstattung", "Buchungsart", "Kosten (€)", "Öffnungszeiten"]
HOURS = ["Mo-Fr 09:00-18:00", "Mo-Fr 16:00-22:00; Sa 10:00-18:00", "Mo-Su 08:00-22:00", "Tu,Th 18:00-21:00"]


def synthetic_csv(rows: int, seed: int = 1) -> bytes:
    """A CSV like a provider's list, with German headers and decimal commas; every 1,000th row is refused."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    for i in range(rows):
        lat = f"{rng.uniform(52.31, 52.44):.6f}".replace(".", ",")
        lon = f"{rng.uniform(9.61, 9.91):.6f}".replace(".", ",")
        capacity = str(rng.randint(5, 150))
        if i % 1000 == 999:
            lat, lon = "", ""
        elif i % 1000 == 998:
            capacity = "viele"
        writer.writerow([f"BENCH-{i}", f"Raum {i}", f"Träger {i % 500}", f"Benchstraße {i // 3}, Hannover", lat, lon,
                         rng.choice(["Raum", "Saal", "room", "Werkstatt"]), capacity,
                         f"{rng.uniform(10, 300):.1f}".replace(".", ","), rng.choice(["ja", "nein"]),
                         rng.choice(["", "Beamer, Tische", "Küche", "WLAN"]), rng.choice(["sofort", "auf Anfrage"]),
                         rng.choice(["0", "12,50"]), rng.choice(HOURS)])
    return out.getvalue().encode("utf-8")


def run(database_url: str, rows: int, keep: bool) -> None:
    from spaces import create_app
    from spaces.db import db
    from spaces.inventory import service

    data = synthetic_csv(rows)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        for attempt in ("first import", "same file again"):
            started = time.perf_counter()
            read = service.read_file("bench.csv", data)
            t_read = time.perf_counter()
            plan = service.plan_rows(db.session, read, service.Importer(None, None))
            t_plan = time.perf_counter()
            counts = service.apply(db.session, plan) if plan.created or plan.updated else plan.counts
            db.session.flush()
            t_apply = time.perf_counter()
            if keep or attempt == "first import":
                db.session.commit()
            print(f"{attempt}: {len(read):,} rows ({len(data) / 1e6:.1f} MB): read {t_read - started:.1f} s, "
                  f"plan {t_plan - t_read:.1f} s, apply {t_apply - t_plan:.1f} s, total {t_apply - started:.1f} s "
                  f"(target < 60 s); {counts.created:,} created, {counts.updated:,} updated, "
                  f"{counts.unchanged:,} unchanged, {counts.refused:,} refused")
        if not keep:
            db.session.rollback()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--server-url", help="a PostgreSQL server: import into a throwaway database there")
    where.add_argument("--database-url", help="a migrated database to import into")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true", help="with --database-url: commit the imported spaces")
    args = parser.parse_args()
    if args.database_url:
        run(args.database_url, args.rows, args.keep)
        return
    from throwaway import migrated_database

    with migrated_database(args.server_url, "raumfinder_bench_import") as url:
        run(url, args.rows, keep=True)


if __name__ == "__main__":
    main()
