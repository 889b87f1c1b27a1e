"""Booking a slot or a series: the one use case behind the form, the API, a proposal's one click
and an allocation round, with one permission rule (spaces.booking.rules.may_book_for).

Views parse, call :func:`request_booking`, commit, then send the mails it prepared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from spaces.booking import notifications, rules
from spaces.core.availability import Interval
from spaces.core.bookability import SlotVerdict
from spaces.core.recurrence import Frequency, SeriesRequest, describe, rrule_text
from spaces.models import Booking, BookingSeries, BookingStatus, Organisation, Space, User


@dataclass
class BookingOutcome:
    """What a request did: every slot with its verdict, what was written, and the mails to send."""

    verdicts: list[SlotVerdict]
    created: list[Booking] = field(default_factory=list)
    series: BookingSeries | None = None
    mails: list = field(default_factory=list)
    dry_run: bool = False

    @property
    def skipped(self) -> list[SlotVerdict]:
        return [v for v in self.verdicts if not v.ok]

    @property
    def bookable(self) -> list[SlotVerdict]:
        return [v for v in self.verdicts if v.ok]

    @property
    def confirmed(self) -> bool:
        """Whether what was written is confirmed (instant spaces) rather than requested."""
        return bool(self.created) and self.created[0].status == BookingStatus.CONFIRMED


def request_booking(session: Session, *, user: User, organisation: Organisation | None, space: Space,
                    slots: list[Interval], attendees: int, purpose: str = "", is_public: bool = False,
                    recurrence: SeriesRequest | None = None, skip_conflicts: bool = False,
                    dry_run: bool = False) -> BookingOutcome:
    """Check every slot against every rule and book them (all, or with skip_conflicts the bookable ones).

    Forbidden (403) when the user may not book for the group; SlotTaken (409) when a slot is held
    by another booking, BookingRefused (422) for any other reason, both with every date and why.
    `dry_run` checks and answers without writing or refusing. `recurrence` (not once) is stored as
    the series the slots belong to.
    """
    if not rules.may_book_for(user, organisation):
        raise rules.Forbidden("Sie können nur für eine Gruppe buchen, in der Sie Mitglied sind.")
    verdicts = rules.check_slots(session, space, slots, attendees=attendees, organisation=organisation)
    outcome = BookingOutcome(verdicts, dry_run=dry_run)
    if dry_run:
        return outcome
    bad = outcome.skipped
    if not slots:
        raise rules.BookingRefused("Es ist kein Termin angegeben.")
    if bad and not skip_conflicts:
        raise rules.refusal(bad, len(verdicts))
    if not outcome.bookable:
        raise rules.refusal(bad, len(verdicts), nothing_left=True)
    if recurrence is not None and recurrence.frequency != Frequency.ONCE:
        outcome.series = rules.new_series(space, user, organisation, recurrence, rrule_text(recurrence),
                                          describe(recurrence))
    outcome.created = rules.write_bookings(
        session, space=space, user=user, organisation=organisation, verdicts=outcome.bookable, attendees=attendees,
        purpose=purpose, is_public=is_public, series=outcome.series)
    outcome.mails = notifications.booked(space, outcome.created, user)
    return outcome
