"""The waitlist: groups queue for a taken slot and are offered it in turn when it frees up.

A group whose request is refused because a date is taken can queue for exactly those dates (one
WaitlistEntry per date; the dates of one request share a key). When a slot-holding booking is
cancelled or declined, every path that frees it calls :func:`slot_freed` in the same transaction:
the first group in line (by the time it joined) whose date now passes every booking rule
(spaces.booking.rules.check_slots) is offered it, by mail and on "Meine Buchungen".

The hold IS a booking: the offer writes a real Booking for that group (status 'requested', through
rules.write_bookings like every booking) and the entry points to it (booking_id, status 'offered',
offer_expires_at: WAITLIST_OFFER_HOURS, at most until the slot begins). So the exclusion constraint, the
booking form, the search, the map, the week view, the availability API, the iCal feeds, proposals and
allocation rounds all see the slot as taken, and no rule of the waitlist lives anywhere else. While the
offer is open it is no request yet: the managers' inbox and the group's own lists leave it out
(:func:`unclaimed_offer`), "Meine Buchungen" shows it once, as the offer, and rules.decide / rules.cancel
refuse it. The group claims it ("Annehmen": the booking becomes the group's, confirmed on an instant space,
an ordinary request for the managers on a space on request) or passes ("Nicht mehr nötig"): the booking is
cancelled and the slot offered to the next in line, in the same transaction.

When an offer whose deadline has passed lets go of its slot: not by itself at the deadline, but at the next
expiry (:func:`tick`), which runs from cron (``flask waitlist tick``), on "Meine Buchungen" and before a claim
or a give-up, and for one space (:func:`expire_offers`) at the start of every rules.check_slots, i.e. before
anyone books, requests, joins the line for or accepts a date of that space. Pages that only read (search,
week view, availability, feeds) never write: there such an offer shows as taken until one of those ran.

Races: every change to one space's line takes a transaction-scoped advisory lock on that space first
(:func:`lock_line`), so two frees, two claims or a free and an expiry at once are served one after the
other, and the second sees what the first committed; entries are read again under FOR UPDATE, then their
booking. The exclusion constraint is the last word on the slot itself.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import and_, func, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from spaces.booking import notifications, rules
from spaces.booking.service import BookingOutcome
from spaces.booking.waitlist_tables import (  # unclaimed_offer: the SQL criterion lives with the table
    OPEN,
    WaitlistEntry,
    WaitStatus,
    unclaimed_offer,
)
from spaces.clock import BERLIN, now_utc
from spaces.core import bookability
from spaces.core.availability import Interval, merge
from spaces.core.bookability import SlotVerdict
from spaces.core.errors import Conflict, NotFound
from spaces.core.phrases import phrase
from spaces.db import db
from spaces.links import absolute_url
from spaces.models import (
    SLOT_HOLDING,
    Booking,
    BookingMode,
    BookingStatus,
    Organisation,
    OutboxMail,
    Space,
    User,
    memberships,
)
from spaces.outbox import Outgoing
from spaces.terms import during_range

DEFAULT_OFFER_HOURS = 24
_LOCK_NAMESPACE = 14017  # first key of pg_advisory_xact_lock(int, int): the waitlist; the second is the space
NOT_FOUND = phrase("Diesen Platz auf der Warteliste gibt es nicht, oder er gehört einer anderen Gruppe.")


def offer_hours() -> int:
    """How long an offer holds its slot (WAITLIST_OFFER_HOURS in spaces/config.py, default 24)."""
    if has_app_context():
        return int(current_app.config.get("WAITLIST_OFFER_HOURS", DEFAULT_OFFER_HOURS))
    return DEFAULT_OFFER_HOURS


def interval_of(entry: WaitlistEntry) -> Interval:
    return Interval(entry.during.lower, entry.during.upper)



def lock_line(session: Session, space_id: int) -> None:
    """Serialise every change to one space's line until this transaction ends (frees, offers, claims, expiry)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:ns, :space)"), {"ns": _LOCK_NAMESPACE, "space": space_id})


def deadline_text(moment: datetime) -> str:
    """An offer's deadline in Berlin time, as mails and refusals say it: '24.11.2026, 10:00'."""
    return f"{moment.astimezone(BERLIN):%d.%m.%Y, %H:%M}"


# ----------------------------------------------------------------------------- freeing, offering, expiring


def slot_freed(session: Session, bookings: list[Booking]) -> list[Outgoing]:
    """Called in the transaction that cancelled or declined these bookings (they held their slots until then):
    offers the freed slots to the groups waiting for them; the mails to queue with the commit."""
    now = now_utc()
    freed: dict[int, list[Interval]] = defaultdict(list)
    for booking in bookings:
        if booking.status not in SLOT_HOLDING and booking.during.upper > now:
            freed[booking.space_id].append(Interval(booking.during.lower, booking.during.upper))
    offered: list[WaitlistEntry] = []
    for space_id in sorted(freed):  # always in the same order: two frees of two spaces never deadlock
        lock_line(session, space_id)
        offered += _offer(session, space_id, freed[space_id])
    return offer_mails(session, offered)


def offer_freed(session: Session, bookings: list[Booking]) -> None:
    """slot_freed, with its mails queued in the same transaction (the booking paths call this)."""
    queue(session, slot_freed(session, bookings))


def queue(session: Session, mails: list[Outgoing]) -> None:
    """Mails into the outbox of `session`'s transaction (spaces.outbox.queue for a given session)."""
    session.add_all(OutboxMail(recipient=m.to, subject=m.subject[:300], body=m.body) for m in mails)


def _offer(session: Session, space_id: int, windows: list[Interval]) -> list[WaitlistEntry]:
    """Offer what is free in `windows` to the waiting groups, first come first served (the line is locked):
    each offer is a booking in status 'requested' for the group, written as every booking is; the entries
    offered."""
    now, windows = now_utc(), merge(windows)
    if not windows:
        return []
    overlaps = or_(*(WaitlistEntry.during.op("&&")(during_range(w)) for w in windows))
    candidates = session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.space_id == space_id, WaitlistEntry.status == WaitStatus.WAITING,
                                    func.lower(WaitlistEntry.during) > now, overlaps)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .with_for_update().execution_options(populate_existing=True)).all()
    space, offered = session.get(Space, space_id), []
    for entry in candidates:
        interval = interval_of(entry)
        # An earlier candidate's offer is a booking already: a date it overlaps is simply taken.
        verdict, = rules.check_slots(session, space, [interval], attendees=entry.attendees,
                                     organisation=entry.organisation, expire_offers=False)
        if not verdict.ok:  # still taken in part, closed meanwhile, too many people now …: stays in line
            continue
        try:
            booking, = rules.write_bookings(
                session, space=space, user=entry.requester, organisation=entry.organisation, verdicts=[verdict],
                attendees=entry.attendees, purpose=entry.purpose, is_public=entry.is_public,
                status=BookingStatus.REQUESTED, via="waitlist", waitlist_entry_id=entry.id)
        except rules.SlotTaken:  # a booking that did not wait for the line won the slot meanwhile: stays in line
            continue
        entry.status, entry.offered_at, entry.booking_id = WaitStatus.OFFERED, now, booking.id
        entry.offer_expires_at = min(now + timedelta(hours=offer_hours()), interval.start)
        session.flush()
        rules.audit(session, None, "waitlist.offered", entry, space_id=space_id, organisation_id=entry.organisation_id,
                    booking_id=booking.id, until=entry.offer_expires_at.isoformat())
        offered.append(entry)
    return offered


def _release(session: Session, entry: WaitlistEntry, user: User | None, why: str) -> None:
    """The booking that held an offer's slot is cancelled (given up or run out), audited; the entry is closed
    by the caller, the slot offered on by the caller."""
    if entry.booking_id is None:
        return
    booking = session.get(Booking, entry.booking_id, with_for_update=True, populate_existing=True)
    if booking is not None and booking.status in SLOT_HOLDING:
        booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now_utc()
        booking.cancelled_by_id = user.id if user else None
        rules.audit(session, user, "booking.cancelled", booking, via="waitlist", why=why, waitlist_entry_id=entry.id)
    session.flush()


@dataclass
class Tick:
    """What one round of expiry did."""

    expired: int = 0
    offered: int = 0
    mails: list[Outgoing] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.expired)


def _stale(now: datetime):
    return or_(and_(WaitlistEntry.status == WaitStatus.OFFERED, WaitlistEntry.offer_expires_at <= now),
               and_(WaitlistEntry.status == WaitStatus.WAITING, func.lower(WaitlistEntry.during) <= now))


def tick(session: Session, limit: int = 1000) -> Tick:
    """Offers that ran out expire (their bookings are cancelled) and pass to the next group in line; dates that
    began while a group still waited leave the line. For cron (`flask waitlist tick`), "Meine Buchungen" and
    before a claim or a give-up."""
    now, result = now_utc(), Tick()
    spaces = session.scalars(select(WaitlistEntry.space_id).where(_stale(now)).distinct().limit(limit)).all()
    for space_id in sorted(spaces):
        _expire(session, space_id, now, result)
    return result


def expire_offers(session: Session, space_id: int) -> None:
    """The lazy expiry for one space, at the start of every rules.check_slots of it (a booking, a request, a
    decision, joining the line): offers whose deadline passed let go of their slot before it is checked, their
    mails queued in the caller's transaction. One indexed query when there are none (the usual case); only
    then the line's lock. Never on pages that only read: it writes."""
    now = now_utc()
    ran_out = session.scalar(select(WaitlistEntry.id).where(
        WaitlistEntry.space_id == space_id, WaitlistEntry.status == WaitStatus.OFFERED,
        WaitlistEntry.offer_expires_at <= now).limit(1))
    if ran_out is None:
        return
    result = Tick()
    _expire(session, space_id, now, result)
    queue(session, result.mails)


def _expire(session: Session, space_id: int, now: datetime, result: Tick) -> None:
    lock_line(session, space_id)
    stale = session.scalars(select(WaitlistEntry).where(WaitlistEntry.space_id == space_id, _stale(now))
                            .order_by(WaitlistEntry.id).with_for_update()
                            .execution_options(populate_existing=True)).all()
    passed_on = []
    for entry in stale:
        had_offer = entry.status == WaitStatus.OFFERED
        entry.status, entry.closed_at = WaitStatus.EXPIRED, now
        if had_offer:
            _release(session, entry, None, "expired")
            passed_on.append(interval_of(entry))
            result.mails += expired_mails(session, entry)
        rules.audit(session, None, f"waitlist.{entry.status}", entry, space_id=space_id, by="tick")
        result.expired += 1
    session.flush()
    offered = _offer(session, space_id, passed_on)
    result.offered += len(offered)
    result.mails += offer_mails(session, offered)


# ----------------------------------------------------------------------------- what a group does


@dataclass
class Joined:
    """What joining did: the dates now in line, and those left out with the reason."""

    entries: list[WaitlistEntry]
    already: list[Interval] = field(default_factory=list)  # the group waits for them already
    free: list[Interval] = field(default_factory=list)  # bookable right now: no need to wait


def join(session: Session, *, user: User, organisation: Organisation | None, space: Space, slots: list[Interval],
         attendees: int, purpose: str = "", is_public: bool = False) -> Joined:
    """Put a group in line for the taken dates of a request (a date or a series): only dates that nothing but
    another booking (or another group's offer) stands against. Forbidden (403) as for booking;
    BookingRefused (422) when no date can wait, naming why; Conflict (409) when the group waits for all already."""
    if not rules.may_book_for(user, organisation):
        raise rules.Forbidden("Sie können nur für eine Gruppe buchen, in der Sie Mitglied sind.")
    if not slots:
        raise rules.BookingRefused(phrase("Es ist kein Termin angegeben."))
    lock_line(session, space.id)
    verdicts = rules.check_slots(session, space, slots, attendees=attendees, organisation=organisation)
    own = _own_bookings(session, space.id, organisation.id, slots)
    waits = [v for v in verdicts if v.taken and set(v.codes) == {bookability.TAKEN}
             and not any(b.overlaps(v.interval) for b in own)]
    already = _already_waiting(session, space.id, organisation.id, [v.interval for v in waits])
    result = Joined([], already=[v.interval for v in waits if v.interval in already],
                    free=[v.interval for v in verdicts if v.ok])
    key, now = uuid.uuid4(), now_utc()
    for verdict in waits:
        if verdict.interval in already:
            continue
        result.entries.append(WaitlistEntry(
            request_key=key, space_id=space.id, organisation_id=organisation.id, requester_id=user.id,
            during=Range(verdict.interval.start, verdict.interval.end, bounds="[)"), attendees=attendees,
            purpose=purpose.strip()[:300], is_public=is_public, status=WaitStatus.WAITING, created_at=now))
    if not result.entries:
        raise _nothing_to_wait_for(verdicts, result, own)
    try:
        with session.begin_nested():
            session.add_all(result.entries)
            session.flush()
    except IntegrityError as err:  # the same group joined at this moment from another tab
        if "ix_waitlist_entries_once" in str(err.orig):
            raise Conflict(phrase("Ihre Gruppe steht für diesen Termin schon auf der Warteliste.")) from None
        raise
    for entry in result.entries:
        rules.audit(session, user, "waitlist.joined", entry, space_id=space.id, organisation_id=organisation.id,
                    start=entry.during.lower.isoformat(), end=entry.during.upper.isoformat())
    return result


def _own_bookings(session: Session, space_id: int, organisation_id: int, slots: list[Interval]) -> list[Interval]:
    window = Interval(min(s.start for s in slots), max(s.end for s in slots))
    rows = session.scalars(select(Booking.during).where(
        Booking.space_id == space_id, Booking.organisation_id == organisation_id,
        Booking.status.in_([s.value for s in SLOT_HOLDING]), Booking.during.op("&&")(during_range(window)),
        ~unclaimed_offer(Booking.id)))  # the group's own open offer: it waits for that date already
    return [Interval(r.lower, r.upper) for r in rows]


def _already_waiting(session: Session, space_id: int, organisation_id: int, wanted: list[Interval]) -> set[Interval]:
    if not wanted:
        return set()
    window = Interval(min(s.start for s in wanted), max(s.end for s in wanted))
    rows = session.scalars(select(WaitlistEntry.during).where(
        WaitlistEntry.space_id == space_id, WaitlistEntry.organisation_id == organisation_id,
        WaitlistEntry.status.in_([s.value for s in OPEN]), WaitlistEntry.during.op("&&")(during_range(window))))
    return {Interval(r.lower, r.upper) for r in rows} & set(wanted)


def _nothing_to_wait_for(verdicts: list[SlotVerdict], result: Joined, own: list[Interval]) -> Exception:
    if result.already:
        return Conflict(phrase("Ihre Gruppe steht für diesen Termin schon auf der Warteliste."))
    if own and all(any(b.overlaps(v.interval) for b in own) for v in verdicts if v.taken):
        return rules.BookingRefused(phrase("Diesen Termin hat Ihre Gruppe schon gebucht."))
    if verdicts and all(v.ok for v in verdicts):
        return rules.BookingRefused(phrase("Dieser Termin ist frei: Sie können ihn gleich buchen."))
    bad = [v for v in verdicts if not v.ok]
    return rules.BookingRefused(phrase(
        "Auf die Warteliste kommen nur Termine, die von einer anderen Gruppe belegt sind. %(why)s",
        why=rules.per_date(bad)), bad)


def entry_for(session: Session, user: User, entry_id: int) -> WaitlistEntry:
    """An entry of one of the person's groups (a QM admin: any); others' are 'not found'."""
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or not rules.may_book_for(user, entry.organisation):
        raise NotFound(NOT_FOUND)
    return entry


def _locked(session: Session, entry: WaitlistEntry) -> WaitlistEntry:
    lock_line(session, entry.space_id)
    return session.get(WaitlistEntry, entry.id, with_for_update=True, populate_existing=True)


_GONE = {  # why an offer cannot be claimed, by the entry's state
    WaitStatus.WAITING: phrase("Für diesen Termin gibt es noch kein Angebot: er ist noch belegt."),
    WaitStatus.CLAIMED: phrase("Dieses Angebot ist schon angenommen."),
    WaitStatus.EXPIRED: phrase("Dieses Angebot ist abgelaufen; der Termin ging an die nächste Gruppe in der "
                               "Warteschlange."),
    WaitStatus.WITHDRAWN: phrase("Auf diesen Termin hat Ihre Gruppe schon verzichtet."),
}


_CLOSED = {  # why an entry cannot be given up, by its state
    WaitStatus.CLAIMED: phrase("Dieses Angebot ist schon angenommen."),
    WaitStatus.EXPIRED: phrase("Dieser Platz auf der Warteliste ist abgelaufen."),
    WaitStatus.WITHDRAWN: phrase("Auf diesen Termin hat Ihre Gruppe schon verzichtet."),
}


def claim(session: Session, user: User, entry_id: int) -> tuple[WaitlistEntry, BookingOutcome]:
    """Take an open offer: its booking becomes the group's, confirmed on an instant space, on a space on request
    an ordinary request the managers decide in their inbox (the person who claims is its requester).
    Conflict (409) when the offer is no longer open (taken, expired, given up); BookingRefused (422) when the
    space changed since the offer (a closure, other hours, fewer seats)."""
    entry = _locked(session, entry_for(session, user, entry_id))
    if entry.status != WaitStatus.OFFERED:
        raise Conflict(_GONE[WaitStatus(entry.status)])
    now = now_utc()
    if entry.offer_expires_at <= now:
        raise Conflict(phrase("Das Angebot galt bis %(until)s und ist abgelaufen; der Termin geht an die nächste "
                              "Gruppe in der Warteschlange.", until=deadline_text(entry.offer_expires_at)))
    booking = session.get(Booking, entry.booking_id, with_for_update=True, populate_existing=True)
    if booking is None or booking.status != BookingStatus.REQUESTED:
        raise Conflict(phrase("Dieses Angebot gilt nicht mehr."))
    space = entry.space
    verdict, = rules.check_slots(session, space, [interval_of(entry)], attendees=booking.attendees,
                                 organisation=entry.organisation, deciding=booking)
    if not verdict.ok:
        raise rules.BookingRefused(phrase("Annehmen geht nicht mehr: %(why)s", why=" ".join(verdict.problems)),
                                   [verdict])
    booking.requester = user
    if space.booking_mode == BookingMode.INSTANT:  # as an instant booking: confirmed, decided by nobody
        booking.status = BookingStatus.CONFIRMED
    entry.status, entry.closed_at = WaitStatus.CLAIMED, now
    rules.audit(session, user, "booking.claimed", booking, status=booking.status, waitlist_entry_id=entry.id)
    rules.audit(session, user, "waitlist.claimed", entry, booking_id=booking.id)
    session.flush()
    return entry, BookingOutcome([verdict], created=[booking], mails=notifications.booked(space, [booking], user))


def give_up(session: Session, user: User, entry_id: int) -> tuple[WaitlistEntry, list[Outgoing]]:
    """Leave the line for a date, or pass on an open offer ("Nicht mehr nötig"): its booking is cancelled and
    the next group in line gets the slot."""
    entry = _locked(session, entry_for(session, user, entry_id))
    if entry.status not in OPEN:
        raise Conflict(_CLOSED[WaitStatus(entry.status)])
    was_offered = entry.status == WaitStatus.OFFERED
    entry.status, entry.closed_at = WaitStatus.WITHDRAWN, now_utc()
    if was_offered:
        _release(session, entry, user, "not_needed")
    rules.audit(session, user, "waitlist.withdrawn", entry, was_offered=was_offered)
    session.flush()
    passed = _offer(session, entry.space_id, [interval_of(entry)]) if was_offered else []
    return entry, offer_mails(session, passed)


# ----------------------------------------------------------------------------- what the pages show


@dataclass
class Place:
    """A group's entry as "Meine Buchungen" shows it: the entry and how many groups are before it in line."""

    entry: WaitlistEntry
    ahead: int = 0

    @property
    def interval(self) -> Interval:
        return interval_of(self.entry)


def of_my_groups(user: User, limit: int = 200) -> list[Place]:
    """The open entries of the person's groups (offers first, then by date), with their place in line."""
    org_ids = [o.id for o in user.organisations]
    if not org_ids:
        return []
    other = aliased(WaitlistEntry)
    ahead = (select(func.count()).where(
        other.space_id == WaitlistEntry.space_id, other.status.in_([s.value for s in OPEN]),
        other.during.op("&&")(WaitlistEntry.during),
        tuple_(other.created_at, other.id) < tuple_(WaitlistEntry.created_at, WaitlistEntry.id))
        .scalar_subquery())
    rows = db.session.execute(
        select(WaitlistEntry, ahead).where(WaitlistEntry.organisation_id.in_(org_ids),
                                           WaitlistEntry.status.in_([s.value for s in OPEN]),
                                           func.lower(WaitlistEntry.during) > now_utc())
        .order_by((WaitlistEntry.status == WaitStatus.OFFERED).desc(), WaitlistEntry.during, WaitlistEntry.id)
        .limit(limit)).all()
    return [Place(entry, n) for entry, n in rows]


def waiting_groups(space_id: int) -> int:
    """How many groups wait for a date of this space (not who): those in line and those holding an open offer."""
    now = now_utc()
    return db.session.scalar(select(func.count(func.distinct(WaitlistEntry.organisation_id))).where(
        WaitlistEntry.space_id == space_id, func.lower(WaitlistEntry.during) > now,
        or_(WaitlistEntry.status == WaitStatus.WAITING,
            and_(WaitlistEntry.status == WaitStatus.OFFERED, WaitlistEntry.offer_expires_at > now)))) or 0


# ----------------------------------------------------------------------------- mails


def _recipients(session: Session, entry: WaitlistEntry) -> list[str]:
    """Who hears of an offer: the person who joined, or, without that account, the group's members."""
    if entry.requester is not None and entry.requester.is_active:
        return [entry.requester.email]
    return list(session.scalars(select(User.email).join(memberships, memberships.c.user_id == User.id).where(
        memberships.c.organisation_id == entry.organisation_id, User.is_active.is_(True)).order_by(User.email)))


def offer_mails(session: Session, offered: list[WaitlistEntry]) -> list[Outgoing]:
    """To each group offered dates: they are free and held for it until the deadline (one mail per group
    and space, every date with its own deadline)."""
    by_group: dict[tuple[int, int], list[WaitlistEntry]] = defaultdict(list)
    for entry in offered:
        by_group[(entry.organisation_id, entry.space_id)].append(entry)
    mails = []
    for entries in by_group.values():
        first = entries[0]
        space, group, until = first.space, first.organisation.name, deadline_text(first.offer_expires_at)
        dates = "\n".join(
            f"- {rules.local_text(interval_of(e))}, reserviert bis {deadline_text(e.offer_expires_at)} Uhr"
            for e in sorted(entries, key=lambda e: e.during.lower))
        subject = f"Raumfinder: {space.name} ist frei geworden – für Sie reserviert bis {until} Uhr"
        body = (f"In {space.name} ist frei geworden, worauf {group} wartet:\n{dates}\n\n"
                "Danach geht ein Termin an die nächste Gruppe in der Warteschlange.\n"
                f"Annehmen oder „Nicht mehr nötig“: {absolute_url('booking.mine')}")
        mails += [Outgoing(to, subject, body) for to in _recipients(session, first)]
    return mails


def expired_mails(session: Session, entry: WaitlistEntry) -> list[Outgoing]:
    """To the group: its offer ran out and went to the next group in line."""
    space, when = entry.space, rules.local_text(interval_of(entry))
    return [Outgoing(to, f"Raumfinder: Angebot für {space.name} abgelaufen",
                     f"{space.name}, {when}: Das Angebot galt bis {deadline_text(entry.offer_expires_at)} und ist "
                     f"abgelaufen; der Termin geht an die nächste Gruppe in der Warteschlange.")
            for to in _recipients(session, entry)]
