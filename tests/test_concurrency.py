"""No double booking, ever: 50 requests for one slot at once against the real server (gunicorn, 4 processes)."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import make_app, migrate_up, throwaway_database
from spaces import accounts
from spaces.db import db
from spaces.demo import load
from spaces.models import Booking, BookingMode, Space

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn_server():
    """gunicorn with 4 worker processes on a database of its own, with the demo data and one group."""
    with throwaway_database("raumfinder_race") as url:
        app = make_app(url)
        migrate_up(app)
        with app.app_context():
            load(db.session)
            user = accounts.register(db.session, email="race@example.org", display_name="Race",
                                     password="lang-genug-123", organisation_name="Initiative Race")
            token = accounts.create_api_token(db.session, user, "race")
            space = db.session.scalars(select(Space).filter_by(name="Die Übersee")).one()
            space.booking_mode = BookingMode.INSTANT
            ids = {"space": space.id, "organisation": user.organisations[0].id}
            db.session.commit()
            db.engine.dispose()
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "race-test", "RAUMFINDER_TILE_URL": ""}
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "4", "--bind", f"127.0.0.1:{port}", "--log-level",
             "warning", "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail("gunicorn did not start: " + process.stdout.read(2000).decode(errors="replace"))
            yield {"base": base, "token": token, "url": url, **ids}
        finally:
            process.terminate()
            process.wait(timeout=10)


def _post(base: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(base + "/api/bookings", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_fifty_requests_for_one_slot_make_exactly_one_booking(gunicorn_server):
    day = date.today() + timedelta(days=3)
    while day.weekday() > 4:  # the demo rooms are open Monday to Friday 9-21
        day += timedelta(days=1)
    body = {"space_id": gunicorn_server["space"], "organisation_id": gunicorn_server["organisation"],
            "date": day.isoformat(), "from": "18:00", "to": "20:00", "attendees": 20, "purpose": "Wettlauf"}
    barrier = threading.Barrier(REQUESTS)
    results = []

    def one():
        barrier.wait()
        results.append(_post(gunicorn_server["base"], gunicorn_server["token"], body))

    threads = [threading.Thread(target=one) for _ in range(REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    statuses = sorted(status for status, _ in results)
    assert len(results) == REQUESTS
    assert statuses.count(201) == 1, statuses
    assert 500 not in statuses
    refusals = [(s, b) for s, b in results if s != 201]
    assert all(s in (409, 422) for s, _ in refusals), statuses
    assert all("belegt" in b["error"] or "gebucht" in b["error"] or b.get("problems") for _, b in refusals)
    app = make_app(gunicorn_server["url"])
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.space_id == gunicorn_server["space"], Booking.purpose == "Wettlauf"))
        db.engine.dispose()
    assert stored == 1
