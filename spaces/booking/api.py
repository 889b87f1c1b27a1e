"""The booking API: JSON, with a session cookie (plus X-CSRFToken) or `Authorization: Bearer <token>`.

Bodies are checked by the models in spaces.booking.schemas (HTTP 400 with a German message).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from spaces import outbox
from spaces.accounts import service as accounts
from spaces.booking import notifications, rules
from spaces.booking import service as booking_service
from spaces.booking.queries import UPCOMING_LIMIT
from spaces.booking.schemas import Body, BookingRequest, CancelRequest, Decision, TokenRequest
from spaces.core.errors import NotFound, Unauthorized
from spaces.db import db
from spaces.finder.schemas import checked
from spaces.models import Booking, Organisation, Space
from spaces.times import local_iso

bp = Blueprint("booking_api", __name__, url_prefix="/api")


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


def _body(model: type[Body], *, optional: bool = False) -> Body:
    """The request's JSON body checked by `model`; with `optional` an empty body means every default."""
    if optional and not request.get_data():
        return model()
    return checked(model, request.get_json(silent=True))


@bp.get("/bookings")
def list_bookings():
    """Upcoming bookings of my organisations (a waitlist offer only once the group claimed it)."""
    rows = booking_service.upcoming_of_my_groups(current_user, limit=UPCOMING_LIMIT)
    return jsonify(bookings=[booking_json(b) for b in rows])


def _space_and_group(body: BookingRequest) -> tuple[Space, Organisation]:
    """The space and the group of a booking request; 404 when unknown (an unknown group is 403 for members)."""
    space = db.session.get(Space, body.space_id)
    if space is None:
        raise NotFound("Diesen Raum gibt es nicht.")
    organisation = db.session.get(Organisation, body.organisation_id)
    if organisation is None and not current_user.is_qm_admin:
        raise rules.Forbidden("Sie können nur für eine Gruppe buchen, in der Sie Mitglied sind.")
    if organisation is None:
        raise NotFound("Diese Gruppe gibt es nicht.")
    return space, organisation


@bp.post("/bookings")
def create_booking():
    """Book a slot or a series: 201 with the bookings, 422 with the problems per date, 409 when taken.

    With "dry_run": true nothing is written: 200 with every date, whether it can be booked and why not.
    """
    body = _body(BookingRequest)
    space, organisation = _space_and_group(body)
    recurrence = body.series()
    planned = booking_service.plan(recurrence, skip_holidays=body.skip_holidays)  # as the form plans it
    outcome = booking_service.request_booking(
        db.session, user=current_user, organisation=organisation, space=space, slots=planned.slots,
        attendees=body.attendees, purpose=body.purpose, is_public=body.is_public, recurrence=recurrence,
        skip_conflicts=body.skip_conflicts, dry_run=body.dry_run, skipped_days=planned.skipped)
    if outcome.dry_run:
        return jsonify(dry_run=True, bookable=all(v.ok for v in outcome.verdicts),
                       slots=[_verdict_json(v) for v in outcome.verdicts])
    answer = {  # built before the commit, which would expire every object and cost a query per booking
        "bookings": [booking_json(b) for b in outcome.created],
        "skipped": [_problem_json(c) for c in outcome.skipped],
        "series_id": str(outcome.series.id) if outcome.series else None,
        "skipped_days": [{"date": day.isoformat(), "name": name} for day, name in planned.skipped],
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
    body = _body(CancelRequest, optional=True)
    booking = rules.booking_for(db.session, current_user, booking_id)
    cancelled = rules.cancel(db.session, booking, current_user, rest_of_series=body.rest_of_series)
    answer = {"cancelled": [booking_json(b) for b in cancelled]}
    mails = notifications.cancelled(cancelled, current_user)
    outbox.commit_and_deliver(mails)
    return jsonify(answer)


@bp.post("/bookings/<int:booking_id>/decision")
def decide_booking(booking_id: int):
    """Accept or decline a request: {"accept": true|false, "note": "..."}; only the space's managers."""
    body = _body(Decision)
    booking = rules.booking_for(db.session, current_user, booking_id)
    rules.decide(db.session, booking, current_user, accept=body.accept, note=body.note)
    answer = booking_json(booking)
    mails = notifications.decided(booking)
    outbox.commit_and_deliver(mails)
    return jsonify(answer)


@bp.post("/tokens")
def create_token():
    """A personal API token for scripts (only with a logged-in session); shown once."""
    if current_user.session_token is None:
        raise rules.Forbidden("API-Tokens gibt es nur in einer angemeldeten Sitzung, nicht per Token.")
    body = _body(TokenRequest)
    row, token = accounts.issue_api_token(db.session, current_user, body.name)
    answer = token_json(row) | {"token": token}
    db.session.commit()
    return jsonify(answer), 201


@bp.get("/tokens")
def list_tokens():
    """My live API tokens (names and dates, never the tokens themselves)."""
    return jsonify(tokens=[token_json(row) for row in accounts.api_tokens(db.session, current_user)])


@bp.delete("/tokens/<int:token_id>")
def revoke_token(token_id: int):
    """Revoke one of my API tokens: it stops working at once (a token may revoke itself)."""
    row = accounts.revoke_api_token(db.session, current_user, token_id)
    answer = token_json(row)
    db.session.commit()
    return jsonify(revoked=answer)


def token_json(row) -> dict:
    return {"id": row.id, "name": row.name, "created_at": local_iso(row.created_at),
            "last_used_at": local_iso(row.last_used_at) if row.last_used_at else None,
            "expires_at": local_iso(row.expires_at)}
