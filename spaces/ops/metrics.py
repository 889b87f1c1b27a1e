"""Prometheus metrics at /metrics: request latency per route, and from the database at scrape time the
bookings per status and the outbox's state.

Under gunicorn every worker is its own process; a count kept in one of them would be a fraction of the truth.
With PROMETHEUS_MULTIPROC_DIR set (deploy/raumfinder.service, ./scripts/serve) prometheus_client writes each
worker's values to files there and /metrics adds them up (its multiprocess mode); gunicorn.conf.py tells it when
a worker exits. Without it (the development server, the tests) the process's own registry is read.

Who may read them: requests from the machine itself (Prometheus scraping the gunicorn port), or with
`Authorization: Bearer <RAUMFINDER_METRICS_TOKEN>`. Everyone else gets 404: the numbers say how busy a
neighbourhood is, and nobody outside needs that.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

bp = Blueprint("metrics", __name__)

REQUEST_SECONDS = Histogram(
    "raumfinder_request_duration_seconds", "Time to answer a request, per route (Flask endpoint) and method.",
    ["endpoint", "method"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
REQUESTS = Counter("raumfinder_requests_total", "Requests answered, per route, method and status code.",
                   ["endpoint", "method", "status"])


def init_metrics(app) -> None:
    """Time every request (the metrics endpoint itself too)."""
    app.before_request(_start)
    app.after_request(_observe)


def _start() -> None:
    g.request_started = time.perf_counter()


def endpoint_label() -> str:
    """The route's name, never the path: paths carry ids and secrets, and a label per id would grow forever."""
    return request.endpoint or ("unmatched" if request.url_rule is None else "unknown")


def _observe(response):
    started = g.get("request_started")
    if started is not None:
        endpoint, method = endpoint_label(), request.method
        REQUEST_SECONDS.labels(endpoint, method).observe(time.perf_counter() - started)
        REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    return response


class DatabaseCollector:
    """Read at scrape time, so every worker and every replica of the service reports the same truth."""

    def collect(self):
        from spaces import outbox
        from spaces.ops import metrics_data

        bookings = GaugeMetricFamily("raumfinder_bookings", "Bookings per status (all time).", labels=["status"])
        for status, count in metrics_data.bookings_per_status():
            bookings.add_metric([status], count)
        yield bookings
        mails = outbox.overview()
        states = GaugeMetricFamily("raumfinder_outbox_mails", "Mails in the outbox per state.", labels=["state"])
        states.add_metric(["waiting"], mails.waiting)
        states.add_metric(["given_up"], mails.given_up)
        states.add_metric(["sent_last_week"], mails.sent_last_week)
        yield states
        yield GaugeMetricFamily("raumfinder_outbox_oldest_waiting_seconds",
                                "Age of the oldest mail not yet delivered (0: none waits).",
                                value=mails.waited_seconds() or 0.0)


def allowed() -> bool:
    """From this machine, or with the configured bearer token."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def exposition() -> bytes:
    """The text Prometheus reads: the workers' request metrics (added up in multiprocess mode) and the
    database's figures."""
    from prometheus_client import REGISTRY

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
        parts = [generate_latest(registry)]
    else:
        parts = [generate_latest(REGISTRY)]
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    parts.append(generate_latest(database))
    return b"".join(parts)


@bp.get("/metrics")
def metrics():
    """Prometheus text format; 404 for anyone but this machine or the token's holder."""
    if not allowed():
        abort(404)
    return Response(exposition(), mimetype=CONTENT_TYPE_LATEST)
