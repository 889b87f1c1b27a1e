"""Data protection as self-service (DSGVO Art. 15, 17, 20): what is stored about a person, as JSON, and the
deletion of their account.

Export: everything stored about the person and nothing of anybody else: the account, memberships, the bookings,
series, waitlist entries and needs they asked for, their login sessions and API tokens (never the secrets), the
invitations waiting for their address, the mails sent to them, and the audit log of what they did (without
other people's addresses that an entry may name).

Deletion keeps what others rely on and removes the person: their bookings stay as occupancy ("belegt"), so no
slot is freed by accident and the usage statistics stay true, but without requester, purpose and note; the
organisation they booked for keeps its booking. Name, e-mail, password hash, sessions, tokens and memberships
go with the account row (the foreign keys set their references to NULL or cascade); mails to the address and
invitations for it are deleted; the audit log keeps every event, without the person.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.orm import Session

from spaces.booking.rules import audit
from spaces.booking.waitlist_tables import WaitlistEntry
from spaces.clock import now_utc
from spaces.models import (
    ApiToken,
    AuditEntry,
    Booking,
    BookingSeries,
    Invitation,
    Need,
    Organisation,
    OutboxMail,
    Space,
    User,
    UserSession,
    memberships,
)
from spaces.times import local_iso

GONE = "[gelöscht]"


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _bookings(session: Session, user: User) -> list[dict]:
    rows = session.execute(select(Booking, Space.name, Organisation.name)
                           .join(Space, Booking.space_id == Space.id)
                           .outerjoin(Organisation, Booking.organisation_id == Organisation.id)
                           .where(Booking.requester_id == user.id).order_by(Booking.during)).all()
    return [{"id": b.id, "space": space, "organisation": organisation, "starts": local_iso(b.during.lower),
             "ends": local_iso(b.during.upper), "status": b.status, "attendees": b.attendees, "purpose": b.purpose,
             "is_public": b.is_public, "decision_note": b.decision_note, "series_id": str(b.series_id or "") or None,
             "created_at": _iso(b.created_at)} for b, space, organisation in rows]


def _audit(session: Session, user: User) -> list[dict]:
    """What the person did, with other people's addresses in the details left out."""
    entries = session.scalars(select(AuditEntry).where(AuditEntry.actor_id == user.id).order_by(AuditEntry.id))
    return [{"at": _iso(e.at), "action": e.action, "object": f"{e.object_type}/{e.object_id}",
             "details": {k: v for k, v in (e.details or {}).items()
                         if not (isinstance(v, str) and "@" in v and v != user.email)}} for e in entries]


def export(session: Session, user: User) -> dict:
    """Everything stored about `user` (JSON-ready)."""
    member = session.execute(select(Organisation.id, Organisation.name, memberships.c.is_admin,
                                    memberships.c.is_manager)
                             .join(memberships, memberships.c.organisation_id == Organisation.id)
                             .where(memberships.c.user_id == user.id).order_by(Organisation.name)).all()
    series = session.scalars(select(BookingSeries).where(BookingSeries.requester_id == user.id))
    waiting = session.scalars(select(WaitlistEntry).where(WaitlistEntry.requester_id == user.id))
    needs = session.scalars(select(Need).where(Need.created_by_id == user.id).order_by(Need.id))
    sessions = session.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id))
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    invitations = session.scalars(select(Invitation).where(Invitation.email == user.email))
    mails = session.scalars(select(OutboxMail).where(OutboxMail.recipient == user.email).order_by(OutboxMail.id))
    return {
        "exported_at": _iso(now_utc()),
        "account": {"email": user.email, "name": user.display_name, "role": user.role,
                    "created_at": _iso(user.created_at), "email_confirmed_at": _iso(user.email_verified_at),
                    "initiative_named_at_registration": user.pending_organisation or None,
                    "password": "nur als Hash gespeichert, nicht exportiert"},
        "organisations": [{"id": o_id, "name": name, "admin": admin, "space_manager": manager}
                          for o_id, name, admin, manager in member],
        "bookings": _bookings(session, user),
        "series": [{"id": str(s.id), "frequency": s.frequency, "first_day": s.first_day.isoformat(),
                    "starts": s.starts.isoformat(), "ends": s.ends.isoformat(),
                    "until": s.until.isoformat() if s.until else None, "description": s.description}
                   for s in series],
        "waitlist": [{"space_id": w.space_id, "starts": local_iso(w.during.lower), "ends": local_iso(w.during.upper),
                      "status": w.status, "purpose": w.purpose} for w in waiting],
        "needs": [{"id": n.id, "title": n.title, "group_size": n.group_size, "status": n.status,
                   "created_at": _iso(n.created_at)} for n in needs],
        "login_sessions": [{"created_at": _iso(s.created_at), "expires_at": _iso(s.expires_at)} for s in sessions],
        "api_tokens": [{"name": t.name, "created_at": _iso(t.created_at), "expires_at": _iso(t.expires_at)}
                       for t in tokens],
        "invitations_for_you": [{"organisation_id": i.organisation_id, "role": i.role,
                                 "created_at": _iso(i.created_at), "expires_at": _iso(i.expires_at)}
                                for i in invitations],
        "mails_to_you": [{"subject": m.subject, "created_at": _iso(m.created_at), "sent_at": _iso(m.sent_at)}
                         for m in mails],
        "your_actions": _audit(session, user),
    }


@dataclass(frozen=True)
class Deleted:
    bookings_kept: int
    mails: int
    audit_entries: int


def delete_account(session: Session, user: User) -> Deleted:
    """Delete `user`: bookings kept as anonymous occupancy, the person gone everywhere (see the module)."""
    uid, email, name = user.id, user.email, user.display_name
    kept = session.execute(update(Booking).where(Booking.requester_id == uid)
                           .values(requester_id=None, purpose="", is_public=False, decision_note="")).rowcount
    session.execute(update(BookingSeries).where(BookingSeries.requester_id == uid)
                    .values(requester_id=None, description=""))
    session.execute(update(WaitlistEntry).where(WaitlistEntry.requester_id == uid)
                    .values(requester_id=None, purpose=""))
    mails = session.execute(delete(OutboxMail).where(OutboxMail.recipient == email)).rowcount
    session.execute(delete(Invitation).where(Invitation.email == email))
    named = session.scalars(select(AuditEntry).where(or_(
        AuditEntry.actor_id == uid, cast(AuditEntry.details, String).contains(email),
        AuditEntry.details["member_id"].astext == str(uid))))
    touched = 0
    for entry in named:
        if entry.actor_id == uid:
            entry.actor_id = None
        entry.details = {k: (GONE if v in (email, name) or k == "member_id" and v == uid else v)
                         for k, v in (entry.details or {}).items()}
        touched += 1
    session.delete(user)
    session.flush()
    audit(session, None, "account.deleted", _Gone(uid))
    return Deleted(bookings_kept=kept, mails=mails, audit_entries=touched)


class _Gone:
    """The audit row's object: the account that no longer exists (only its former id)."""

    __tablename__ = "users"

    def __init__(self, id_: int):
        self.id = id_
