"""The mail outbox: mails are written in the same transaction as the change they report and delivered
once it is committed. A mail that cannot be delivered stays in the outbox and is tried again
(`flask mail deliver`, for cron); none is lost with a rolled-back change or a mail server that is down."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, text

from spaces.clock import now_utc
from spaces.core.errors import Conflict, NotFound
from spaces.db import db
from spaces.mail import send_mail
from spaces.models import OutboxMail

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


def deliver(limit: int = 100, only: list[int] | None = None) -> int:
    """Send pending mails from the outbox (oldest first) and mark them sent; returns how many went out.

    Rows are claimed with FOR UPDATE SKIP LOCKED, so workers delivering at once never send one twice.
    A failure is noted on the row (attempts, last_error) and the mail is tried again next time. When the
    mail server cannot be reached at all, the round stops at the first mail: a request that delivers after
    its commit then waits for one connection attempt, not one per waiting mail.
    """
    # Marking a mail sent need not wait for the disk: after a crash it would at worst be sent twice.
    db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    query = select(OutboxMail).where(OutboxMail.sent_at.is_(None), OutboxMail.attempts < MAX_ATTEMPTS)
    if only is not None:  # just these (a person retrying one mail)
        query = query.where(OutboxMail.id.in_(only))
    pending = db.session.scalars(query.order_by(OutboxMail.id).limit(limit).with_for_update(skip_locked=True)).all()
    sent = 0
    for mail in pending:
        mail.attempts += 1
        try:
            send_mail(mail.recipient, mail.subject, mail.body)
        except (OSError, smtplib.SMTPException) as err:
            mail.last_error = f"{type(err).__name__}: {err}"[:1000]
            log.warning("Mail %s an %s nicht zugestellt (Versuch %s): %s", mail.id, mail.recipient, mail.attempts,
                        mail.last_error)
            if isinstance(err, OSError | smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
                break  # the server is down or unreachable: the others wait for the next round
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


# ------------------------------------------------------------------------- for the outbox page


@dataclass(frozen=True)
class Overview:
    waiting: int  # not sent yet, will be tried again
    given_up: int  # tried MAX_ATTEMPTS times: waits for a person
    sent_last_week: int
    oldest_waiting: object  # datetime | None: when the oldest unsent mail was written

    def waited_seconds(self) -> float | None:
        """How long the oldest unsent mail has waited (by the service's clock); None when none waits."""
        return (now_utc() - self.oldest_waiting).total_seconds() if self.oldest_waiting else None


def overview() -> Overview:
    """How the outbox stands, for the operators' page (one query)."""
    week_ago = now_utc() - timedelta(days=7)
    unsent = OutboxMail.sent_at.is_(None)
    row = db.session.execute(select(
        func.count().filter(unsent, OutboxMail.attempts < MAX_ATTEMPTS),
        func.count().filter(unsent, OutboxMail.attempts >= MAX_ATTEMPTS),
        func.count().filter(OutboxMail.sent_at >= week_ago),
        func.min(OutboxMail.created_at).filter(unsent),
    )).one()
    return Overview(*row)


def unsent(limit: int = 200) -> list[OutboxMail]:
    """Mails not delivered yet, oldest first (given-up ones included)."""
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.sent_at.is_(None))
                                   .order_by(OutboxMail.id).limit(limit)))


def recently_sent(limit: int = 50) -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.sent_at.is_not(None))
                                   .order_by(OutboxMail.sent_at.desc(), OutboxMail.id.desc()).limit(limit)))


def try_again(mail_id: int) -> OutboxMail:
    """Give a mail that was given up on a fresh set of attempts (after the mail server was fixed)."""
    mail = db.session.get(OutboxMail, mail_id, with_for_update=True)
    if mail is None:
        raise NotFound("Diese Mail gibt es nicht.")
    if mail.sent_at is not None:
        raise Conflict("Diese Mail ist schon zugestellt.")
    mail.attempts = 0
    return mail
