"""Mails about bookings and accounts: written into the outbox in the same transaction as the change
they report, delivered once it is committed. A mail that cannot be delivered stays in the outbox and
is tried again (`flask mail deliver`, for cron); none is lost with a rolled-back change or a down
mail server."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from sqlalchemy import select, text



from . import bookings as rules
from .availability import Interval
from .links import absolute_url
from .clock import now_utc
from .db import db
from .mail import send_mail
from .models import Booking, BookingStatus, OutboxMail, Space, User

MAX_ATTEMPTS = 20  # then a mail stays in the outbox for a person to look at (last_error says why)
log = logging.getLogger("raumfinder.mail")


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str


def queue(outgoing: list[Outgoing]) -> None:
    """Put mails into the outbox, in the current transaction: they exist exactly when the change does."""
    db.session.add_all(OutboxMail(recipient=m.to, subject=m.subject[:300], body=m.body) for m in outgoing)


def deliver(limit: int = 100) -> int:
    """Send pending mails from the outbox (oldest first) and mark them sent; returns how many went out.

    Rows are claimed with FOR UPDATE SKIP LOCKED, so workers delivering at once never send one twice.
    A failure is noted on the row (attempts, last_error) and the mail is tried again next time.
    """
    # Marking a mail sent need not wait for the disk: after a crash it would at worst be sent twice.
    db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    pending = db.session.scalars(
        select(OutboxMail).where(OutboxMail.sent_at.is_(None), OutboxMail.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMail.id).limit(limit).with_for_update(skip_locked=True)).all()
    sent = 0
    for mail in pending:
        mail.attempts += 1
        try:
            send_mail(mail.recipient, mail.subject, mail.body)
        except (OSError, smtplib.SMTPException) as err:
            mail.last_error = f"{type(err).__name__}: {err}"[:1000]
            log.warning("Mail %s an %s nicht zugestellt (Versuch %s): %s", mail.id, mail.recipient, mail.attempts,
                        mail.last_error)
        else:
            mail.sent_at, mail.last_error = now_utc(), ""
            sent += 1
    db.session.commit()
    return sent


def commit_and_deliver(outgoing: list[Outgoing]) -> None:
    """Queue the mails with the change, commit both, then deliver: nobody hears of a change that was rolled back."""
    queue(outgoing)
    db.session.commit()
    deliver()


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
