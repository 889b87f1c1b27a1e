"""Pages of requests without an account: the form, the mailed links to confirm and to cancel, the managers'
decision on a guest's request, and `flask guests prune`."""

from __future__ import annotations

from datetime import date, time, timedelta

import click
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from spaces import outbox
from spaces.accounts.ratelimit import limiter
from spaces.booking import guests
from spaces.booking import series as series_rules
from spaces.booking import service as booking_service
from spaces.booking.forms import DecisionForm
from spaces.booking.guest_forms import GuestLinkForm, GuestRequestForm
from spaces.booking.rules import BookingRefused
from spaces.clock import today_local
from spaces.core.availability import Interval
from spaces.core.errors import Conflict, Forbidden
from spaces.db import db
from spaces.formatting import slot
from spaces.models import Space
from spaces.phrasing import said

bp = Blueprint("guests", __name__, cli_group="guests")


def _too_many() -> str:
    return gettext("Von Ihrem Anschluss kamen in letzter Zeit zu viele Anfragen ohne Konto. Bitte versuchen Sie "
                   "es später wieder, oder legen Sie ein Konto für Ihre Gruppe an.")


def _space_or_404(space_id: int) -> Space:
    space = db.session.get(Space, space_id)
    if space is None:
        abort(404, description=gettext("Einen Raum mit der Nummer %(id)s gibt es nicht.", id=space_id))
    if not guests.takes_guests(space):
        abort(403, description=gettext("Diesen Raum können nur registrierte Gruppen anfragen."))
    return space


def _prefill(form: GuestRequestForm) -> None:
    """Day and times from the space page's link (?day=&starts=&ends=); one that does not parse is left out."""
    for field, parse in ((form.day, date.fromisoformat), (form.starts, time.fromisoformat),
                         (form.ends, time.fromisoformat)):
        try:
            field.data = parse(request.args.get(field.name, "")) or None
        except ValueError:
            continue
    if form.day.data is None or form.day.data < today_local():
        form.day.data = today_local() + timedelta(days=1)


@bp.route("/raeume/<int:space_id>/gastanfrage", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"], error_message=_too_many)
@limiter.limit(guests.ADDRESS_LIMIT, methods=["POST"], error_message=_too_many,
               deduct_when=lambda response: response.status_code in (302, 303))  # requests sent count
def request_form(space_id: int):
    """Ask for an on-request space without an account: one date, a name, an e-mail and a group."""
    space = _space_or_404(space_id)
    form = GuestRequestForm()
    if request.method == "GET":
        _prefill(form)
        return render_template("booking/guest_form.html", form=form, space=space)
    if _checked(form, space) and _sent(form, space):
        return redirect(url_for("guests.sent", space_id=space.id))
    return render_template("booking/guest_form.html", form=form, space=space), 409 if form.taken else 422


def _checked(form: GuestRequestForm, space: Space) -> bool:
    """The fields, then the booking rules for the slot (past, opening hours, taken, size), each on its field."""
    valid = form.validate()
    form.taken = False
    if not all(f.data is not None and not f.errors for f in (form.day, form.starts, form.ends)):
        return False
    attendees = form.attendees.data if form.attendees.data and not form.attendees.errors else 1
    found = guests.check(db.session, space, day=form.day.data, starts=form.starts.data, ends=form.ends.data,
                         attendees=attendees, group_name=form.group_name.data or "")
    for name, message in found.errors:
        target = getattr(form, name).errors if name else form.form_errors
        if said(message) not in target:
            target.append(said(message))
    form.taken = found.taken
    return valid and not found.errors


def _sent(form: GuestRequestForm, space: Space) -> bool:
    """Write the request and mail the link; False with the reason on the e-mail field."""
    try:
        outcome = guests.send_request(
            db.session, space, interval=guests.interval_of(form.day.data, form.starts.data, form.ends.data),
            attendees=form.attendees.data, purpose=form.purpose.data or "", name=form.name.data,
            email=form.email.data, group_name=form.group_name.data)
    except guests.GuestRefused as err:
        db.session.rollback()
        form.email.errors.append(said(err.message))
        return False
    outbox.commit_and_deliver(outcome.mails)
    flash(gettext("Bitte bestätigen Sie Ihre Anfrage über den Link in der E-Mail an %(email)s. Erst dann geht "
                  "sie an die Raumverwaltung.", email=outcome.request.email))
    return True


@bp.get("/raeume/<int:space_id>/gastanfrage/gesendet")
def sent(space_id: int):
    """After sending: the mail with the confirmation link is on its way."""
    return render_template("booking/guest_sent.html", space=_space_or_404(space_id))


@bp.route("/gastanfrage/bestaetigen/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The link from the mail: a button sends the request on to the managers (24 hours, once)."""
    found = guests.for_optin(db.session, token)  # NotFound: used, unknown or expired
    form = GuestLinkForm()
    if not form.validate_on_submit():
        return render_template("booking/guest_confirm.html", guest=found, form=form)
    try:
        confirmed = guests.confirm(db.session, token)
    except BookingRefused as err:  # SlotTaken (409): somebody else took the slot since; nothing is written
        db.session.rollback()
        return render_template("booking/guest_confirm.html", guest=found, form=form, refused=said(err.message),
                               taken=err.status == 409), err.status
    space_id = confirmed.request.space_id
    outbox.commit_and_deliver(confirmed.mails)
    flash(gettext("Danke! Ihre Anfrage liegt jetzt bei der Raumverwaltung. Sie bekommen eine Mail, sobald sie "
                  "entschieden hat."))
    return redirect(url_for("finder.space", space_id=space_id))


@bp.route("/gastanfrage/absagen/<token>", methods=["GET", "POST"])
def cancel(token: str):
    """The cancellation link from the mail: a button cancels the request (until its date has passed)."""
    found = guests.for_cancel(db.session, token)  # NotFound: used, unknown or past
    form = GuestLinkForm()
    if not form.validate_on_submit():
        return render_template("booking/guest_cancel.html", guest=found, form=form)
    space_id = found.space_id
    outbox.commit_and_deliver(guests.cancel(db.session, token))
    flash(gettext("Ihre Anfrage ist abgesagt. Der Termin ist wieder frei."))
    return redirect(url_for("finder.space", space_id=space_id))


@bp.post("/verwaltung/gastanfragen/<int:booking_id>/<any(annehmen, ablehnen):decision>")
@login_required
def decide(booking_id: int, decision: str):
    """Accept or decline a guest's request, with a note to the guest."""
    form = DecisionForm()
    if not form.validate():
        return _inbox_again(form)
    try:
        booking = guests.decide(db.session, booking_id, current_user, accept=decision == "annehmen",
                                note=form.note.data or "")
    except Forbidden as err:
        abort(403, description=said(err.message))
    except (Conflict, BookingRefused) as err:
        db.session.rollback()
        flash(said(err.message))
        return redirect(url_for("booking.inbox"))
    outbox.commit_and_deliver(guests.decision_mails(db.session, booking))
    what = {"when": slot(_interval(booking)), "space": booking.space.name}
    flash(gettext("Gastanfrage angenommen: %(when)s in %(space)s.", **what) if decision == "annehmen"
          else gettext("Gastanfrage abgelehnt: %(when)s in %(space)s.", **what))
    return redirect(url_for("booking.inbox"))


def _interval(booking) -> Interval:
    return Interval(booking.during.lower, booking.during.upper)


def _inbox_again(form: DecisionForm):
    """The inbox with the refused note's errors (as the inbox of spaces.booking.routes shows them)."""
    rows = booking_service.open_requests(current_user)  # Forbidden (403) for anyone who manages no space
    errors = [error for errors in form.errors.values() for error in errors]
    return render_template("booking/inbox.html", entries=series_rules.grouped(rows), form=form, errors=errors,
                           interval=_interval), 422


@bp.app_template_global()
def guest_requests_for(entries) -> dict:
    """For the inbox: booking id -> the guest request behind it (one query for the page)."""
    return guests.guests_for(db.session, [e.id for e in entries if not getattr(e, "is_series", False)])


@bp.app_template_global()
def guest_interval(guest) -> Interval:
    """The date a guest asked for."""
    return Interval(guest.starts_at, guest.ends_at)


@bp.cli.command("prune")
def prune_command():
    """Delete unconfirmed guest requests after 24 hours and blank guests' data GUEST_DATA_DAYS after the date
    (for cron, e.g. daily)."""
    days = current_app.config["GUEST_DATA_DAYS"]
    done = guests.prune(db.session, days)
    db.session.commit()
    click.echo(f"Gastanfragen: {done.unconfirmed} unbestätigte gelöscht, {done.anonymised} nach {days} Tagen "
               f"anonymisiert, {done.mails} Mails an Gäste gelöscht.")
