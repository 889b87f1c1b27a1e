"""Booking in the browser: the form on a space, my bookings, the managers' inbox, decisions, cancellations."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from spaces import outbox
from spaces.accounts.service import managed_organisation_ids
from spaces.booking import notifications, rules
from spaces.booking import service as booking_service
from spaces.booking.rules import BookingRefused, Forbidden
from spaces.clock import BERLIN, now_utc, today_local
from spaces.core.availability import Interval
from spaces.core.errors import Conflict
from spaces.core.recurrence import AmbiguousTime, Frequency, RecurrenceError, SeriesRequest, expand
from spaces.db import db
from spaces.forms import BookingForm, CancelForm, DecisionForm
from spaces.models import Booking, BookingStatus, Organisation, Role, Site, Space

bp = Blueprint("booking", __name__)


def _space_or_404(space_id: int) -> Space:
    space = db.session.get(Space, space_id)
    if space is None:
        abort(404, description=f"Einen Raum mit der Nummer {space_id} gibt es nicht.")
    return space


def series_request(form: BookingForm) -> SeriesRequest:
    """The recurrence the form describes."""
    frequency = Frequency(form.frequency.data)
    fold = int(form.fold.data) if form.fold.data in ("0", "1") else None
    return SeriesRequest(first_day=form.day.data, starts=form.starts.data, ends=form.ends.data, frequency=frequency,
                         until=form.until.data if frequency != Frequency.ONCE else None, fold=fold,
                         ends_next_day=bool(form.ends_next_day.data))


def booking_interval(booking: Booking) -> Interval:
    """The booked time of a booking as an Interval."""
    return Interval(booking.during.lower, booking.during.upper)


def organisation_choices(user) -> list[tuple[int, str]]:
    """The groups a person may book for (spaces.booking.rules.may_book_for): their own; a QM admin's, every group."""
    if user.is_qm_admin:
        return [(o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.name))]
    return [(o.id, o.name) for o in sorted(user.organisations, key=lambda o: o.name)]


@bp.route("/raeume/<int:space_id>/buchen", methods=["GET", "POST"])
@login_required
def book(space_id: int):
    """Book a space once or as a series; conflicting dates are listed and the rest can be booked."""
    space = _space_or_404(space_id)
    form = BookingForm()
    form.organisation.choices = organisation_choices(current_user)
    if not form.organisation.choices:
        flash(gettext("Zum Buchen brauchen Sie eine Gruppe: legen Sie beim Registrieren eine Initiative an "
                      "oder lassen Sie sich einladen."))
    conflicts, ask_fold, status = [], False, 200
    if request.method == "GET":
        form.day.data = form.day.data or today_local() + timedelta(days=1)
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation.data)
        try:
            recurrence = series_request(form)
            outcome = booking_service.request_booking(
                db.session, user=current_user, organisation=organisation, space=space, slots=expand(recurrence),
                attendees=form.attendees.data, purpose=form.purpose.data or "", is_public=form.is_public.data,
                recurrence=recurrence, skip_conflicts=form.skip_conflicts.data)
        except AmbiguousTime as err:
            form.fold.errors.append(err.message)
            ask_fold, status = True, 422
        except RecurrenceError as err:
            getattr(form, err.field or "day").errors.append(err.message)
            status = 422
        except BookingRefused as err:  # SlotTaken (409) too: every date and why
            db.session.rollback()
            form.day.errors.append(err.message)
            conflicts, status = err.problems, err.status
        except Forbidden as err:
            abort(403, description=err.message)
        else:
            outbox.commit_and_deliver(outcome.mails)
            n = len(outcome.created)
            if outcome.confirmed:
                message = ngettext("%(num)s Termin gebucht.", "%(num)s Termine gebucht.", n)
            else:
                message = ngettext("%(num)s Termin angefragt.", "%(num)s Termine angefragt.", n)
            if outcome.skipped:
                message += " " + ngettext("%(num)s Termin wurde ausgelassen.", "%(num)s Termine wurden ausgelassen.",
                                          len(outcome.skipped))
            flash(message)
            return redirect(url_for("booking.mine"))
    elif request.method == "POST":
        status = 422
    return render_template("booking/book.html", form=form, space=space, conflicts=conflicts, ask_fold=ask_fold,
                           local_text=rules.local_text), status


def _upcoming(query):
    return query.where(func.upper(Booking.during) >= now_utc()).order_by(Booking.during)


@bp.get("/meine-buchungen")
@login_required
def mine():
    """The bookings of my groups from today on, week by week, with feeds to subscribe to."""
    org_ids = [o.id for o in current_user.organisations]
    rows = db.session.scalars(_upcoming(select(Booking).where(Booking.organisation_id.in_(org_ids)))
                              .limit(500)).all()
    return render_template("booking/mine.html", bookings=rows, cancel_form=CancelForm(), BERLIN=BERLIN,
                           local_text=rules.local_text, interval=booking_interval)


@bp.post("/buchungen/<int:booking_id>/absagen")
@login_required
def cancel(booking_id: int):
    """Cancel a booking (or the rest of its series)."""
    booking = rules.booking_for(db.session, current_user, booking_id)
    form = CancelForm()
    try:
        cancelled = rules.cancel(db.session, booking, current_user, rest_of_series=form.rest_of_series.data)
    except Forbidden as err:
        abort(403, description=err.message)
    except Conflict as err:
        flash(err.message)
        return redirect(request.referrer or url_for("booking.mine"))
    mails = notifications.cancelled(cancelled, current_user)
    outbox.commit_and_deliver(mails)
    flash(ngettext("%(num)s Termin abgesagt.", "%(num)s Termine abgesagt.", len(cancelled)))
    return redirect(request.referrer or url_for("booking.mine"))


@bp.get("/verwaltung/anfragen")
@login_required
def inbox():
    """Open requests for the spaces I manage."""
    query = select(Booking).join(Space).join(Site).where(Booking.status == BookingStatus.REQUESTED)
    if current_user.role != Role.QM_ADMIN:
        managed = managed_organisation_ids(db.session, current_user)
        if not managed:
            abort(403, description="Die Anfragen sieht nur die Raumverwaltung.")
        query = query.where(Site.organisation_id.in_(managed))
    rows = db.session.scalars(_upcoming(query).limit(500)).all()
    return render_template("booking/inbox.html", bookings=rows, form=DecisionForm(), local_text=rules.local_text,
                           interval=booking_interval)


@bp.post("/buchungen/<int:booking_id>/<any(annehmen, ablehnen):decision>")
@login_required
def decide(booking_id: int, decision: str):
    """Accept or decline a request, with a note to the group."""
    booking = rules.booking_for(db.session, current_user, booking_id)
    form = DecisionForm()
    try:
        rules.decide(db.session, booking, current_user, accept=decision == "annehmen", note=form.note.data or "")
    except Forbidden as err:
        abort(403, description=err.message)
    except (Conflict, BookingRefused) as err:
        flash(err.message)
        return redirect(url_for("booking.inbox"))
    mails = notifications.decided(booking)
    outbox.commit_and_deliver(mails)
    flash(gettext("Entschieden."))
    return redirect(url_for("booking.inbox"))
