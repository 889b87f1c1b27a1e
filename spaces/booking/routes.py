"""Booking in the browser: the form on a space, my bookings, the managers' inbox, decisions, cancellations."""

from __future__ import annotations

from datetime import date, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required

from spaces import outbox
from spaces.booking import notifications, rules
from spaces.booking import service as booking_service
from spaces.booking.forms import BookingForm, CancelForm, DecisionForm
from spaces.booking.rules import BookingRefused, Forbidden
from spaces.clock import BERLIN, today_local
from spaces.core.availability import Interval
from spaces.core.errors import Conflict
from spaces.core.recurrence import AmbiguousTime, Frequency, RecurrenceError, SeriesRequest, expand
from spaces.db import db
from spaces.formatting import slot
from spaces.models import Booking, Organisation, Space

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


def _submit(form: BookingForm, space: Space):
    """Book what the form asks; returns (outcome or None, the page's state): errors land on their fields."""
    state = {"conflicts": [], "ask_fold": False, "status": 422}
    organisation = db.session.get(Organisation, form.organisation.data)
    try:
        recurrence = series_request(form)
        outcome = booking_service.request_booking(
            db.session, user=current_user, organisation=organisation, space=space, slots=expand(recurrence),
            attendees=form.attendees.data, purpose=form.purpose.data or "", is_public=form.is_public.data,
            recurrence=recurrence, skip_conflicts=form.skip_conflicts.data)
    except AmbiguousTime as err:
        form.fold.errors.append(err.message)
        state["ask_fold"] = True
    except RecurrenceError as err:
        if err.code == "missing_end":  # the rule allows an end date or a number of dates; this form asks the date
            form.until.errors.append(gettext("Bis wann? Bitte den letzten Tag der Reihe angeben."))
        else:
            getattr(form, err.field or "day").errors.append(err.message)
    except BookingRefused as err:  # SlotTaken (409) too: every date and why
        db.session.rollback()
        form.day.errors.append(err.message)
        state.update(conflicts=err.problems, status=err.status)
    except Forbidden as err:
        abort(403, description=err.message)
    else:
        return outcome, state
    return None, state


def _booked_message(outcome) -> str:
    n = len(outcome.created)
    if outcome.confirmed:
        message = ngettext("%(num)s Termin gebucht.", "%(num)s Termine gebucht.", n)
    else:
        message = ngettext("%(num)s Termin angefragt.", "%(num)s Termine angefragt.", n)
    if outcome.skipped:
        message += " " + ngettext("%(num)s Termin wurde ausgelassen.", "%(num)s Termine wurden ausgelassen.",
                                  len(outcome.skipped))
    return message


def _prefill(form: BookingForm) -> None:
    """Day and times from the link's arguments (?day=&starts=&ends=); one that does not parse is left out."""
    for field, parse in ((form.day, date.fromisoformat), (form.starts, time.fromisoformat),
                         (form.ends, time.fromisoformat)):
        value = request.args.get(field.name, "")
        try:
            parsed = parse(value) if value else None
        except ValueError:
            parsed = None
        if parsed is not None and not (field is form.day and parsed < today_local()):
            field.data = parsed


@bp.route("/raeume/<int:space_id>/buchen", methods=["GET", "POST"])
@login_required
def book(space_id: int):
    """Book a space once or as a series; conflicting dates are listed and the rest can be booked."""
    space = _space_or_404(space_id)
    form = BookingForm()
    form.organisation.choices = booking_service.groups_to_book_for(current_user)
    if not form.organisation.choices:
        flash(gettext("Zum Buchen brauchen Sie eine Gruppe: legen Sie beim Registrieren eine Initiative an "
                      "oder lassen Sie sich einladen."))
    state = {"conflicts": [], "ask_fold": False, "status": 422 if request.method == "POST" else 200}
    if request.method == "GET":  # from a search: its day and times (space page, "Jetzt buchen")
        _prefill(form)
        form.day.data = form.day.data or today_local() + timedelta(days=1)
    if form.validate_on_submit():
        outcome, state = _submit(form, space)
        if outcome is not None:
            outbox.commit_and_deliver(outcome.mails)
            flash(_booked_message(outcome))
            return redirect(url_for("booking.mine"))
    return render_template("booking/book.html", form=form, space=space, conflicts=state["conflicts"],
                           ask_fold=state["ask_fold"]), state["status"]


@bp.get("/meine-buchungen")
@login_required
def mine():
    """The bookings of my groups from today on, week by week, with feeds to subscribe to."""
    return render_template("booking/mine.html", bookings=booking_service.upcoming_of_my_groups(current_user),
                           cancel_form=CancelForm(), BERLIN=BERLIN,
                           interval=booking_interval)


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
    flash(_cancelled_message(cancelled))
    return redirect(request.referrer or url_for("booking.mine"))


def _cancelled_message(cancelled: list[Booking]) -> str:
    """What was cancelled, by date: the person sees it was the right one (rules.cancel: at least one, in time
    order)."""
    first = cancelled[0]
    when = slot(booking_interval(first))
    if len(cancelled) == 1:
        return gettext("Abgesagt: %(when)s in %(space)s.", when=when, space=first.space.name)
    return gettext("%(num)s Termine in %(space)s abgesagt, vom %(when)s an.", num=len(cancelled), when=when,
                   space=first.space.name)


@bp.get("/verwaltung/anfragen")
@login_required
def inbox():
    """Open requests for the spaces I manage."""
    return _inbox_page()


def _inbox_page(form: DecisionForm | None = None, status: int = 200):
    """The open requests; with `form`, the decision that was refused and why (a German form error)."""
    rows = booking_service.open_requests(current_user)  # Forbidden (403) for anyone who manages no space
    errors = [error for errors in (form.errors.values() if form is not None else ()) for error in errors]
    return render_template("booking/inbox.html", bookings=rows, form=form or DecisionForm(), errors=errors,
                           interval=booking_interval), status


@bp.post("/buchungen/<int:booking_id>/<any(annehmen, ablehnen):decision>")
@login_required
def decide(booking_id: int, decision: str):
    """Accept or decline a request, with a note to the group."""
    booking = rules.booking_for(db.session, current_user, booking_id)
    form = DecisionForm()
    if not form.validate():  # the note: no control characters (a NUL breaks the audit log), 500 characters
        return _inbox_page(form, status=422)
    try:
        rules.decide(db.session, booking, current_user, accept=decision == "annehmen", note=form.note.data or "")
    except Forbidden as err:
        abort(403, description=err.message)
    except (Conflict, BookingRefused) as err:
        flash(err.message)
        return redirect(url_for("booking.inbox"))
    mails = notifications.decided(booking)
    outbox.commit_and_deliver(mails)
    what = {"when": slot(booking_interval(booking)), "space": booking.space.name,
            "group": booking.organisation.name if booking.organisation else gettext("einer Gruppe")}
    flash(gettext("Angenommen: %(when)s in %(space)s für %(group)s.", **what) if decision == "annehmen"
          else gettext("Abgelehnt: %(when)s in %(space)s für %(group)s.", **what))
    return redirect(url_for("booking.inbox"))
