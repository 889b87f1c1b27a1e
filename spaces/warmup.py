"""Warm a fresh worker before it takes requests, so the first visitor waits no longer than the hundredth.

A new process has compiled no template, built no SQL statement, loaded no translation and opened no
database connection; measured on the 50,000-space city, its first `/` took 488 ms against 50 ms later.
gunicorn.conf.py calls warm_up() in each worker after it loaded the app. Only GET requests are made,
and nothing is written.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import Flask

from spaces.clock import today_local

log = logging.getLogger("raumfinder.warmup")

PATHS = ("/", "/?lang=en", "/api/spaces?limit=1", "/api/spaces/points?limit=1", "/api/spaces/clusters?zoom=12",
         "/api/phases", "/api/quartiers", "/anmelden", "/registrieren", "/api/openapi.json")


def warm_up(app: Flask) -> dict[str, int]:
    """Ask the app for its common pages once, in-process (as if from RAUMFINDER_BASE_URL); returns the status
    per path. A space page is included when there is a space. Failures are logged, never raised."""
    started, answers = time.perf_counter(), {}
    client = app.test_client()
    base_url = app.config.get("BASE_URL") or "http://localhost"
    paths = list(PATHS)
    # A resident's most natural question, whose statement is the largest to build: free tomorrow evening within
    # 15 minutes' walk of the map's centre, nearest first (the benchmark's walk line; its first answer took 300 ms).
    lat, lon = app.config["MAP_CENTER"]
    tomorrow = (today_local() + timedelta(days=1)).isoformat()
    paths.append(f"/api/spaces?lat={lat}&lon={lon}&walk=15&date={tomorrow}&from=18:00&to=20:00&capacity=10"
                 "&sort=distance&limit=50")
    # And what the map asks zoomed into a district (static/js/map.js): its counts, then its markers.
    district = f"{lon - 0.0125:.4f},{lat - 0.0075:.4f},{lon + 0.0125:.4f},{lat + 0.0075:.4f}"
    paths += [f"/api/spaces/clusters?bbox={district}&zoom=15", f"/api/spaces/points?bbox={district}&limit=500"]
    try:
        first = client.get("/api/spaces?limit=1", base_url=base_url).get_json(silent=True) or {}
        if first.get("features"):
            paths.append(f"/raeume/{first['features'][0]['id']}")
        for path in paths:
            answers[path] = client.get(path, base_url=base_url).status_code
    except Exception:  # a worker that cannot warm up still serves (and its errors show up then)
        log.exception("Aufwärmen fehlgeschlagen")
    log.info("Aufgewärmt in %.0f ms: %s", (time.perf_counter() - started) * 1000, answers)
    return answers
