"""Retention: one run (`flask retention run`, daily by cron) deletes what is due, and only that.

| what | when |
| --- | --- |
| login sessions, API tokens | when they expire |
| invitations | 14 days after expiry or acceptance (spaces.accounts.service.INVITATION_LIFETIME) |
| accounts never confirmed | 30 days after registration |
| unconfirmed guest requests | 24 hours after they were sent |
| guests' name, e-mail, group, purpose | RAUMFINDER_GUEST_DATA_DAYS (30) after the requested date |
| sent mails (the outbox's copy) | RAUMFINDER_OUTBOX_KEEP_DAYS (30) after sending; unsent mails stay |
| audit details (who was named, what changed) | RAUMFINDER_AUDIT_DETAIL_DAYS (730) after the event (the event stays) |
| rate-limit counters | when their window has passed |
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, text, update
from sqlalchemy.orm import Session

from spaces.clock import now_utc
from spaces.models import AuditEntry, OutboxMail


def run(session: Session, *, guest_days: int, outbox_days: int, audit_days: int) -> dict[str, int]:
    """Delete what is due now; returns how many of each (the caller commits)."""
    from spaces.accounts.service import prune as prune_accounts
    from spaces.booking.guests import prune as prune_guests

    now = now_utc()
    accounts = prune_accounts(session)
    guests = prune_guests(session, guest_days)
    mails = session.execute(delete(OutboxMail).where(
        OutboxMail.sent_at.is_not(None), OutboxMail.sent_at <= now - timedelta(days=outbox_days))).rowcount
    details = session.execute(update(AuditEntry).where(
        AuditEntry.at <= now - timedelta(days=audit_days), AuditEntry.details != text("'{}'::jsonb"))
        .values(details={})).rowcount
    limits = session.execute(text("DELETE FROM rate_limits WHERE expires_at <= :now"), {"now": now}).rowcount
    return {"sessions": accounts.sessions, "api_tokens": accounts.api_tokens, "invitations": accounts.invitations,
            "unconfirmed_accounts": accounts.unconfirmed_accounts, "unconfirmed_guest_requests": guests.unconfirmed,
            "guests_anonymised": guests.anonymised, "sent_mails": mails + guests.mails,
            "audit_details": details, "rate_limit_counters": limits}
