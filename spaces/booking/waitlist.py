"""The waitlist: groups queue for a taken slot and are offered it in turn when it frees up."""

from __future__ import annotations

from sqlalchemy.orm import Session

from spaces.models import Booking
from spaces.outbox import Outgoing


def slot_freed(session: Session, bookings: list[Booking]) -> list[Outgoing]:
    """Called in the transaction that cancelled or declined these bookings (they held their slots until then):
    offers the freed slots to the groups waiting for them; the mails to queue with the commit."""
    return []
