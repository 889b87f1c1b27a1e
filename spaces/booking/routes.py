"""Booking in the browser: the form on a space, my bookings, the managers' inbox, decisions, cancellations."""

from __future__ import annotations

from datetime import date, time, timedelta
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required

from spaces import outbox
from spaces.booking import notifications, rules, waitlist
from spaces.booking import series as series_rules
from spaces.booking import service as booking_service
from spaces.booking import submit as submission
from spaces.booking.forms import BookingForm, CancelForm, DecisionForm, SeriesChangeForm, WaitlistForm
from spaces.booking.rules import BookingRefused, Forbidden
from spaces.clock import BERLIN, now_utc, today_local
from spaces.core.availability import Interval
from spaces.core.errors import Conflict, Unprocessable
from spaces.db import db
from spaces.formatting import slot
from spaces.models import SLOT_HOLDING, Booking, Space
from spaces.phrasing import said

bp = Blueprint("booking", __name__)


def _space_or_404(space_id: int) -> Space:
    space = db.session.get(Space, space_id)
    if space is None:
        abort(404, description=f"Einen Raum mit der Nummer {space_id} gibt es nicht.")
    return space


def booking_interval(booking: Booking) -> Interval:
    """The booked time of a booking as an Interval."""
    return Interval(booking.during.lower, booking.during.upper)


def _booked_message(outcome) -> str:
    n = len(outcome.created)
    if outcome.confirmed:
        message = ngettext("%(num)s Termin gebucht.", "%(num)s Termine gebucht.", n)
    else:
        message = ngettext("%(num)s Termin angefragt.", "%(num)s Termine angefragt.", n)
    if outcome.skipped:
        message += " " + ngettext("%(num)s Termin wurde ausgelassen.", "%(num)s Termine wurden ausgelassen.",
                                  len(outcome.skipped))
    return message + submission.flash_text(outcome)


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
    state = submission.Submission(status=200)
    if request.method == "GET":  # from a search: its day and times (space page, "Jetzt buchen")
        _prefill(form)
        form.day.data = form.day.data or today_local() + timedelta(days=1)
    else:
        state = _submitted(form, space)
        if state.outcome is not None:
            outbox.commit_and_deliver(state.outcome.mails)
            flash(_booked_message(state.outcome))
            return redirect(url_for("booking.mine"))
    return render_template("booking/book.html", form=form, space=space, conflicts=state.conflicts,
                           ask_fold=state.ask_fold, can_wait=state.can_wait), state.status


def _submitted(form: BookingForm, space: Space) -> submission.Submission:
    try:
        return submission.submit(db.session, form, space, current_user)
    except Forbidden as err:
        abort(403, description=said(err.message))


@bp.get("/meine-buchungen")
@login_required
def mine():
    """The bookings of my groups from today on, week by week, with feeds to subscribe to; their offers and
    places on the waitlist."""
    _refresh_waitlist()
    entries = series_rules.grouped(booking_service.upcoming_of_my_groups(current_user))
    return render_template("booking/mine.html", entries=entries, cancel_form=CancelForm(), BERLIN=BERLIN,
                           interval=booking_interval, decision_form=DecisionForm(),
                           waiting=waitlist.of_my_groups(current_user), waitlist_form=WaitlistForm())


def _refresh_waitlist() -> None:
    """Before a waitlist is read: offers that ran out pass to the next in line (committed, with their mails)."""
    done = waitlist.tick(db.session)
    if done.changed:
        outbox.commit_and_deliver(done.mails)


@bp.post("/buchungen/<int:booking_id>/absagen")
@login_required
def cancel(booking_id: int):
    """Cancel a booking (or the rest of its series)."""
    booking = rules.booking_for(db.session, current_user, booking_id)
    form = CancelForm()
    try:
        cancelled = rules.cancel(db.session, booking, current_user, rest_of_series=form.rest_of_series.data)
    except Forbidden as err:
        abort(403, description=said(err.message))
    except Conflict as err:
        flash(said(err.message))
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
    return render_template("booking/inbox.html", entries=series_rules.grouped(rows), form=form or DecisionForm(),
                           errors=errors, interval=booking_interval), status


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
        abort(403, description=said(err.message))
    except (Conflict, BookingRefused) as err:
        flash(said(err.message))
        return redirect(url_for("booking.inbox"))
    mails = notifications.decided(booking)
    outbox.commit_and_deliver(mails)
    what = {"when": slot(booking_interval(booking)), "space": booking.space.name,
            "group": booking.organisation.name if booking.organisation else gettext("einer Gruppe")}
    flash(gettext("Angenommen: %(when)s in %(space)s für %(group)s.", **what) if decision == "annehmen"
          else gettext("Abgelehnt: %(when)s in %(space)s für %(group)s.", **what))
    return redirect(url_for("booking.inbox"))


# ----------------------------------------------------------------------------- a series as a unit


@bp.get("/serien/<uuid:series_id>")
@login_required
def series(series_id: UUID):
    """One series: what it is, every date with its state, the holidays left out; cancel or change it."""
    found = series_rules.series_for(db.session, current_user, series_id)
    return _series_page(found, SeriesChangeForm(formdata=None, from_day=_next_day(found)))


def _next_day(found) -> date | None:
    later = [b for b in found.bookings if b.status in SLOT_HOLDING and b.during.lower >= now_utc()]
    return series_rules.local_day(later[0]) if later else None


def _series_page(found, form: SeriesChangeForm, conflicts=(), status: int = 200):
    space = series_rules.space_of(db.session, found)
    return render_template("booking/series.html", series=found, space=space, form=form, conflicts=conflicts,
                           summary=series_rules.summary(found), skipped=series_rules.skipped_text(found),
                           manages=rules.can_manage(db.session, current_user, space), decision_form=DecisionForm(),
                           interval=booking_interval, now=now_utc()), status


@bp.post("/serien/<uuid:series_id>/<any(annehmen, ablehnen):decision>")
@login_required
def decide_series(series_id: UUID, decision: str):
    """Accept or decline every open request of a series at once (all or none), with one note."""
    found = series_rules.series_for(db.session, current_user, series_id)
    form = DecisionForm()
    if not form.validate():
        return _inbox_page(form, status=422)
    accept = decision == "annehmen"
    try:
        decided = series_rules.decide_all(db.session, found, current_user, accept=accept, note=form.note.data or "")
    except (Conflict, BookingRefused) as err:
        db.session.rollback()
        flash(said(err.message))
        return redirect(request.referrer or url_for("booking.inbox"))
    outbox.commit_and_deliver(notifications.series_decided(decided))
    flash(_decided_message(decided, accept))
    return redirect(request.referrer or url_for("booking.inbox"))


def _decided_message(decided: list[Booking], accept: bool) -> str:
    n, space = len(decided), decided[0].space.name
    if accept:
        return ngettext("%(num)s Termin in %(space)s angenommen.", "%(num)s Termine in %(space)s angenommen.", n,
                        space=space)
    return ngettext("%(num)s Termin in %(space)s abgelehnt.", "%(num)s Termine in %(space)s abgelehnt.", n,
                    space=space)


@bp.post("/serien/<uuid:series_id>/absagen")
@login_required
def cancel_series(series_id: UUID):
    """Cancel every date of a series that has not begun (the group or the space's managers)."""
    found = series_rules.series_for(db.session, current_user, series_id)
    try:
        cancelled = series_rules.cancel_all(db.session, found, current_user)
    except Conflict as err:
        flash(said(err.message))
        return redirect(request.referrer or url_for("booking.mine"))
    outbox.commit_and_deliver(notifications.cancelled(cancelled, current_user))
    flash(ngettext("Serie abgesagt: %(num)s Termin in %(space)s.", "Serie abgesagt: %(num)s Termine in %(space)s.",
                   len(cancelled), space=cancelled[0].space.name))
    return redirect(request.referrer or url_for("booking.mine"))


@bp.post("/serien/<uuid:series_id>/aendern")
@login_required
def change_series(series_id: UUID):
    """From a date on: a new time for the later dates (all or nothing), or the series ends there."""
    found = series_rules.series_for(db.session, current_user, series_id)
    form = SeriesChangeForm()
    if not form.validate():
        return _series_page(found, form, status=422)
    try:
        change = series_rules.change_from(db.session, found, current_user, form.from_day.data,
                                          new_times=_new_times(form))
    except (Unprocessable, Conflict, BookingRefused) as err:  # RecurrenceError is Unprocessable
        db.session.rollback()
        getattr(form, err.field if err.field in ("ends", "from_day") else "from_day").errors.append(said(err.message))
        return _series_page(found, form, getattr(err, "problems", ()), status=err.status)
    outbox.commit_and_deliver(notifications.cancelled(change.cancelled, current_user)
                              + (notifications.booked(change.created[0].space, change.created, current_user)
                                 if change.created else []))
    flash(_changed_message(change))
    return redirect(url_for("booking.series", series_id=series_id))


def _new_times(form: SeriesChangeForm):
    """(starts, ends, ends_next_day) to move the dates; None to end the series."""
    if form.action.data == "end":
        return None
    return form.starts.data, form.ends.data, bool(form.ends_next_day.data)


def _changed_message(change: series_rules.SeriesChange) -> str:
    first = change.cancelled[0]
    when = slot(booking_interval(first))
    if not change.created:
        return ngettext("Die Reihe endet: %(num)s Termin ab %(when)s abgesagt.",
                        "Die Reihe endet: %(num)s Termine ab %(when)s abgesagt.", len(change.cancelled), when=when)
    done = gettext("gebucht") if change.created[0].status == "confirmed" else gettext("angefragt")
    return ngettext("%(num)s Termin ab %(when)s verschoben: zur neuen Uhrzeit %(done)s.",
                    "%(num)s Termine ab %(when)s verschoben: zur neuen Uhrzeit %(done)s.", len(change.created),
                    when=when, done=done)
