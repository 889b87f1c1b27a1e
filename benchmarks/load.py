"""A small closed-loop HTTP load generator: N clients, each sending its next request when the last answered.

Standard library only, so the benchmark needs nothing the project does not already have.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    bytes: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))]

    def row(self) -> dict:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(self.rps, 1),
            "ok_rps": round((self.requests - self.errors) / self.seconds, 1),
            "p50_ms": round(self.pct(50), 1),
            "p95_ms": round(self.pct(95), 1),
            "p99_ms": round(self.pct(99), 1),
            "max_ms": round(max(self.latencies_ms), 1),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1),
            "avg_kb": round(self.bytes / max(1, self.requests) / 1024, 1),
        }


def run(base_url: str, next_path: Callable[[int, int], str], *, clients: int, seconds: float,
        warmup: float = 1.0, max_requests: int = 200_000, method: str = "GET",
        body: Callable[[int, int], str] | None = None, headers: dict | None = None, ok_status: int = 200) -> Result:
    """Send requests from `clients` threads for `seconds` (after a warm-up) and collect latencies."""
    parts = urlsplit(base_url)
    lock = threading.Lock()
    latencies: list[float] = []
    totals = {"errors": 0, "bytes": 0, "count": 0}
    start_at = time.perf_counter() + warmup
    stop_at = start_at + seconds

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        i = 0
        while True:
            now = time.perf_counter()
            if now >= stop_at or totals["count"] >= max_requests:
                break
            path = next_path(n, i)
            i += 1
            t0 = time.perf_counter()
            try:
                payload = body(n, i).encode() if body else None
                conn.request(method, path, body=payload, headers={"Accept": "application/json", **(headers or {})})
                response = conn.getresponse()
                data = response.read()
                ok = response.status == ok_status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                ok, data = False, b""
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            elapsed = (time.perf_counter() - t0) * 1000
            if t0 >= start_at:
                with lock:
                    totals["count"] += 1
                    totals["bytes"] += len(data)
                    latencies.append(elapsed)
                    if not ok:
                        totals["errors"] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    measured = min(seconds, max(0.001, time.perf_counter() - start_at))
    return Result(totals["count"], totals["errors"], measured, latencies, totals["bytes"])


def print_table(label: str, rows: list[dict], columns: list[tuple[str, str]]) -> None:
    """Rows as a markdown table: columns are (key, heading); the first column is left-aligned."""
    print(f"\n{label}\n")
    print("| " + " | ".join(heading for _, heading in columns) + " |")
    print("| --- |" + " ---: |" * (len(columns) - 1))
    for row in rows:
        print("| " + " | ".join(str(row.get(key, "")) for key, _ in columns) + " |")
