"""Mails about bookings (requested, confirmed, decided, cancelled), for the outbox (spaces.outbox)."""

from __future__ import annotations

from sqlalchemy import select

from spaces.booking import rules
from spaces.booking.guest_tables import GuestRequest
from spaces.core.availability import Interval
from spaces.db import db
from spaces.links import absolute_url
from spaces.models import Booking, BookingStatus, Space, User
from spaces.outbox import Outgoing


def _dates(bookings: list[Booking]) -> str:
    text = ", ".join(rules.local_text(Interval(b.during.lower, b.during.upper)) for b in bookings[:10])
    return text + (f" und {len(bookings) - 10} weitere" if len(bookings) > 10 else "")


def booked(space: Space, created: list[Booking], user: User) -> list[Outgoing]:
    """To the requester; for requests also to the space's managers."""
    dates = _dates(created)
    state = "bestätigt" if created[0].status == BookingStatus.CONFIRMED else "angefragt"
    mails = [Outgoing(user.email, f"Raumfinder: {space.name} {state}",
                      f"{space.name}: {dates} – {state}.\n{absolute_url('booking.mine')}")]
    if created[0].status == BookingStatus.REQUESTED:
        mails += [Outgoing(m.email, f"Raumfinder: neue Anfrage für {space.name}",
                           f"{user.display_name} fragt {space.name} an: {dates}.\n"
                           f"Entscheiden: {absolute_url('booking.inbox')}")
                  for m in rules.managers_of(db.session, space)]
    return mails


def decided(booking: Booking) -> list[Outgoing]:
    """To the requester (or the guest who asked without an account): accepted or declined, with the manager's
    note."""
    word = "bestätigt" if booking.status == BookingStatus.CONFIRMED else "abgelehnt"
    note = f"\nNotiz der Raumverwaltung: {booking.decision_note}" if booking.decision_note else ""
    if booking.requester is None:
        guest = _guests_of([booking]).get(booking.id)
        return [] if guest is None else [_guest_decided(guest, booking, word, note)]
    return [Outgoing(booking.requester.email, f"Raumfinder: {booking.space.name} {word}",
                     f"{booking.space.name}, {_dates([booking])}: {word}.{note}")]


def cancelled(bookings: list[Booking], by: User) -> list[Outgoing]:
    """To each requester (and guest) whose dates were cancelled by someone else or by themselves."""
    mails = []
    for person in {b.requester for b in bookings if b.requester}:
        own = [b for b in bookings if b.requester == person]
        mails.append(Outgoing(person.email, f"Raumfinder: {own[0].space.name} abgesagt",
                              f"{own[0].space.name}: {_dates(own)} – abgesagt von {by.display_name}."))
    guests = _guests_of([b for b in bookings if b.requester is None])
    for booking in bookings:
        if (guest := guests.get(booking.id)) is not None:
            mails.append(Outgoing(guest.email, f"Raumfinder: {booking.space.name} abgesagt",
                                  f"Hallo {guest.name},\n\n{booking.space.name}: {_dates([booking])} – abgesagt "
                                  f"von der Raumverwaltung ({by.display_name})."))
    return mails


def series_decided(bookings: list[Booking]) -> list[Outgoing]:
    """To the requester of a series: all its open dates accepted or declined at once, in one mail."""
    first = bookings[0]
    if first.requester is None:
        return []
    word = "bestätigt" if first.status == BookingStatus.CONFIRMED else "abgelehnt"
    note = f"\nNotiz der Raumverwaltung: {first.decision_note}" if first.decision_note else ""
    amount = "1 Termin" if len(bookings) == 1 else f"{len(bookings)} Termine"
    return [Outgoing(first.requester.email, f"Raumfinder: {first.space.name} – {amount} {word}",
                     f"{first.space.name}, Reihe: {_dates(bookings)}: {word}.{note}\n{absolute_url('booking.mine')}")]


# ----------------------------------------------------------------------------- requests without an account


def _guests_of(bookings: list[Booking]) -> dict[int, GuestRequest]:
    """booking id -> the guest request behind it, for bookings without a requester whose guest is still known."""
    ids = [b.id for b in bookings if b.requester_id is None]
    if not ids:
        return {}
    rows = db.session.scalars(select(GuestRequest).where(GuestRequest.booking_id.in_(ids),
                                                         GuestRequest.anonymised_at.is_(None)))
    return {r.booking_id: r for r in rows}


def _when(request: GuestRequest) -> str:
    return rules.local_text(Interval(request.starts_at, request.ends_at))


def guest_confirm(request: GuestRequest, space: Space, token: str) -> Outgoing:
    """To the guest: the link that confirms the address and sends the request on (24 hours, once)."""
    link = absolute_url("guests.confirm", token=token)
    return Outgoing(request.email, f"Raumfinder: Bitte bestätigen Sie Ihre Anfrage für {space.name}",
                    f"Hallo {request.name},\n\nSie möchten {space.name} anfragen: {_when(request)}, "
                    f"{request.attendees} Personen, für {request.group_name}.\n\n"
                    f"Bitte bestätigen Sie die Anfrage mit diesem Link (24 Stunden gültig, einmal benutzbar); "
                    f"erst dann geht sie an die Raumverwaltung:\n{link}\n\n"
                    "Wenn Sie das nicht waren, ignorieren Sie diese Mail: ohne Bestätigung wird die Anfrage "
                    "nach 24 Stunden gelöscht.")


def guest_confirmed(request: GuestRequest, booking: Booking, cancel_token: str) -> list[Outgoing]:
    """To the guest: the request is with the managers; the link to cancel it."""
    link = absolute_url("guests.cancel", token=cancel_token)
    return [Outgoing(request.email, f"Raumfinder: Anfrage für {booking.space.name} ist angekommen",
                     f"Hallo {request.name},\n\nIhre Anfrage für {booking.space.name} ({_when(request)}) ist "
                     "bestätigt und liegt jetzt bei der Raumverwaltung. Sie bekommen eine Mail, sobald sie "
                     f"entschieden hat.\n\nAbsagen können Sie bis zum Termin über diesen Link:\n{link}\n\n"
                     "Name, E-Mail-Adresse und Gruppe löscht der Raumfinder einige Wochen nach dem Termin.")]


def guest_requested(request: GuestRequest, booking: Booking, managers: list[User]) -> list[Outgoing]:
    """To the space's managers: a guest's request waits in the inbox."""
    return [Outgoing(m.email, f"Raumfinder: neue Gastanfrage für {booking.space.name}",
                     f"Gastanfrage (ohne Konto) von {request.name} für {request.group_name}: {booking.space.name}, "
                     f"{_dates([booking])}, {request.attendees} Personen.\n"
                     f"Entscheiden: {absolute_url('booking.inbox')}")
            for m in managers]


def _guest_decided(guest: GuestRequest, booking: Booking, word: str, note: str) -> Outgoing:
    after = ("\n\nAbsagen können Sie weiterhin über den Link in unserer Mail „Anfrage ist angekommen“."
             if booking.status == BookingStatus.CONFIRMED else "")
    return Outgoing(guest.email, f"Raumfinder: {booking.space.name} {word}",
                    f"Hallo {guest.name},\n\nIhre Anfrage für {booking.space.name}, {_dates([booking])}: "
                    f"{word}.{note}{after}")


def guest_cancelled(request: GuestRequest, managers: list[User]) -> list[Outgoing]:
    """To the guest (a receipt) and, when a booking was freed, to the space's managers."""
    space = request.space
    mails = [Outgoing(request.email, f"Raumfinder: Anfrage für {space.name} abgesagt",
                      f"Hallo {request.name},\n\nIhre Anfrage für {space.name} ({_when(request)}) ist abgesagt.")]
    mails += [Outgoing(m.email, f"Raumfinder: Gastanfrage für {space.name} abgesagt",
                       f"{request.name} ({request.group_name}) hat abgesagt: {space.name}, {_when(request)}.")
              for m in managers]
    return mails
