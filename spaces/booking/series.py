"""A booking series as a unit: one entry per series in the lists, and decisions, cancellations and changes
for all its dates at once, each in one transaction and all-or-nothing.

Who may: the series' group (its members) and the space's managers (QM admins too) see and change a series;
only the space's managers decide its requests. Anyone else is told it does not exist (404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spaces.booking import rules, waitlist
from spaces.clock import now_utc
from spaces.core import bookability
from spaces.core.availability import BERLIN, Interval, wall_time_to_utc
from spaces.core.bookability import Occupancy, SlotVerdict
from spaces.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from spaces.core.recurrence import Frequency, SeriesRequest, expand
from spaces.models import SLOT_HOLDING, Booking, BookingSeries, BookingStatus, Space, User
from spaces.terms import occupancy_for, terms_for

NOT_FOUND = "Diese Reihe gibt es nicht, oder sie gehört einer anderen Gruppe."
_WEEKDAYS = (_l("montags"), _l("dienstags"), _l("mittwochs"), _l("donnerstags"), _l("freitags"), _l("samstags"),
             _l("sonntags"))


# ----------------------------------------------------------------------------- who may


def space_of(session: Session, series: BookingSeries) -> Space:
    return session.get(Space, series.space_id)


def may_change(session: Session, user: User, series: BookingSeries) -> bool:
    """The series' group and the space's managers (and QM admins) may cancel and change it."""
    return user.member_of(series.organisation_id) or rules.can_manage(session, user, space_of(session, series))


def series_for(session: Session, user: User, series_id: UUID) -> BookingSeries:
    """A series the user may see; anyone else's is 'not found' (no hint that it exists)."""
    series = session.get(BookingSeries, series_id)
    if series is None or not may_change(session, user, series):
        raise NotFound(NOT_FOUND)
    return series


# ----------------------------------------------------------------------------- what the pages show


def local_times(booking: Booking) -> tuple[time, time]:
    return booking.during.lower.astimezone(BERLIN).time(), booking.during.upper.astimezone(BERLIN).time()


def local_day(booking: Booking) -> date:
    return booking.during.lower.astimezone(BERLIN).date()


def _clock(times: tuple[time, time]) -> str:
    return f"{times[0]:%H:%M}–{times[1]:%H:%M}"


def summary(series: BookingSeries) -> str:
    """'Wöchentlich dienstags 18:00–20:00, 8 Termine (08.12.2026 – 26.01.2027)': the dates that hold their
    slot (requested or confirmed); a time changed from a date on reads '…, ab 05.01.2027 19:00–21:00'."""
    weekday = _WEEKDAYS[series.first_day.weekday()]
    rhythm = {Frequency.WEEKLY: gettext("Wöchentlich %(day)s", day=weekday),
              Frequency.BIWEEKLY: gettext("Alle zwei Wochen %(day)s", day=weekday)}.get(
        Frequency(series.frequency), gettext("Monatlich"))
    holding = [b for b in series.bookings if b.status in SLOT_HOLDING]
    times = [local_times(b) for b in holding] or [(series.starts, series.ends)]
    clock = _clock(times[0])
    for before, booking, now in zip(times, holding[1:], times[1:], strict=False):
        if now != before:
            clock += ", " + gettext("ab %(day)s %(clock)s", day=f"{local_day(booking):%d.%m.%Y}", clock=_clock(now))
    if not holding:
        return f"{rhythm} {clock}, " + gettext("keine Termine mehr")
    amount = ngettext("%(num)s Termin", "%(num)s Termine", len(holding))
    return (f"{rhythm} {clock}, {amount} "
            f"({local_day(holding[0]):%d.%m.%Y} – {local_day(holding[-1]):%d.%m.%Y})")


def skipped_text(series: BookingSeries) -> str:
    """The public holidays left out: '25.12.2026 (Erster Weihnachtstag), …' ('' when none)."""
    return ", ".join(f"{date.fromisoformat(day):%d.%m.%Y} ({name})" for day, name in series.skipped_days or [])


@dataclass
class SeriesEntry:
    """One series in a list: its dates in that list (in time order) and the series itself."""

    series: BookingSeries
    bookings: list[Booking] = field(default_factory=list)
    is_series = True  # a template tells it from a Booking

    @property
    def skipped(self) -> str:
        return skipped_text(self.series)

    @property
    def state_text(self) -> str:
        """'6 bestätigt, 2 angefragt' for the dates in the list."""
        words = {BookingStatus.CONFIRMED: gettext("bestätigt"), BookingStatus.REQUESTED: gettext("angefragt"),
                 BookingStatus.DECLINED: gettext("abgelehnt"), BookingStatus.CANCELLED: gettext("abgesagt")}
        counts = {status: sum(1 for b in self.bookings if b.status == status) for status in words}
        return ", ".join(f"{n} {words[status]}" for status, n in counts.items() if n)

    @property
    def summary(self) -> str:
        return summary(self.series)

    @property
    def pending(self) -> list[Booking]:
        return [b for b in self.bookings if b.status == BookingStatus.REQUESTED]

    @property
    def holding(self) -> list[Booking]:
        return [b for b in self.bookings if b.status in SLOT_HOLDING]


def grouped(bookings: list[Booking]) -> list[Booking | SeriesEntry]:
    """The bookings with the dates of one series gathered into one entry, at the place of its first date."""
    out: list[Booking | SeriesEntry] = []
    entries: dict[UUID, SeriesEntry] = {}
    for booking in bookings:
        if booking.series_id is None:
            out.append(booking)
        elif booking.series_id in entries:
            entries[booking.series_id].bookings.append(booking)
        else:
            entries[booking.series_id] = SeriesEntry(booking.series, [booking])
            out.append(entries[booking.series_id])
    return out


# ----------------------------------------------------------------------------- changes


def _locked(session: Session, series: BookingSeries, *statuses: str, since: datetime) -> list[Booking]:
    """The series' dates in these states that start at or after `since`, locked, in time order."""
    return list(session.scalars(
        select(Booking).where(Booking.series_id == series.id, Booking.status.in_(statuses),
                              func.lower(Booking.during) >= since)
        .order_by(Booking.during).with_for_update().execution_options(populate_existing=True)))


def _verdicts_for_accepting(session: Session, space: Space, pending: list[Booking]) -> list[SlotVerdict]:
    """Every rule for the requests about to be accepted, none colliding with the series' own dates."""
    intervals = [Interval(b.during.lower, b.during.upper) for b in pending]
    window = Interval(min(i.start for i in intervals), max(i.end for i in intervals))
    occupancy = occupancy_for(session, [space.id], window)[space.id]
    own = {(i.start, i.end) for i in intervals}  # holding slots never overlap, so equal ones are ours
    others = tuple(t for t in occupancy.taken if (t.start, t.end) not in own)
    organisation = pending[0].organisation
    return bookability.check(terms_for(session, [space.id])[space.id], Occupancy(occupancy.closures, others),
                             intervals, now=now_utc(), organisation_id=organisation.id if organisation else None,
                             organisation_name=organisation.name if organisation else "",
                             attendees=max(b.attendees for b in pending), deciding=True)


def decide_all(session: Session, series: BookingSeries, manager: User, *, accept: bool,
               note: str = "") -> list[Booking]:
    """Accept or decline every open request of the series, in one transaction: all or none.

    The rows are locked first: of two managers deciding at once, one decides, the other gets Conflict.
    A date that no longer fits (a closure, other hours, fewer seats) refuses the whole acceptance,
    naming the dates (BookingRefused, with every such date in `problems`).
    """
    space = space_of(session, series)
    if not rules.can_manage(session, manager, space):
        raise Forbidden("Über Anfragen entscheidet nur die Raumverwaltung dieses Raums.")
    pending = _locked(session, series, BookingStatus.REQUESTED, since=now_utc())
    if not pending:
        raise Conflict("Über diese Reihe ist schon entschieden: sie hat keine offenen Anfragen mehr.")
    if accept:
        bad = [v for v in _verdicts_for_accepting(session, space, pending) if not v.ok]
        if bad:
            raise rules.BookingRefused(
                f"Annehmen geht nicht: {rules.per_date(bad)} Es wurde nichts angenommen. Bitte "
                + ("diesen Termin" if len(bad) == 1 else "diese Termine")
                + " einzeln ablehnen und dann die übrigen annehmen.", bad)
    for booking in pending:
        booking.status = BookingStatus.CONFIRMED if accept else BookingStatus.DECLINED
        booking.decided_by_id, booking.decided_at = manager.id, now_utc()
        booking.decision_note = note.strip()[:500]
        rules.audit(session, manager, "booking.accepted" if accept else "booking.declined", booking, note=note,
                    series=True)
    if not accept:
        waitlist.offer_freed(session, pending)  # to the groups waiting for these dates (mails queued)
    return pending


def _cancel(session: Session, bookings: list[Booking], user: User, action: str) -> None:
    for booking in bookings:
        booking.status, booking.cancelled_by_id, booking.cancelled_at = BookingStatus.CANCELLED, user.id, now_utc()
        rules.audit(session, user, "booking.cancelled", booking, series_action=action)


def cancel_all(session: Session, series: BookingSeries, user: User) -> list[Booking]:
    """Cancel every date of the series that has not begun (requested or confirmed); earlier ones stay."""
    if not may_change(session, user, series):
        raise Forbidden("Absagen kann nur die Gruppe, die gebucht hat, oder die Raumverwaltung.")
    targets = _locked(session, series, *SLOT_HOLDING, since=now_utc())
    if not targets:
        raise Conflict("Diese Reihe hat keine anstehenden Termine mehr, die sich absagen lassen.")
    _cancel(session, targets, user, "cancel_series")
    waitlist.offer_freed(session, targets)  # to the groups waiting for these dates (mails queued)
    return targets


@dataclass
class SeriesChange:
    """What a change from a date on did: the dates cancelled and the ones booked or requested instead."""

    cancelled: list[Booking]
    created: list[Booking] = field(default_factory=list)


def change_from(session: Session, series: BookingSeries, user: User, from_day: date, *,
                new_times: tuple[time, time, bool] | None = None) -> SeriesChange:
    """From `from_day` on, end the series (`new_times` None) or move its dates to new local times.

    Dates before `from_day` stay as they are. Moving cancels the later dates and books the same days at
    the new time under every rule (instant spaces confirm, on-request spaces get requests again; the
    space's managers confirm their own change). All or nothing: when one new date does not fit, nothing
    changes and BookingRefused lists every such date. A RecurrenceError (end before start) comes first.
    """
    space = space_of(session, series)
    if not may_change(session, user, series):
        raise Forbidden("Ändern kann nur die Gruppe, die gebucht hat, oder die Raumverwaltung.")
    since = max(now_utc(), wall_time_to_utc(from_day, time(0), BERLIN))
    if new_times is not None:  # end before start is refused before anything else
        SeriesRequest(first_day=from_day, starts=new_times[0], ends=new_times[1], frequency=Frequency.ONCE,
                      ends_next_day=new_times[2])
    targets = _locked(session, series, *SLOT_HOLDING, since=since)
    if not targets:
        raise Unprocessable(f"Ab dem {from_day:%d.%m.%Y} hat die Reihe keine anstehenden Termine mehr.",
                            field="from_day")
    if new_times is None:
        _cancel(session, targets, user, "end_series")
        if from_day - timedelta(days=1) >= series.first_day:
            series.until, series.count = from_day - timedelta(days=1), None
        waitlist.offer_freed(session, targets)
        return SeriesChange(targets)
    starts, ends, next_day = new_times
    slots = [interval for b in targets for interval in expand(
        SeriesRequest(first_day=local_day(b), starts=starts, ends=ends, frequency=Frequency.ONCE,
                      ends_next_day=next_day))]
    with session.begin_nested():  # cancelling frees the old slots for the check; a refusal rolls all back
        _cancel(session, targets, user, "change_series")
        session.flush()
        verdicts = rules.check_slots(session, space, slots, attendees=targets[0].attendees,
                                     organisation=targets[0].organisation)
        bad = [v for v in verdicts if not v.ok]
        if bad:
            kind = rules.SlotTaken if any(v.taken for v in bad) else rules.BookingRefused
            raise kind(f"{len(bad)} von {len(slots)} neuen Terminen gehen nicht; es wurde nichts geändert.", bad)
        created = rules.write_bookings(
            session, space=space, user=user, organisation=targets[0].organisation, verdicts=verdicts,
            attendees=targets[0].attendees, purpose=targets[0].purpose, is_public=targets[0].is_public,
            series=series)
    if created[0].status == BookingStatus.REQUESTED and rules.can_manage(session, user, space):
        for booking in created:
            booking.status, booking.decided_by_id, booking.decided_at = BookingStatus.CONFIRMED, user.id, now_utc()
    waitlist.offer_freed(session, targets)  # what the new times left free goes to the groups waiting for it
    return SeriesChange(targets, created)
