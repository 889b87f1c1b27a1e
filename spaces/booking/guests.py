"""Requests without an account: a resident asks for an on-request space with a name, an e-mail and a group.

The request waits until its address is confirmed through a mailed link (double opt-in: 24 hours, once);
only then it becomes a Booking in status 'requested', checked by the same rules as every booking
(spaces.booking.rules.check_slots) and held by the same exclusion constraint, and reaches the managers'
inbox. The guest can cancel through a second mailed link until the date has passed. Only SHA-256 hashes
of both links' tokens are stored. `prune` deletes unconfirmed requests after 24 hours and blanks name,
e-mail and group `GUEST_DATA_DAYS` after the date (the booking stays, for the statistics).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from spaces.accounts.service import hash_token
from spaces.booking import notifications, rules, waitlist
from spaces.booking.guest_tables import GuestRequest
from spaces.booking.rules import BookingRefused, SlotTaken
from spaces.booking.submit import FIELD_OF
from spaces.clock import now_utc
from spaces.core import bookability
from spaces.core.availability import Interval
from spaces.core.bookability import SlotVerdict
from spaces.core.errors import DomainError, Forbidden, NotFound
from spaces.core.phrases import phrase
from spaces.core.recurrence import Frequency, RecurrenceError, SeriesRequest, expand
from spaces.models import SLOT_HOLDING, Booking, BookingMode, BookingStatus, OutboxMail, Space, User
from spaces.outbox import Outgoing

OPTIN_VALID = timedelta(hours=24)
PER_EMAIL_PER_DAY = 3  # unconfirmed requests to one address within 24 hours: no mail bombing through us
ADDRESS_LIMIT = "5 per hour;20 per day"  # requests sent from one client address (Flask-Limiter, see guest_routes)


class GuestRefused(DomainError):
    """A guest request that cannot be sent; `field` names the form field it is about."""


@dataclass
class GuestGroup:
    """The group a guest names, as the booking rules ask for one: no registered organisation behind it."""

    name: str
    id: None = None


@dataclass
class Sent:
    """A request written and waiting for its confirmation, and the mail with the link."""

    request: GuestRequest
    mails: list[Outgoing]


@dataclass
class Pruned:
    unconfirmed: int = 0
    anonymised: int = 0
    mails: int = 0


@dataclass
class Check:
    """The slot a guest asks for and every rule's verdict on it, each problem on its form field."""

    interval: Interval | None
    errors: list[tuple[str | None, str]] = field(default_factory=list)  # (form field or None, message)
    taken: bool = False  # the slot is held by another booking (HTTP 409)


# ----------------------------------------------------------------------------- what may be asked


def takes_guests(space: Space) -> bool:
    """Guests may ask for spaces on request that every group may book (a listed-only space wants a known group)."""
    return space.booking_mode == BookingMode.ON_REQUEST and space.bookable_by == bookability.EVERYONE


def interval_of(day: date, starts: time, ends: time) -> Interval:
    """One date from `starts` to `ends` (Berlin wall time; 00:00 as the end means midnight); RecurrenceError
    on the field it is about."""
    past_midnight = ends == time(0) and starts != time(0)
    request = SeriesRequest(first_day=day, starts=starts, ends=ends, frequency=Frequency.ONCE, fold=0,
                            ends_next_day=past_midnight)
    return expand(request)[0]


def check(session: Session, space: Space, *, day: date, starts: time, ends: time, attendees: int,
          group_name: str) -> Check:
    """Every booking rule for the guest's slot, each problem on its form field (none: it may be asked for)."""
    try:
        interval = interval_of(day, starts, ends)
    except RecurrenceError as err:
        if err.code == "ends_before_start":  # the guest's form has no "ends the next day"
            return Check(None, [("ends", phrase("Das Ende liegt vor dem Beginn."))])
        return Check(None, [(err.field or ("starts" if err.code == "nonexistent" else "day"), err.message)])
    if not takes_guests(space):
        return Check(interval, [(None, phrase("Diesen Raum können nur registrierte Gruppen anfragen."))])
    verdict, = rules.check_slots(session, space, [interval], attendees=attendees, organisation=GuestGroup(group_name))
    found = Check(interval, taken=verdict.taken)
    for problem in verdict.reasons:
        name = FIELD_OF.get(problem.code, "day")
        name = None if name == "organisation" else name
        if problem.code == bookability.OUTSIDE_HOURS:
            name = _outside_hours_field(session, space, interval, group_name)
        found.errors.append((name, problem.message))
    return found


def _outside_hours_field(session: Session, space: Space, interval: Interval, group_name: str) -> str:
    """Whether the start or the end lies outside the opening hours."""
    probe, = rules.check_slots(session, space, [Interval(interval.start, interval.start + timedelta(minutes=1))],
                               attendees=1, organisation=GuestGroup(group_name))
    return "starts" if bookability.OUTSIDE_HOURS in probe.codes else "ends"


# ----------------------------------------------------------------------------- asking


def send_request(session: Session, space: Space, *, interval: Interval, attendees: int, purpose: str, name: str,
                 email: str, group_name: str) -> Sent:
    """Write the request (unconfirmed) and the mail with its confirmation link; GuestRefused on the e-mail field
    when this address has PER_EMAIL_PER_DAY unconfirmed requests within 24 hours."""
    if not takes_guests(space):
        raise Forbidden(phrase("Diesen Raum können nur registrierte Gruppen anfragen."))
    email = email.strip().lower()
    now = now_utc()
    # Counted under a lock on the address: two workers at once never both let a fourth one through.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 14))"), {"key": "guest:" + email})
    recent = session.scalar(select(func.count()).select_from(GuestRequest).where(
        GuestRequest.email == email, GuestRequest.confirmed_at.is_(None), GuestRequest.cancelled_at.is_(None),
        GuestRequest.created_at > now - OPTIN_VALID))
    if recent >= PER_EMAIL_PER_DAY:
        raise GuestRefused(phrase(
            "An diese Adresse sind schon %(n)s unbestätigte Anfragen unterwegs. Bitte bestätigen Sie zuerst "
            "diese über den Link in der E-Mail, oder versuchen Sie es morgen wieder.", n=PER_EMAIL_PER_DAY),
            code="too_many", field="email")
    token = secrets.token_urlsafe(32)
    request = GuestRequest(space_id=space.id, starts_at=interval.start, ends_at=interval.end, attendees=attendees,
                           purpose=purpose.strip()[:300], name=name.strip()[:100], email=email,
                           group_name=group_name.strip()[:120], optin_hash=hash_token(token), created_at=now)
    session.add(request)
    session.flush()
    return Sent(request, [notifications.guest_confirm(request, space, token)])


def for_optin(session: Session, token: str, *, lock: bool = False) -> GuestRequest:
    """The unconfirmed request of a confirmation link; NotFound when it is unknown, used or older than 24 hours."""
    query = select(GuestRequest).where(GuestRequest.optin_hash == hash_token(token))
    request = session.scalar(query.with_for_update() if lock else query)
    if request is None or request.cancelled_at is not None or request.confirmed_at is not None:
        raise NotFound(phrase("Dieser Link wurde schon benutzt oder gilt nicht. Ihre Anfrage ist bestätigt, "
                              "wenn Sie eine zweite Mail mit einem Link zum Absagen bekommen haben."))
    if now_utc() - request.created_at >= OPTIN_VALID:
        raise NotFound(phrase("Dieser Link ist abgelaufen (er gilt 24 Stunden). Bitte stellen Sie die Anfrage "
                              "noch einmal."), code="expired")
    return request


@dataclass
class Confirmed:
    request: GuestRequest
    booking: Booking
    mails: list[Outgoing]


def confirm(session: Session, token: str) -> Confirmed:
    """Confirm the address: the request becomes a booking in status 'requested' for the managers' inbox.

    The link works once; SlotTaken (409) when the slot was taken since (nothing is written then), and
    BookingRefused (422) when the space's rules changed. The exclusion constraint is the last word.
    """
    request = for_optin(session, token, lock=True)
    space = request.space
    interval = Interval(request.starts_at, request.ends_at)
    verdict, = rules.check_slots(session, space, [interval], attendees=request.attendees,
                                 organisation=GuestGroup(request.group_name))
    if not verdict.ok:
        raise _refusal(verdict)
    booking = _write_booking(session, request, space, verdict)
    cancel_token = secrets.token_urlsafe(32)
    request.confirmed_at, request.optin_hash, request.booking_id = now_utc(), None, booking.id
    request.cancel_hash = hash_token(cancel_token)
    mails = notifications.guest_confirmed(request, booking, cancel_token)
    mails += notifications.guest_requested(request, booking, rules.managers_of(session, space))
    return Confirmed(request, booking, mails)


def _taken_since():
    return phrase("Der Termin ist inzwischen vergeben. Ihre Anfrage ist nicht weitergeleitet; bitte fragen Sie "
                  "einen anderen Termin an.")


def _refusal(verdict: SlotVerdict) -> BookingRefused:
    if verdict.taken:
        return SlotTaken(_taken_since(), [verdict])
    return BookingRefused(phrase("Der Termin lässt sich so nicht mehr anfragen: %(why)s",
                                 why=" ".join(verdict.problems)), [verdict])


def _write_booking(session: Session, request: GuestRequest, space: Space, verdict: SlotVerdict) -> Booking:
    """The booking, written by rules.write_bookings as every booking is: no requester, no organisation."""
    try:
        booking, = rules.write_bookings(session, space=space, user=None, organisation=None, verdicts=[verdict],
                                        attendees=request.attendees, purpose=request.purpose,
                                        status=BookingStatus.REQUESTED, guest_request_id=request.id)
    except SlotTaken:  # another request won the slot since the check
        raise SlotTaken(_taken_since()) from None
    return booking


# ----------------------------------------------------------------------------- cancelling


def for_cancel(session: Session, token: str, *, lock: bool = False) -> GuestRequest:
    """The request of a cancellation link, until its date has passed; NotFound otherwise."""
    query = select(GuestRequest).where(GuestRequest.cancel_hash == hash_token(token))
    request = session.scalar(query.with_for_update() if lock else query)
    if request is None or request.cancelled_at is not None:
        raise NotFound(phrase("Dieser Link gilt nicht (mehr): die Anfrage ist schon abgesagt, oder es gibt sie "
                              "nicht."))
    if request.ends_at <= now_utc():
        raise NotFound(phrase("Der Termin ist vorbei; absagen geht nicht mehr."), code="expired")
    if request.booking is not None and request.booking.status not in SLOT_HOLDING:
        raise NotFound(phrase("Diese Anfrage ist schon abgelehnt oder abgesagt; Sie müssen nichts mehr tun."))
    return request


def cancel(session: Session, token: str) -> list[Outgoing]:
    """The guest cancels through the mailed link (once): the booking frees its slot; mails for the managers,
    the guest, and whoever waits for the slot (spaces.booking.waitlist)."""
    request = for_cancel(session, token, lock=True)
    now = now_utc()
    request.cancelled_at, request.cancel_hash = now, None
    freed = []
    if request.booking_id is not None:
        booking = session.get(Booking, request.booking_id, with_for_update=True, populate_existing=True)
        if booking.status in SLOT_HOLDING:
            booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
            rules.audit(session, None, "booking.cancelled", booking, by="guest", guest_request_id=request.id)
            freed.append(booking)
    mails = notifications.guest_cancelled(request, rules.managers_of(session, request.space) if freed else [])
    return mails + (waitlist.slot_freed(session, freed) if freed else [])


# ----------------------------------------------------------------------------- the managers' decision


def decide(session: Session, booking_id: int, manager: User, *, accept: bool, note: str = "") -> Booking:
    """Accept or decline a guest's request: rules.decide, as for a group's (only the space's managers; Conflict
    when it is decided already; BookingRefused when the space changed since); NotFound for other bookings."""
    booking = session.get(Booking, booking_id)
    if booking is None or guest_of(session, booking.id) is None:
        raise NotFound(phrase("Diese Gastanfrage gibt es nicht."))
    return rules.decide(session, booking, manager, accept=accept, note=note)


def decision_mails(session: Session, booking: Booking) -> list[Outgoing]:
    """The mails after a decision, to the guest (a decline has offered the slot to the waitlist already:
    rules.decide)."""
    return notifications.decided(booking)


# ----------------------------------------------------------------------------- reading


def guest_of(session: Session, booking_id: int) -> GuestRequest | None:
    """The guest request behind a booking, if it is one."""
    return session.scalar(select(GuestRequest).where(GuestRequest.booking_id == booking_id))


def guests_for(session: Session, booking_ids: list[int]) -> dict[int, GuestRequest]:
    """booking id -> its guest request, for the bookings that came from guests (one query)."""
    if not booking_ids:
        return {}
    rows = session.scalars(select(GuestRequest).where(GuestRequest.booking_id.in_(booking_ids)))
    return {r.booking_id: r for r in rows}


# ----------------------------------------------------------------------------- retention


def prune(session: Session, retention_days: int) -> Pruned:
    """Delete unconfirmed requests after 24 hours; `retention_days` after the requested date blank the guest's
    name, e-mail, group and purpose (the booking stays, without its purpose, for the statistics) and delete the
    sent mails to that address."""
    now = now_utc()
    done = Pruned()
    done.unconfirmed = session.execute(delete(GuestRequest).where(
        GuestRequest.confirmed_at.is_(None), GuestRequest.created_at <= now - OPTIN_VALID)).rowcount
    old = session.execute(select(GuestRequest.id, GuestRequest.email, GuestRequest.booking_id).where(
        GuestRequest.anonymised_at.is_(None), GuestRequest.ends_at <= now - timedelta(days=retention_days))).all()
    if not old:
        return done
    ids = [row.id for row in old]
    session.execute(update(GuestRequest).where(GuestRequest.id.in_(ids)).values(
        name="", email="", group_name="", purpose="", optin_hash=None, cancel_hash=None, anonymised_at=now))
    booking_ids = [row.booking_id for row in old if row.booking_id is not None]
    if booking_ids:
        session.execute(update(Booking).where(Booking.id.in_(booking_ids)).values(purpose=""))
    still_used = select(GuestRequest.email).where(GuestRequest.anonymised_at.is_(None))
    done.mails = session.execute(delete(OutboxMail).where(
        OutboxMail.recipient.in_({row.email for row in old}), OutboxMail.recipient.not_in(still_used),
        OutboxMail.sent_at.is_not(None))).rowcount
    done.anonymised = len(ids)
    return done
