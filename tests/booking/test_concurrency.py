"""Races against the real server (gunicorn, 4 processes): 50 requests for one slot make one booking;
20 simultaneous decisions on one request make one decision, one audit row and one mail."""

import json
import subprocess
import threading
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import base_now, make_app, migrated_app, running_gunicorn
from factories import make_manager
from sqlalchemy import func, select

from spaces.accounts import service as accounts
from spaces.core.availability import BERLIN
from spaces.db import db
from spaces.dev.demo import load
from spaces.models import AuditEntry, Booking, BookingMode, OutboxMail, Site, Space

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 50


@pytest.fixture(scope="module")
def gunicorn_server():
    """gunicorn with 4 worker processes on a database of its own, with the demo data and one group."""
    with migrated_app("raumfinder_race") as app:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context():
            load(db.session)
            user = accounts.register(db.session, email="race@example.org", display_name="Race",
                                     password="lang-genug-123", organisation_name="Initiative Race")
            token = accounts.create_api_token(db.session, user, "race")
            space = db.session.scalars(select(Space).filter_by(name="Die Übersee")).one()
            space.booking_mode = BookingMode.INSTANT
            on_request = db.session.scalars(select(Space).where(Space.id != space.id,
                                                                Space.booking_mode == BookingMode.ON_REQUEST)).first()
            manager = accounts.register(db.session, email="verwaltung@example.org", display_name="Verwaltung",
                                        password="lang-genug-123")
            make_manager(db.session, manager, db.session.get(Site, on_request.site_id).organisation)
            ids = {"space": space.id, "organisation": user.organisations[0].id, "on_request": on_request.id,
                   "manager_token": accounts.create_api_token(db.session, manager, "race")}
            db.session.commit()
            db.engine.dispose()
        # The server's clock is the tests' clock (RAUMFINDER_NOW), not the real one.
        with running_gunicorn(url, "--log-level", "warning", workers=4, env={"SECRET_KEY": "race-test"},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             startup_output=lambda p: p.stdout.read(2000).decode(errors="replace")) as base:
            yield {"base": base, "token": token, "url": url, **ids}


def _post(base: str, token: str, body: dict, path: str = "/api/bookings") -> tuple[int, dict]:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def _weekday_soon(days: int = 3) -> date:
    day = base_now().astimezone(BERLIN).date() + timedelta(days=days)
    while day.weekday() > 4:  # the demo rooms are open Monday to Friday 9-21
        day += timedelta(days=1)
    return day


def _at_once(n: int, call) -> list:
    barrier = threading.Barrier(n)
    results = []

    def one(i):
        barrier.wait()
        results.append(call(i))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_fifty_requests_for_one_slot_make_exactly_one_booking(gunicorn_server):
    day = _weekday_soon()
    body = {"space_id": gunicorn_server["space"], "organisation_id": gunicorn_server["organisation"],
            "date": day.isoformat(), "from": "18:00", "to": "20:00", "attendees": 20, "purpose": "Wettlauf"}
    results = _at_once(REQUESTS, lambda i: _post(gunicorn_server["base"], gunicorn_server["token"], body))

    statuses = sorted(status for status, _ in results)
    assert len(results) == REQUESTS
    assert statuses.count(201) == 1, statuses
    assert 500 not in statuses
    refusals = [(s, b) for s, b in results if s != 201]
    assert all(s == 409 for s, _ in refusals), statuses  # taken: 409, whether the check or the constraint saw it
    assert all("belegt" in b["error"] or "gebucht" in b["error"] or b.get("problems") for _, b in refusals)
    app = make_app(gunicorn_server["url"])
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.space_id == gunicorn_server["space"], Booking.purpose == "Wettlauf"))
        db.engine.dispose()
    assert stored == 1


def test_twenty_simultaneous_decisions_on_one_request_make_one(gunicorn_server):
    """Accept and decline at once, 20 times: one wins, 19 get 409; one audit row, one mail to the group."""
    base = gunicorn_server["base"]
    status, body = _post(base, gunicorn_server["token"], {
        "space_id": gunicorn_server["on_request"], "organisation_id": gunicorn_server["organisation"],
        "date": _weekday_soon(5).isoformat(), "from": "10:00", "to": "12:00", "attendees": 5, "purpose": "Anfrage"})
    assert status == 201, body
    [booking] = body["bookings"]
    assert booking["status"] == "requested"
    path = f"/api/bookings/{booking['id']}/decision"
    results = _at_once(20, lambda i: _post(base, gunicorn_server["manager_token"],
                                           {"accept": i % 2 == 0, "note": f"Entscheidung {i}"}, path))
    statuses = sorted(s for s, _ in results)
    assert statuses == [200] + [409] * 19, statuses
    [(_, winner)] = [(s, b) for s, b in results if s == 200]
    app = make_app(gunicorn_server["url"])
    with app.app_context():
        stored = db.session.get(Booking, booking["id"])
        audits = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "bookings", AuditEntry.object_id == str(booking["id"]),
            AuditEntry.action.in_(["booking.accepted", "booking.declined"]))).all()
        mails = db.session.scalars(select(OutboxMail.subject).where(
            OutboxMail.recipient == "race@example.org",
            OutboxMail.subject.in_([f"Raumfinder: {booking['space']} {word}" for word in ("bestätigt", "abgelehnt")]))
        ).all()
        db.engine.dispose()
    assert stored.status == winner["status"] and stored.decision_note == winner["decision_note"]
    assert audits == [f"booking.{'accepted' if winner['status'] == 'confirmed' else 'declined'}"]
    assert len(mails) == 1 and mails[0].endswith("bestätigt" if winner["status"] == "confirmed" else "abgelehnt")
