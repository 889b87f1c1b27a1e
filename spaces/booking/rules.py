"""Booking rules: which slots a group may take, creating them all or none, decisions and cancellations.

The database's exclusion constraint is the guarantee against double bookings; the checks here
exist to give people a clear reason before it comes to that, and a violation still becomes a
clear refusal (SlotTaken, HTTP 409) rather than an error.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import time

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from spaces.accounts.service import manages
from spaces.booking.waitlist_tables import unclaimed_offer
from spaces.clock import now_utc
from spaces.core import bookability
from spaces.core.availability import BERLIN, Interval
from spaces.core.bookability import SlotVerdict
from spaces.core.errors import Conflict, DomainError, Forbidden, NotFound
from spaces.models import (
    SLOT_HOLDING,
    AuditEntry,
    Booking,
    BookingMode,
    BookingSeries,
    BookingStatus,
    Organisation,
    Site,
    Space,
    User,
    memberships,
)
from spaces.terms import occupancy_for, terms_for

MAX_ATTENDEES = bookability.MAX_ATTENDEES


class BookingRefused(DomainError):
    """Some slots cannot be booked; `problems` says which and why (German), per date."""

    status = 422
    default_code = "not_bookable"

    def __init__(self, message: str, problems: list[SlotVerdict] | None = None):
        super().__init__(message)
        self.problems = problems or []


class SlotTaken(BookingRefused):
    """A slot is held by another booking (seen by the check, or by the database's constraint): HTTP 409."""

    status = 409
    default_code = "taken"




SlotCheck = SlotVerdict  # one slot and its problems (spaces.core.bookability)


@dataclass
class BookingResult:
    created: list[Booking]
    skipped: list[SlotVerdict]
    series: BookingSeries | None = None


def runs_past_midnight(interval: Interval) -> bool:
    """Whether a slot ends on a later local day than it starts (a slot ending at midnight does not)."""
    start, end = interval.start.astimezone(BERLIN), interval.end.astimezone(BERLIN)
    days = (end.date() - start.date()).days
    return days > 1 or (days == 1 and end.time() != time(0))


def local_text(interval: Interval) -> str:
    """'Di 01.12.2026 18:00–20:00' in Berlin time; a slot past midnight says so ('… (endet am Folgetag)')."""
    start, end = interval.start.astimezone(BERLIN), interval.end.astimezone(BERLIN)
    days = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
    later = (end.date() - start.date()).days
    if later == 1 and end.time() == time(0):  # until midnight: the end of the same day
        return f"{days[start.weekday()]} {start:%d.%m.%Y %H:%M}–24:00"
    text = f"{days[start.weekday()]} {start:%d.%m.%Y %H:%M}–{end:%H:%M}"
    if later == 1:
        text += " (endet am Folgetag)"
    elif later > 1:
        text += f" (endet am {end:%d.%m.%Y})"
    return text


# ----------------------------------------------------------------------------- who may do what


def owner_organisation_id(session: Session, space: Space) -> int:
    return session.scalar(select(Site.organisation_id).where(Site.id == space.site_id))


def can_manage(session: Session, user: User, space: Space) -> bool:
    """QM admins, and the managers of the organisation that provides the space."""
    return manages(session, user, owner_organisation_id(session, space))


def may_book_for(user: User, organisation: Organisation | None) -> bool:
    """Rule 3 of spaces.core.bookability: members book for their group, QM admins for any group."""
    return organisation is not None and bookability.may_act_for(
        is_member=user.member_of(organisation.id), is_qm_admin=user.is_qm_admin, is_active=user.is_active)


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
                organisation: Organisation | None, deciding: Booking | None = None,
                expire_offers: bool = True) -> list[SlotVerdict]:
    """Every booking rule (spaces.core.bookability.check) for every slot, with German reasons; seven queries.

    `deciding`: the request a manager is about to accept; it does not collide with itself, and
    who may book and how is the manager's call, but times, closures and size still have to fit.
    A slot offered to a waiting group is held by a booking like any other (spaces.booking.waitlist), so it is
    simply taken. Every booking path asks here first, so offers of this space whose deadline has passed are
    let go first (waitlist.expire_offers: one indexed query when there are none; it writes, in the caller's
    transaction). `expire_offers=False` only for the waitlist itself, which does that already.
    """
    if not intervals:
        return []
    if expire_offers:
        from spaces.booking import waitlist  # it asks these rules in turn

        waitlist.expire_offers(session, space.id)
    window = Interval(min(i.start for i in intervals), max(i.end for i in intervals))
    terms = terms_for(session, [space.id])[space.id]
    occupancy = occupancy_for(session, [space.id], window, except_booking=deciding.id if deciding else None)[space.id]
    # None: a guest's request (spaces.booking.guests), for no registered group
    organisation_id, organisation_name = (organisation.id, organisation.name) if organisation else (None, "")
    return bookability.check(terms, occupancy, intervals, now=now_utc(), organisation_id=organisation_id,
                             organisation_name=organisation_name, attendees=attendees,
                             deciding=deciding is not None)


# ----------------------------------------------------------------------------- changes


def audit(session: Session, actor: User | None, action: str, obj, **details) -> None:
    """Keep who did what to which object, when (the database stamps the time)."""
    session.add(AuditEntry(actor_id=actor.id if actor else None, action=action,
                           object_type=type(obj).__tablename__, object_id=str(obj.id),
                           details={k: (str(v) if not isinstance(v, (int, float, bool, list, dict)) else v)
                                    for k, v in details.items()}))


def write_bookings(session: Session, *, space: Space, user: User | None, organisation: Organisation | None,
                   verdicts: list[SlotVerdict], attendees: int, purpose: str = "", is_public: bool = False,
                   series: BookingSeries | None = None, status: str | None = None, **audited) -> list[Booking]:
    """Write the bookable slots (all or none, in a savepoint) and their audit rows.

    The status follows the space's mode unless given (the waitlist's offers are 'requested'); `user` is the
    requester (None: an offer for a group whose requester's account is gone, or a guest's request, which has no
    organisation either); `audited` goes into the audit rows.
    The database's exclusion constraint is the last word: when another request won a slot since
    the check, nothing is written and SlotTaken (409) says so.
    """
    if status is None:
        status = BookingStatus.CONFIRMED if space.booking_mode == BookingMode.INSTANT else BookingStatus.REQUESTED
    organisation_id = organisation.id if organisation else None
    created = [
        Booking(space_id=space.id, organisation_id=organisation_id, requester_id=user.id if user else None,
                series_id=series.id if series else None, during=Range(v.interval.start, v.interval.end, bounds="[)"),
                status=status, attendees=attendees, purpose=purpose.strip()[:300], is_public=is_public)
        for v in verdicts
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
              organisation_id=organisation_id, start=booking.during.lower.isoformat(),
              end=booking.during.upper.isoformat(), **audited)
    return created


def refusal(bad: list[SlotVerdict], total: int, *, nothing_left: bool = False) -> BookingRefused:
    """The refusal for slots that cannot be booked: 409 when a slot is taken, else 422; `problems` has every date."""
    if nothing_left:
        message = "Keiner der Termine ist buchbar."
    elif total == 1:
        message = " ".join(bad[0].problems)
    else:
        message = f"{len(bad)} von {total} Terminen sind nicht buchbar."
    kind = SlotTaken if any(v.taken for v in bad) else BookingRefused
    return kind(message, bad)


def per_date(problems: list[SlotVerdict], most: int = 10) -> str:
    """Each refused date and why, in one German text: 'Di 07.12.2027 18:00–20:00: Geschlossen. …'."""
    text = " ".join(f"{local_text(v.interval)}: {' '.join(v.problems)}" for v in problems[:most])
    return text + (f" Und {len(problems) - most} weitere." if len(problems) > most else "")


def new_series(space: Space, user: User, organisation: Organisation, request, rrule: str, description: str):
    """The series record for a recurring request (written together with its bookings)."""
    return BookingSeries(id=uuid.uuid4(), space_id=space.id, organisation_id=organisation.id, requester_id=user.id,
                         frequency=str(request.frequency), rrule=rrule, first_day=request.first_day,
                         starts=request.starts, ends=request.ends, until=request.until, count=request.count,
                         description=description)


def _locked(session: Session, booking: Booking) -> Booking:
    """The booking re-read under a row lock: a second decision on it waits, then sees the first one's result."""
    return session.get(Booking, booking.id, with_for_update=True, populate_existing=True)


def decide(session: Session, booking: Booking, manager: User, *, accept: bool, note: str = "") -> Booking:
    """Accept or decline a request, only if it is still a request; only the space's managers may.

    The row is locked first, so of many simultaneous decisions exactly one changes the booking
    (one audit row, one mail); the others get Conflict (409).
    """
    if not can_manage(session, manager, booking.space):
        raise Forbidden("Über Anfragen entscheidet nur die Raumverwaltung dieses Raums.")
    booking = _locked(session, booking)
    _not_an_open_offer(session, booking)
    if booking.status != BookingStatus.REQUESTED:
        word = {BookingStatus.CONFIRMED: "angenommen", BookingStatus.DECLINED: "abgelehnt",
                BookingStatus.CANCELLED: "abgesagt"}.get(booking.status, booking.status)
        raise Conflict(f"Über diese Anfrage ist schon entschieden: sie ist {word}.")
    if accept:  # the space may have changed since the request (a closure, fewer seats, other hours)
        check, = check_slots(session, booking.space, [Interval(booking.during.lower, booking.during.upper)],
                             attendees=booking.attendees, organisation=booking.organisation, deciding=booking)
        if not check.ok:
            raise BookingRefused("Annehmen geht nicht mehr: " + " ".join(check.problems)
                                 + " Bitte ablehnen, mit einer Notiz an die Gruppe.", [check])
    booking.status = BookingStatus.CONFIRMED if accept else BookingStatus.DECLINED
    booking.decided_by_id, booking.decided_at, booking.decision_note = manager.id, now_utc(), note.strip()[:500]
    audit(session, manager, "booking.accepted" if accept else "booking.declined", booking, note=note)
    if not accept:  # the slot is free again: offered to the first group waiting for it (mails queued)
        from spaces.booking import waitlist

        waitlist.offer_freed(session, [booking])
    return booking


def _not_an_open_offer(session: Session, booking: Booking) -> None:
    """An offer of the waitlist the group has not claimed is no request yet: only the waitlist changes it
    ("Annehmen", "Nicht mehr nötig", its deadline). Conflict (409) for anyone deciding or cancelling it."""
    if session.scalar(select(unclaimed_offer(booking.id))):
        raise Conflict("Dieser Termin ist einer Gruppe von der Warteliste angeboten und noch nicht angenommen: "
                       "sie nimmt ihn unter „Meine Buchungen“ an oder gibt ihn frei; sonst läuft das Angebot ab.")


def cancel(session: Session, booking: Booking, user: User, *, rest_of_series: bool = False) -> list[Booking]:
    """Cancel one booking, or it and the later ones of its series; the group or the space's managers may.

    The rows are locked first: of two simultaneous cancellations one cancels, the other gets Conflict.
    The freed slots are offered to the groups on the waitlist, their mails queued in this transaction.
    """
    if not (user.member_of(booking.organisation_id) or can_manage(session, user, booking.space)):
        raise Forbidden("Absagen kann nur die Gruppe, die gebucht hat, oder die Raumverwaltung.")
    _not_an_open_offer(session, booking)  # (an offer has no series: the rest of a series holds none)
    query = select(Booking).where(Booking.id == booking.id)
    if rest_of_series and booking.series_id:
        query = select(Booking).where(Booking.series_id == booking.series_id,
                                      func.lower(Booking.during) >= booking.during.lower)
    targets = session.scalars(query.order_by(Booking.during).with_for_update()
                              .execution_options(populate_existing=True)).all()
    cancelled = []
    for b in targets:
        if b.status in SLOT_HOLDING:
            b.status, b.cancelled_by_id, b.cancelled_at = BookingStatus.CANCELLED, user.id, now_utc()
            audit(session, user, "booking.cancelled", b, rest_of_series=rest_of_series)
            cancelled.append(b)
    if not cancelled:
        raise Conflict("Diese Buchung ist schon abgesagt oder abgelehnt.")
    from spaces.booking import waitlist

    waitlist.offer_freed(session, cancelled)  # the freed slots go to the groups waiting for them (mails queued)
    return cancelled


def managers_of(session: Session, space: Space) -> list[User]:
    """Who decides for a space: the providing organisation's managers."""
    return list(session.scalars(select(User).join(memberships, memberships.c.user_id == User.id).where(
        memberships.c.organisation_id == owner_organisation_id(session, space),
        memberships.c.is_manager.is_(True), User.is_active.is_(True))))
