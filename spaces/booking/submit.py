"""The booking form's submission: every error at once, each on the field it is about.

The fields' own checks (WTForms), the shape of the times and of the series' end (spaces.core.recurrence)
and the space's rules (spaces.booking.rules.check_slots) all run on one submit, as far as what was filled
in allows; then, with nothing to say, the one booking service books.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

from flask_babel import gettext, ngettext
from sqlalchemy.orm import Session

from spaces.booking import rules, waitlist
from spaces.booking import service as booking_service
from spaces.booking.forms import BookingForm
from spaces.booking.service import BookingOutcome
from spaces.booking.waitlist import Joined
from spaces.clock import today_local
from spaces.core import bookability as b
from spaces.core.availability import Interval
from spaces.core.bookability import SlotVerdict
from spaces.core.errors import Conflict
from spaces.core.recurrence import AmbiguousTime, Frequency, RecurrenceError, SeriesRequest
from spaces.models import Organisation, Space, User
from spaces.phrasing import said

#: The form field each problem of spaces.core.bookability is about (None: the form as a whole).
FIELD_OF = {b.PAST: "day", b.BEGUN: "starts", b.TOO_FAR_AHEAD: "day", b.BEFORE_PERIOD: "day",
            b.AFTER_PERIOD: "day", b.CLOSED: "day", b.TAKEN: "day", b.OVERLAPS_REQUEST: "day",
            b.OUTSIDE_HOURS: "starts", b.ATTENDEES: "attendees", b.OVER_CAPACITY: "attendees",
            b.GROUP_NOT_ALLOWED: "organisation", b.NOT_BOOKABLE_CODE: None}
#: Problems of the request as a whole (the same on every date of a series).
GENERAL = {b.ATTENDEES, b.OVER_CAPACITY, b.GROUP_NOT_ALLOWED, b.NOT_BOOKABLE_CODE}
MISSING_END = "Bis wann? Bitte den letzten Tag („bis einschließlich“) oder die Anzahl der Termine angeben."


@dataclass
class Submission:
    """What the page shows after a submit: per-date conflicts of a series, the DST question, the status."""

    conflicts: list[tuple[Interval, list[str]]] = field(default_factory=list)
    ask_fold: bool = False
    status: int = 422
    outcome: BookingOutcome | None = None
    joined: Joined | None = None  # put on the waitlist instead (join_waitlist)

    @property
    def can_wait(self) -> bool:
        """A date was refused because another group holds it: the form offers the waitlist for this request."""
        return self.status == 409


def _add(form: BookingForm, name: str | None, message: str) -> None:
    errors = form.form_errors if name is None else getattr(form, name).errors
    message = said(message)  # in the visitor's language
    if message not in errors:
        errors.append(message)


def _on_field(form: BookingForm, err: RecurrenceError) -> None:
    if err.code == "missing_end":
        _add(form, "until", gettext(MISSING_END))
    elif err.code in ("until_and_count", "count_too_small"):
        _add(form, "count", err.message)
    else:
        _add(form, err.field or "day", err.message)


def _has_errors(form: BookingForm) -> bool:
    """Any error so far (not form.errors: WTForms caches that at its first reading)."""
    return bool(form.form_errors) or any(f.errors for f in form)


def _ok(form: BookingForm, *names: str) -> bool:
    return all(getattr(form, n).data is not None and not getattr(form, n).errors for n in names)


def recurrence_of(form: BookingForm) -> SeriesRequest | None:
    """The series the form describes, or None with every problem of its shape on its field."""
    known = form.frequency.data in {f.value for f in Frequency} and not form.frequency.errors
    frequency = Frequency(form.frequency.data) if known else Frequency.ONCE  # an unknown one: its field says so
    fold = int(form.fold.data) if form.fold.data in ("0", "1") else None
    day = form.day.data if _ok(form, "day") else today_local()
    times_ok = _ok(form, "starts", "ends")
    probes = []
    if times_ok:  # end before start, same time: on the end
        probes.append(dict(first_day=day, starts=form.starts.data, ends=form.ends.data, frequency=Frequency.ONCE,
                           ends_next_day=bool(form.ends_next_day.data)))
    if frequency != Frequency.ONCE and not form.until.errors and not form.count.errors:  # the series' end
        probes.append(dict(first_day=day, starts=time(10), ends=time(11), frequency=frequency,
                           until=form.until.data, count=form.count.data))
    for probe in probes:
        try:
            SeriesRequest(**probe)
        except RecurrenceError as err:
            _on_field(form, err)
    if _has_errors(form) or not times_ok or not _ok(form, "day"):
        return None
    series = frequency != Frequency.ONCE
    try:
        return SeriesRequest(first_day=form.day.data, starts=form.starts.data, ends=form.ends.data,
                             frequency=frequency, until=form.until.data if series else None,
                             count=form.count.data if series else None, fold=fold,
                             ends_next_day=bool(form.ends_next_day.data))
    except RecurrenceError as err:
        _on_field(form, err)
        return None


def _outside_hours_field(session: Session, space: Space, verdict: SlotVerdict, organisation: Organisation) -> str:
    """Whether the start or the end lies outside the opening hours: 'starts' or 'ends'."""
    start = verdict.interval.start
    probe, = rules.check_slots(session, space, [Interval(start, start + timedelta(minutes=1))], attendees=1,
                               organisation=organisation)
    return "starts" if b.OUTSIDE_HOURS in probe.codes else "ends"


def show_problems(session: Session, form: BookingForm, space: Space, organisation: Organisation,
                  bad: list[SlotVerdict], total: int, state: Submission) -> None:
    """The refused dates `bad` of `total`: each problem on its field; a series' per-date problems in
    `state.conflicts` and their number on the day."""
    bad = [v for v in bad if not v.ok]
    for verdict in bad:
        for problem in verdict.reasons:
            if total == 1 or problem.code in GENERAL:
                name = FIELD_OF.get(problem.code, "day")
                if problem.code == b.OUTSIDE_HOURS:
                    name = _outside_hours_field(session, space, verdict, organisation)
                _add(form, name, problem.message)
    dated = [(v.interval, [said(p.message) for p in v.reasons if p.code not in GENERAL]) for v in bad]
    dated = [(when, texts) for when, texts in dated if texts]
    if total > 1 and dated:
        state.conflicts = dated
        _add(form, "day", f"{len(dated)} von {total} Terminen sind nicht buchbar.")
    state.status = 409 if any(v.taken for v in bad) else 422


def _rule_check_only(session: Session, form: BookingForm, space: Space, organisation: Organisation | None,
                     state: Submission, skip_holidays: bool) -> None:
    """With some field wrong, still the space's rules for what was filled in (past date, opening hours …)."""
    if organisation is None or not _ok(form, "day", "starts", "ends"):
        if _ok(form, "day") and form.day.data < today_local():  # no slot to check, but the day alone is wrong
            _add(form, "day", gettext("Dieser Tag liegt in der Vergangenheit."))
        return
    try:
        once = SeriesRequest(first_day=form.day.data, starts=form.starts.data, ends=form.ends.data,
                             frequency=Frequency.ONCE, ends_next_day=bool(form.ends_next_day.data),
                             fold=int(form.fold.data) if form.fold.data in ("0", "1") else None)
        slots = booking_service.plan(once, skip_holidays=skip_holidays).slots
    except RecurrenceError:
        return  # the date's wall time needs the full form (daylight saving): said once everything else is right
    attendees = form.attendees.data if _ok(form, "attendees") else 1
    verdicts = rules.check_slots(session, space, slots, attendees=attendees, organisation=organisation)
    show_problems(session, form, space, organisation, verdicts, len(verdicts), state)


def _sent(session: Session, form: BookingForm, space: Space, act) -> Submission:
    """What booking and joining the waitlist share: check the form, plan its dates, then `act(organisation,
    planned, skip)`; a wrong time on its field, a refusal (with every date and why where there are several)."""
    state = Submission()
    form.validate()
    organisation = session.get(Organisation, form.organisation.data) if _ok(form, "organisation") else None
    recurrence = recurrence_of(form)
    if recurrence is None or _has_errors(form):
        _rule_check_only(session, form, space, organisation, state, bool(form.skip_holidays.data))
        return state
    skip = bool(form.skip_holidays.data) and recurrence.frequency != Frequency.ONCE
    planned = None
    try:
        planned = booking_service.plan(recurrence, skip_holidays=skip)
        act(state, organisation, recurrence, planned, skip)
    except AmbiguousTime as err:
        _add(form, "fold", err.message)
        state.ask_fold = True
    except RecurrenceError as err:
        _on_field(form, err)
    except (rules.BookingRefused, Conflict) as err:  # SlotTaken (409) too: every date and why
        session.rollback()
        problems = getattr(err, "problems", None)
        if problems and planned is not None:
            show_problems(session, form, space, organisation, problems, len(planned.slots), state)
        else:
            _add(form, "day", err.message)
            state.status = err.status
    return state


def submit(session: Session, form: BookingForm, space: Space, user: User) -> Submission:
    """Check everything the form says and book it when nothing stands against it (Forbidden: 403)."""
    def book(state, organisation, recurrence, planned, skip):
        state.outcome = booking_service.request_booking(
            session, user=user, organisation=organisation, space=space, slots=planned.slots,
            attendees=form.attendees.data, purpose=form.purpose.data or "", is_public=form.is_public.data,
            recurrence=recurrence, skip_conflicts=form.skip_conflicts.data,
            skipped_days=planned.skipped if skip else None)

    return _sent(session, form, space, book)


def join_waitlist(session: Session, form: BookingForm, space: Space, user: User) -> Submission:
    """The same form, sent with "Auf die Warteliste setzen": the group queues for the taken dates of exactly
    this request (spaces.booking.waitlist.join); every problem of the form on its field, as when booking."""
    def join(state, organisation, recurrence, planned, skip):
        state.joined = waitlist.join(session, user=user, organisation=organisation, space=space,
                                     slots=planned.slots, attendees=form.attendees.data,
                                     purpose=form.purpose.data or "", is_public=form.is_public.data)

    return _sent(session, form, space, join)


def joined_text(joined: Joined) -> str:
    """'Ihre Gruppe steht auf der Warteliste für 1 Termin. …' with what was left out and why."""
    n = len(joined.entries)
    text = ngettext("Ihre Gruppe steht auf der Warteliste für %(num)s Termin.",
                    "Ihre Gruppe steht auf der Warteliste für %(num)s Termine.", n)
    text += " " + gettext("Wird ein Termin frei, bekommt die erste Gruppe in der Reihe ihn per Mail und unter "
                          "„Meine Buchungen“ angeboten.")
    if joined.free:
        text += " " + ngettext("%(num)s Termin ist frei und lässt sich gleich buchen.",
                               "%(num)s Termine sind frei und lassen sich gleich buchen.", len(joined.free))
    if joined.already:
        text += " " + ngettext("Für %(num)s Termin wartet Ihre Gruppe schon.",
                               "Für %(num)s Termine wartet Ihre Gruppe schon.", len(joined.already))
    return text


def flash_text(outcome: BookingOutcome) -> str:
    """'8 Termine angefragt. Ausgelassen (Feiertage): 25.12.2026 (Erster Weihnachtstag).'"""
    if not outcome.skipped_days:
        return ""
    days = ", ".join(f"{day:%d.%m.%Y} ({name})" for day, name in outcome.skipped_days)
    return " " + gettext("Ausgelassen (Feiertage): %(days)s.", days=days)

