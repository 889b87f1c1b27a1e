"""Mails about bookings (requested, confirmed, decided, cancelled), for the outbox (spaces.outbox)."""

from __future__ import annotations

from spaces.booking import rules
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
    """To the requester: accepted or declined, with the manager's note."""
    if booking.requester is None:
        return []
    word = "bestätigt" if booking.status == BookingStatus.CONFIRMED else "abgelehnt"
    note = f"\nNotiz der Raumverwaltung: {booking.decision_note}" if booking.decision_note else ""
    return [Outgoing(booking.requester.email, f"Raumfinder: {booking.space.name} {word}",
                     f"{booking.space.name}, {_dates([booking])}: {word}.{note}")]


def cancelled(bookings: list[Booking], by: User) -> list[Outgoing]:
    """To each requester whose dates were cancelled by someone else or by themselves."""
    mails = []
    for person in {b.requester for b in bookings if b.requester}:
        own = [b for b in bookings if b.requester == person]
        mails.append(Outgoing(person.email, f"Raumfinder: {own[0].space.name} abgesagt",
                              f"{own[0].space.name}: {_dates(own)} – abgesagt von {by.display_name}."))
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
