"""The booking API: JSON, with a session cookie (plus X-CSRFToken) or `Authorization: Bearer <token>`."""

from __future__ import annotations

from datetime import date, time

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import func, select

from spaces import outbox
from spaces.accounts import service as accounts
from spaces.booking import notifications, rules
from spaces.booking import service as booking_service
from spaces.clock import now_utc
from spaces.core.errors import BadParameter, NotFound, Unauthorized
from spaces.core.recurrence import Frequency, SeriesRequest, expand
from spaces.db import db
from spaces.models import Booking, Organisation, Space
from spaces.times import local_iso

bp = Blueprint("booking_api", __name__, url_prefix="/api")

# A client may send exactly these fields; anything else (say "status": "confirmed") is refused.
BOOKING_FIELDS = {"space_id", "organisation_id", "date", "from", "to", "frequency", "until", "attendees",
                  "purpose", "is_public", "fold", "skip_conflicts", "ends_next_day", "dry_run"}
REQUIRED = {"space_id", "organisation_id", "date", "from", "to", "attendees"}


@bp.before_request
def _require_login():
    if request.endpoint and not current_user.is_authenticated:
        raise Unauthorized("Bitte anmelden (Sitzung) oder einen API-Token senden: Authorization: Bearer <token>.")


def booking_json(booking: Booking) -> dict:
    """A booking as the API shows it to those who may see it."""
    return {
        "id": booking.id,
        "space_id": booking.space_id,
        "space": booking.space.name,
        "organisation_id": booking.organisation_id,
        "series_id": str(booking.series_id) if booking.series_id else None,
        "start": local_iso(booking.during.lower),
        "end": local_iso(booking.during.upper),
        "status": booking.status,
        "attendees": booking.attendees,
        "purpose": booking.purpose,
        "is_public": booking.is_public,
        "decision_note": booking.decision_note,
    }


def _json_body(allowed: set[str], optional: bool = False) -> dict:
    if optional and not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadParameter("Erwartet wird ein JSON-Objekt (Content-Type: application/json).")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise BadParameter(f"Diese Felder sind hier nicht erlaubt: {', '.join(unknown)}.")
    return data


def _field(data: dict, name: str, parse, label: str):
    try:
        return parse(data[name])
    except (TypeError, ValueError):
        raise BadParameter(f"{name}: „{data.get(name)}“ ist kein gültiger Wert ({label}).") from None


@bp.get("/bookings")
def list_bookings():
    """Upcoming bookings of my organisations."""
    org_ids = [o.id for o in current_user.organisations]
    rows = db.session.scalars(
        select(Booking).where(Booking.organisation_id.in_(org_ids), func.upper(Booking.during) >= now_utc())
        .order_by(Booking.during).limit(1000)
    ).all()
    return jsonify(bookings=[booking_json(b) for b in rows])


@bp.post("/bookings")
def create_booking():
    """Book a slot or a series: 201 with the bookings, 422 with the problems per date, 409 when taken.

    With "dry_run": true nothing is written: 200 with every date, whether it can be booked and why not.
    """
    data = _json_body(BOOKING_FIELDS)
    missing = sorted(REQUIRED - set(data))
    if missing:
        raise BadParameter(f"Es fehlen: {', '.join(missing)}.")
    for name in ("space_id", "organisation_id", "attendees"):
        if isinstance(data[name], bool) or not isinstance(data[name], int):
            raise BadParameter(f"{name}: „{data[name]}“ ist keine ganze Zahl.")
    for name in ("is_public", "skip_conflicts", "ends_next_day", "dry_run"):
        if not isinstance(data.get(name, False), bool):
            raise BadParameter(f"{name}: true oder false.")
    for name in ("date", "from", "to", "purpose", "frequency"):
        if name in data and not isinstance(data[name], str):
            raise BadParameter(f"{name}: bitte als Text angeben.")
    if data.get("until") is not None and not isinstance(data["until"], str):
        raise BadParameter("until: bitte als Text angeben (JJJJ-MM-TT).")
    fold = data.get("fold")
    if fold not in (None, 0, 1) or isinstance(fold, bool):
        raise BadParameter("fold: 0 (erste, Sommerzeit) oder 1 (zweite, Winterzeit).")
    space = db.session.get(Space, data["space_id"])
    if space is None:
        raise NotFound("Diesen Raum gibt es nicht.")
    organisation = db.session.get(Organisation, data["organisation_id"])
    if organisation is None and not current_user.is_qm_admin:
        raise rules.Forbidden("Sie können nur für eine Gruppe buchen, in der Sie Mitglied sind.")
    if organisation is None:
        raise NotFound("Diese Gruppe gibt es nicht.")
    frequency = _field({"f": data.get("frequency", "once")}, "f", Frequency, "once, weekly, biweekly, monthly")
    recurrence = SeriesRequest(
        first_day=_field(data, "date", date.fromisoformat, "JJJJ-MM-TT"),
        starts=_field(data, "from", time.fromisoformat, "HH:MM"),
        ends=_field(data, "to", time.fromisoformat, "HH:MM"),
        frequency=frequency,
        until=_field(data, "until", date.fromisoformat, "JJJJ-MM-TT") if data.get("until") else None,
        fold=fold,
        ends_next_day=data.get("ends_next_day", False),
    )
    outcome = booking_service.request_booking(
        db.session, user=current_user, organisation=organisation, space=space, slots=expand(recurrence),
        attendees=data["attendees"], purpose=str(data.get("purpose", "")), is_public=data.get("is_public", False),
        recurrence=recurrence, skip_conflicts=data.get("skip_conflicts", False), dry_run=data.get("dry_run", False))
    if outcome.dry_run:
        return jsonify(dry_run=True, bookable=all(v.ok for v in outcome.verdicts),
                       slots=[_verdict_json(v) for v in outcome.verdicts])
    answer = {  # built before the commit, which would expire every object and cost a query per booking
        "bookings": [booking_json(b) for b in outcome.created],
        "skipped": [_problem_json(c) for c in outcome.skipped],
        "series_id": str(outcome.series.id) if outcome.series else None,
    }
    outbox.commit_and_deliver(outcome.mails)
    return jsonify(answer), 201


def _verdict_json(verdict) -> dict:
    return {"start": local_iso(verdict.interval.start), "end": local_iso(verdict.interval.end), "ok": verdict.ok,
            "problems": verdict.problems, "codes": verdict.codes}


def _problem_json(check) -> dict:
    return {"start": local_iso(check.interval.start), "end": local_iso(check.interval.end), "problems": check.problems,
            "codes": check.codes}


@bp.get("/bookings/<int:booking_id>")
def get_booking(booking_id: int):
    """One booking of my organisation (or of a space I manage); others' bookings are 404."""
    return jsonify(booking_json(rules.booking_for(db.session, current_user, booking_id)))


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel_booking(booking_id: int):
    """Cancel a booking, or with {"rest_of_series": true} it and the later ones of its series."""
    data = _json_body({"rest_of_series"}, optional=True)
    if not isinstance(data.get("rest_of_series", False), bool):
        raise BadParameter("rest_of_series: true oder false.")
    booking = rules.booking_for(db.session, current_user, booking_id)
    cancelled = rules.cancel(db.session, booking, current_user, rest_of_series=data.get("rest_of_series", False))
    answer = {"cancelled": [booking_json(b) for b in cancelled]}
    mails = notifications.cancelled(cancelled, current_user)
    outbox.commit_and_deliver(mails)
    return jsonify(answer)


@bp.post("/bookings/<int:booking_id>/decision")
def decide_booking(booking_id: int):
    """Accept or decline a request: {"accept": true|false, "note": "..."}; only the space's managers."""
    data = _json_body({"accept", "note"})
    if not isinstance(data.get("accept"), bool):
        raise BadParameter("accept: true (annehmen) oder false (ablehnen).")
    booking = rules.booking_for(db.session, current_user, booking_id)
    note = data.get("note", "")
    if not isinstance(note, str):
        raise BadParameter("note: ein Text.")
    rules.decide(db.session, booking, current_user, accept=data["accept"], note=note)
    answer = booking_json(booking)
    mails = notifications.decided(booking)
    outbox.commit_and_deliver(mails)
    return jsonify(answer)


@bp.post("/tokens")
def create_token():
    """A personal API token for scripts (only with a logged-in session); shown once."""
    if current_user.session_token is None:
        raise rules.Forbidden("API-Tokens gibt es nur in einer angemeldeten Sitzung, nicht per Token.")
    data = _json_body({"name"})
    token = accounts.create_api_token(db.session, current_user, str(data.get("name", "API")))
    db.session.commit()
    return jsonify(token=token), 201
