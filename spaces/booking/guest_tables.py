"""Tables of requests without an account (migration 0018); imported at the end of spaces.models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spaces.db import db
from spaces.models import Booking, Space


class GuestRequest(db.Model):
    """A request for one date by a person without an account: held back until the address is confirmed
    (double opt-in), then a Booking in status 'requested' like any other. Only hashes of its links'
    tokens are kept; name, e-mail and group are blanked after the retention period (spaces.booking.guests)."""

    __tablename__ = "guest_requests"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="interval"),
        CheckConstraint("attendees > 0", name="attendees_positive"),
        # Per e-mail address: how many unconfirmed requests it has had lately (the rate limit).
        Index("ix_guest_requests_email_created", "email", "created_at"),
        Index("ix_guest_requests_optin_hash", "optin_hash", unique=True),
        Index("ix_guest_requests_cancel_hash", "cancel_hash", unique=True),
        Index("ix_guest_requests_booking_id", "booking_id", unique=True),
        # What `flask guests prune` still has to anonymise.
        Index("ix_guest_requests_to_prune", "ends_at", postgresql_where=text("anonymised_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attendees: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(300), default="", server_default="")
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))  # lower-cased
    group_name: Mapped[str] = mapped_column(String(120))
    optin_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the confirmation link's token
    cancel_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the cancellation link's token
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # from spaces.clock, not the database
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    space: Mapped[Space] = relationship()
    booking: Mapped[Booking | None] = relationship()
