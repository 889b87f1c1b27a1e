"""Tables of the waitlist (migration 0017); imported at the end of spaces.models so every model is known."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import TSTZRANGE, UUID, Range
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spaces.db import db
from spaces.models import Booking, Organisation, Space, User


class WaitStatus(StrEnum):
    WAITING = "waiting"  # in line
    OFFERED = "offered"  # held for this group by booking_id (status 'requested') until offer_expires_at
    CLAIMED = "claimed"  # the group took the offer: booking_id is its booking now
    EXPIRED = "expired"  # the offer ran out, or the slot began while the group was still in line
    WITHDRAWN = "withdrawn"  # the group left the line or said "Nicht mehr nötig" to an offer


OPEN = (WaitStatus.WAITING, WaitStatus.OFFERED)
_OPEN_SQL = "status IN ('waiting', 'offered')"


class WaitlistEntry(db.Model):
    """One wanted date of a group that found it taken; the dates of one request (a series) share request_key.

    Groups are served in the order they joined (created_at, id). A group waits at most once for a slot.
    An offer is a real booking (booking_id, status 'requested'): the exclusion constraint and every path that
    says whether a space is free see the slot as taken, with no rule of the waitlist anywhere else.
    """

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'offered', 'claimed', 'expired', 'withdrawn')", name="status"),
        CheckConstraint(
            "NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)"
            " AND lower_inc(during) AND NOT upper_inc(during)",
            name="during_bounded",
        ),
        CheckConstraint("attendees > 0", name="attendees_positive"),
        CheckConstraint("status <> 'offered' OR (offered_at IS NOT NULL AND offer_expires_at IS NOT NULL)",
                        name="offer_has_deadline"),
        # A group waits at most once for the same slot.
        Index("ix_waitlist_entries_once", "space_id", "organisation_id", "during", unique=True,
              postgresql_where=text(_OPEN_SQL)),
        # The line of a space, in order.
        Index("ix_waitlist_entries_line", "space_id", "created_at", "id", postgresql_where=text(_OPEN_SQL)),
        # What `flask waitlist tick` has to look at: open offers by their deadline.
        Index("ix_waitlist_entries_offer_deadline", "offer_expires_at", postgresql_where=text("status = 'offered'")),
        Index("ix_waitlist_entries_organisation_id", "organisation_id"),
        # Whether a booking is an offer nobody has claimed yet (unclaimed_offer, in the inbox and the group's lists).
        Index("ix_waitlist_entries_offered_booking", "booking_id", postgresql_where=text("status = 'offered'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_key: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    during: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    attendees: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(300), default="", server_default="")
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    status: Mapped[str] = mapped_column(String(16), default=WaitStatus.WAITING, server_default="waiting")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # from spaces.clock: the place in line
    offered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    offer_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # claimed, expired or withdrawn
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))

    space: Mapped[Space] = relationship()
    organisation: Mapped[Organisation] = relationship()
    requester: Mapped[User | None] = relationship()
    booking: Mapped[Booking | None] = relationship()


def unclaimed_offer(booking_id) -> ColumnElement[bool]:
    """SQL: the booking `booking_id` (a column or a value) is an open offer of the waitlist that its group has not
    claimed yet: it holds the slot, but it is no request for the managers' inbox, nor (yet) the group's booking."""
    return select(WaitlistEntry.id).where(WaitlistEntry.booking_id == booking_id,
                                          WaitlistEntry.status == WaitStatus.OFFERED).exists()
