"""Closed-loop HTTP load: N clients, each sending its next request when the last answered.

Two generators with the same interface and the same Result:
* `run_wrk`: wrk (C, epoll), driven by a small Lua script that cycles through the paths. It needs a few
  milliseconds of CPU per second, so on a 2-core machine the server under test keeps both cores.
* `run`: Python threads (standard library only). Each request costs the generator about as much CPU as a
  cheap answer costs the server, so on a small machine it measures the generator's share too; used where
  wrk is missing and for POST bodies.
"""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
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


WRK_SCRIPT = r"""
local paths, i = {}, 0
for line in io.lines(os.getenv("RF_PATHS")) do paths[#paths + 1] = line end
function setup(thread) thread:set("offset", math.random(0, 1000000)) end
function init(args) i = tonumber(offset) or 0 end
function request()
  i = i + 1
  return wrk.format("GET", paths[i % #paths + 1], {Accept = "application/json"})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RF {"requests": %d, "bytes": %d, "seconds": %.6f, "errors": %d, ' ..
    '"p50": %.3f, "p95": %.3f, "p99": %.3f, "max": %.3f, "mean": %.3f}\n',
    summary.requests, summary.bytes, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
end
"""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


@dataclass
class WrkResult(Result):
    """What wrk reports: its own percentiles (HdrHistogram) instead of a list of latencies."""

    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    worst: float = 0.0
    mean: float = 0.0

    def pct(self, p: float) -> float:
        return {50: self.p50, 95: self.p95, 99: self.p99}[int(p)]

    def row(self) -> dict:
        return {"requests": self.requests, "errors": self.errors, "rps": round(self.rps, 1),
                "ok_rps": round((self.requests - self.errors) / self.seconds, 1), "p50_ms": round(self.p50, 1),
                "p95_ms": round(self.p95, 1), "p99_ms": round(self.p99, 1), "max_ms": round(self.worst, 1),
                "mean_ms": round(self.mean, 1), "avg_kb": round(self.bytes / max(1, self.requests) / 1024, 1)}


def run_wrk(base_url: str, next_path: Callable[[int, int], str], *, clients: int, seconds: float,
            warmup: float = 1.0, paths: int = 4000, threads: int = 2) -> WrkResult:
    """The same closed loop as `run`, sent by wrk over `clients` keep-alive connections: the paths are
    next_path(n, i) for each client n, interleaved; a warm-up run first, then the measured one."""
    listed = [next_path(n, i) for i in range(max(1, paths // clients)) for n in range(clients)]
    with tempfile.TemporaryDirectory() as folder:
        script, list_file = f"{folder}/paths.lua", f"{folder}/paths.txt"
        with open(script, "w") as f:
            f.write(WRK_SCRIPT)
        with open(list_file, "w") as f:
            f.write("\n".join(listed) + "\n")
        env = {"RF_PATHS": list_file, "PATH": "/usr/bin:/bin"}
        threads = max(1, min(threads, clients))
        command = ["wrk", "-t", str(threads), "-c", str(clients), "--timeout", "30s", "-s", script, base_url]
        if warmup > 0:
            subprocess.run([*command[:1], "-d", f"{max(1, round(warmup))}s", *command[1:]], env=env,
                           capture_output=True, check=True)
        out = subprocess.run([*command[:1], "-d", f"{max(1, round(seconds))}s", *command[1:]], env=env,
                             capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("RF "))
    data = json.loads(line[3:])
    return WrkResult(data["requests"], data["errors"], data["seconds"], [], data["bytes"], p50=data["p50"],
                     p95=data["p95"], p99=data["p99"], worst=data["max"], mean=data["mean"])


def print_table(label: str, rows: list[dict], columns: list[tuple[str, str]]) -> None:
    """Rows as a markdown table: columns are (key, heading); the first column is left-aligned."""
    print(f"\n{label}\n")
    print("| " + " | ".join(heading for _, heading in columns) + " |")
    print("| --- |" + " ---: |" * (len(columns) - 1))
    for row in rows:
        print("| " + " | ".join(str(row.get(key, "")) for key, _ in columns) + " |")
