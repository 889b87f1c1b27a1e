"""Booking rules: which slots a group may take, creating them all or none, decisions and cancellations.

The database's exclusion constraint is the guarantee against double bookings; the checks here
exist to give people a clear reason before it comes to that, and a violation still becomes a
clear refusal (SlotTaken, HTTP 409) rather than an error.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .availability import BERLIN, Interval, WeeklyHours, opening_intervals
from .accounts import manages
from .clock import now_utc
from .errors import Conflict, DomainError, NotFound
from .models import (
    SLOT_HOLDING,
    AuditEntry,
    BookableBy,
    Booking,
    BookingMode,
    BookingSeries,
    BookingStatus,
    Closure,
    OpeningHours,
    Organisation,
    Site,
    Space,
    User,
    memberships,
)

MAX_ATTENDEES = 10_000


class BookingRefused(DomainError):
    """Some slots cannot be booked; `problems` says which and why (German)."""

    status = 422

    def __init__(self, message: str, problems: list[SlotCheck] | None = None):
        super().__init__(message)
        self.problems = problems or []


class SlotTaken(BookingRefused):
    """Another booking got the slot first (the database refused the overlap)."""

    status = 409


class Forbidden(DomainError):
    status = 403


@dataclass
class SlotCheck:
    interval: Interval
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class BookingResult:
    created: list[Booking]
    skipped: list[SlotCheck]
    series: BookingSeries | None = None


def local_text(interval: Interval) -> str:
    """'Di 01.12.2026 18:00–20:00' in Berlin time."""
    start, end = interval.start.astimezone(BERLIN), interval.end.astimezone(BERLIN)
    days = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
    return f"{days[start.weekday()]} {start:%d.%m.%Y %H:%M}–{end:%H:%M}"


# ----------------------------------------------------------------------------- who may do what


def owner_organisation_id(session: Session, space: Space) -> int:
    return session.scalar(select(Site.organisation_id).where(Site.id == space.site_id))


def can_manage(session: Session, user: User, space: Space) -> bool:
    """QM admins, and the managers of the organisation that provides the space."""
    return manages(session, user, owner_organisation_id(session, space))


def may_book(session: Session, organisation: Organisation, space: Space) -> bool:
    """Whether this organisation may book the space at all (its 'who may book' setting)."""
    if space.bookable_by == BookableBy.EVERYONE:
        return True
    return organisation.id == owner_organisation_id(session, space) or organisation in space.allowed_organisations


def can_see(session: Session, user: User, booking: Booking) -> bool:
    """The booking's own group, the space's managers and QM admins see a booking's private details."""
    return user.member_of(booking.organisation_id) or can_manage(session, user, booking.space)


def booking_for(session: Session, user: User, booking_id: int) -> Booking:
    """A booking the user may see; others' bookings are 'not found' (no hint that they exist)."""
    booking = session.get(Booking, booking_id)
    if booking is None or not can_see(session, user, booking):
        raise NotFound("Diese Buchung gibt es nicht, oder sie gehört einer anderen Gruppe.")
    return booking


# ----------------------------------------------------------------------------- checks


def check_slots(session: Session, space: Space, intervals: list[Interval], *, attendees: int,
                organisation: Organisation, deciding: Booking | None = None) -> list[SlotCheck]:
    """Every rule for every slot, with German reasons; three queries however many slots.

    `deciding`: the request a manager is about to accept; it does not collide with itself, and
    who may book and how is the manager's call, but times, closures and size still have to fit.
    """
    checks = [SlotCheck(i) for i in intervals]
    if not intervals:
        return checks
    now = now_utc()
    general = []
    if deciding is None and space.booking_mode == BookingMode.NOT_BOOKABLE:
        general.append("Dieser Ort ist nicht buchbar.")
    if deciding is None and not may_book(session, organisation, space):
        general.append(f"{organisation.name} darf diesen Raum nicht buchen (nur freigegebene Gruppen).")
    if attendees < 1:
        general.append("Bitte die Zahl der Teilnehmenden angeben (mindestens 1).")
    elif attendees > MAX_ATTENDEES:
        general.append(f"Höchstens {MAX_ATTENDEES:,} Teilnehmende.".replace(",", "."))
    elif attendees > space.capacity:
        general.append(f"Der Raum fasst {space.capacity} Personen, angefragt sind {attendees}.")

    first, last = min(i.start for i in intervals), max(i.end for i in intervals)
    window = Interval(first, last)
    during = func.tstzrange(first, last, literal("[)"))
    hours = [WeeklyHours(h.weekday, h.opens, h.closes)
             for h in session.scalars(select(OpeningHours).where(OpeningHours.space_id == space.id))]
    opening = opening_intervals(hours, window)
    closures = session.scalars(
        select(Closure).where(Closure.space_id == space.id, Closure.during.op("&&")(during))).all()
    # Slot-holding bookings never overlap each other (the constraint), so sorted by start they are
    # sorted by end too: one binary search per slot finds the only candidate to collide with.
    taken = session.execute(
        select(func.lower(Booking.during), func.upper(Booking.during))
        .where(Booking.space_id == space.id, Booking.status.in_([s.value for s in SLOT_HOLDING]),
               Booking.during.op("&&")(during), Booking.id != (deciding.id if deciding else -1))
        .order_by(func.lower(Booking.during))).all()
    taken_ends = [end for _, end in taken]
    opening_ends = [o.end for o in opening]  # merged, so sorted and disjoint as well

    for check in checks:
        interval = check.interval
        check.problems.extend(general)
        if interval.start < now:
            check.problems.append("Dieser Termin liegt in der Vergangenheit.")
        if space.max_days_in_advance and interval.start > now + timedelta(days=space.max_days_in_advance):
            check.problems.append(f"Buchbar höchstens {space.max_days_in_advance} Tage im Voraus.")
        start_day = interval.start.astimezone(BERLIN).date()
        end_day = (interval.end - timedelta(microseconds=1)).astimezone(BERLIN).date()
        if space.available_from and start_day < space.available_from:
            check.problems.append(f"Den Raum gibt es erst ab {space.available_from:%d.%m.%Y}.")
        if space.available_until and end_day > space.available_until:
            check.problems.append(f"Den Raum gibt es nur bis {space.available_until:%d.%m.%Y}.")
        k = bisect_right(opening_ends, interval.start)  # the first opening that ends after the start
        if not (k < len(opening) and opening[k].start <= interval.start and interval.end <= opening[k].end):
            check.problems.append("Außerhalb der Öffnungszeiten.")
        for closure in closures:
            if Interval(closure.during.lower, closure.during.upper).overlaps(interval):
                check.problems.append(f"Geschlossen{': ' + closure.reason if closure.reason else ''}.")
                break
        k = bisect_right(taken_ends, interval.start)  # the first booking that ends after the start
        if k < len(taken) and taken[k][0] < interval.end:
            check.problems.append("Zu dieser Zeit ist der Raum schon belegt.")
    # Slots of one request must not overlap each other either.
    ordered = sorted(checks, key=lambda c: c.interval.start)
    for a, b in zip(ordered, ordered[1:]):
        if a.interval.overlaps(b.interval):
            b.problems.append("Überschneidet sich mit einem anderen Termin dieser Anfrage.")
    return checks


# ----------------------------------------------------------------------------- changes


def audit(session: Session, actor: User | None, action: str, obj, **details) -> None:
    """Keep who did what to which object, when (the database stamps the time)."""
    session.add(AuditEntry(actor_id=actor.id if actor else None, action=action,
                           object_type=type(obj).__tablename__, object_id=str(obj.id),
                           details={k: (str(v) if not isinstance(v, (int, float, bool, list, dict)) else v)
                                    for k, v in details.items()}))


def book(session: Session, *, space: Space, user: User, organisation: Organisation, intervals: list[Interval],
         attendees: int, purpose: str = "", is_public: bool = False, series: BookingSeries | None = None,
         skip_conflicts: bool = False) -> BookingResult:
    """Book the slots: all of them, or with skip_conflicts the ones that pass; never half of a failed write."""
    if not (user.member_of(organisation.id) or user.is_qm_admin):  # the QM may book on a group's behalf
        raise Forbidden("Sie können nur für eine Gruppe buchen, in der Sie Mitglied sind.")
    checks = check_slots(session, space, intervals, attendees=attendees, organisation=organisation)
    bad = [c for c in checks if not c.ok]
    good = [c for c in checks if c.ok]
    if bad and not skip_conflicts:
        raise BookingRefused(_refusal_text(bad, len(checks)), bad)
    if not good:
        raise BookingRefused("Keiner der Termine ist buchbar.", bad)
    status = BookingStatus.CONFIRMED if space.booking_mode == BookingMode.INSTANT else BookingStatus.REQUESTED
    created = [
        Booking(space_id=space.id, organisation_id=organisation.id, requester_id=user.id,
                series_id=series.id if series else None, during=Range(c.interval.start, c.interval.end, bounds="[)"),
                status=status, attendees=attendees, purpose=purpose.strip()[:300], is_public=is_public)
        for c in good
    ]
    try:
        with session.begin_nested():  # all slots or none, even when another request wins a race
            if series is not None:
                session.add(series)
            session.add_all(created)
            session.flush()
    except IntegrityError as err:
        if "bookings_no_overlap" in str(err.orig):
            raise SlotTaken("Jemand anderes hat diesen Termin gerade gebucht. Bitte einen anderen wählen.") from None
        raise
    for booking in created:
        audit(session, user, "booking.created", booking, status=booking.status, space_id=space.id,
              start=booking.during.lower.isoformat(), end=booking.during.upper.isoformat())
    return BookingResult(created, bad, series)


def _refusal_text(bad: list[SlotCheck], total: int) -> str:
    if total == 1:
        return " ".join(bad[0].problems)
    return f"{len(bad)} von {total} Terminen sind nicht buchbar."


def new_series(space: Space, user: User, organisation: Organisation, request, rrule: str, description: str):
    """The series record for a recurring request (written together with its bookings)."""
    return BookingSeries(id=uuid.uuid4(), space_id=space.id, organisation_id=organisation.id, requester_id=user.id,
                         frequency=str(request.frequency), rrule=rrule, first_day=request.first_day,
                         starts=request.starts, ends=request.ends, until=request.until, description=description)


def decide(session: Session, booking: Booking, manager: User, *, accept: bool, note: str = "") -> Booking:
    """Accept or decline a request; only the space's managers may."""
    if not can_manage(session, manager, booking.space):
        raise Forbidden("Über Anfragen entscheidet nur die Raumverwaltung dieses Raums.")
    if booking.status != BookingStatus.REQUESTED:
        raise Conflict("Über diese Buchung ist schon entschieden.")
    if accept:  # the space may have changed since the request (a closure, fewer seats, other hours)
        check, = check_slots(session, booking.space, [Interval(booking.during.lower, booking.during.upper)],
                             attendees=booking.attendees, organisation=booking.organisation, deciding=booking)
        if not check.ok:
            raise BookingRefused("Annehmen geht nicht mehr: " + " ".join(check.problems)
                                 + " Bitte ablehnen, mit einer Notiz an die Gruppe.", [check])
    booking.status = BookingStatus.CONFIRMED if accept else BookingStatus.DECLINED
    booking.decided_by_id, booking.decided_at, booking.decision_note = manager.id, now_utc(), note.strip()[:500]
    audit(session, manager, "booking.accepted" if accept else "booking.declined", booking, note=note)
    return booking


def cancel(session: Session, booking: Booking, user: User, *, rest_of_series: bool = False) -> list[Booking]:
    """Cancel one booking, or it and the later ones of its series; the group or the space's managers may."""
    if not (user.member_of(booking.organisation_id) or can_manage(session, user, booking.space)):
        raise Forbidden("Absagen kann nur die Gruppe, die gebucht hat, oder die Raumverwaltung.")
    targets = [booking]
    if rest_of_series and booking.series_id:
        targets = session.scalars(
            select(Booking).where(Booking.series_id == booking.series_id,
                                  func.lower(Booking.during) >= booking.during.lower)).all()
    cancelled = []
    for b in targets:
        if b.status in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED):
            b.status, b.cancelled_by_id, b.cancelled_at = BookingStatus.CANCELLED, user.id, now_utc()
            audit(session, user, "booking.cancelled", b, rest_of_series=rest_of_series)
            cancelled.append(b)
    if not cancelled:
        raise Conflict("Diese Buchung ist schon abgesagt oder abgelehnt.")
    return cancelled


def managers_of(session: Session, space: Space) -> list[User]:
    """Who decides for a space: the providing organisation's managers."""
    return list(session.scalars(select(User).join(memberships, memberships.c.user_id == User.id).where(
        memberships.c.organisation_id == owner_organisation_id(session, space),
        memberships.c.is_manager.is_(True), User.is_active.is_(True))))
