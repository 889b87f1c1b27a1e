"""Booking a slot or a series: the one use case behind the form, the API, a proposal's one click
and an allocation round, with one permission rule (spaces.booking.rules.may_book_for).

Views parse, call :func:`request_booking`, commit, then send the mails it prepared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from spaces.accounts.service import managed_organisation_ids
from spaces.booking import notifications, rules
from spaces.booking.waitlist_tables import unclaimed_offer
from spaces.clock import now_utc
from spaces.core import holidays
from spaces.core.availability import Interval
from spaces.core.bookability import SlotVerdict
from spaces.core.recurrence import MAX_DAYS_AHEAD, Frequency, SeriesRequest, describe, expand, rrule_text, series_dates
from spaces.db import db
from spaces.models import SLOT_HOLDING, Booking, BookingSeries, BookingStatus, Organisation, Site, Space, User


@dataclass
class BookingOutcome:
    """What a request did: every slot with its verdict, what was written, and the mails to send."""

    verdicts: list[SlotVerdict]
    created: list[Booking] = field(default_factory=list)
    series: BookingSeries | None = None
    mails: list = field(default_factory=list)
    dry_run: bool = False
    skipped_days: list[tuple[date, str]] = field(default_factory=list)  # public holidays left out

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


@dataclass
class SeriesPlan:
    """The slots of a recurrence and the public holidays it leaves out."""

    slots: list[Interval]
    skipped: list[tuple[date, str]] = field(default_factory=list)


def plan(recurrence: SeriesRequest, *, skip_holidays: bool = False) -> SeriesPlan:
    """The meetings of a recurrence; with `skip_holidays` (a repeating series only) without the public
    holidays of Niedersachsen (RecurrenceError and its kinds as spaces.core.recurrence.expand)."""
    if not skip_holidays or recurrence.frequency == Frequency.ONCE:
        return SeriesPlan(expand(recurrence))
    names = holidays.between(recurrence.first_day, recurrence.first_day + timedelta(days=MAX_DAYS_AHEAD))
    skipped = series_dates(recurrence, names)[1]
    return SeriesPlan(expand(recurrence, skip=names), [(day, names[day]) for day in skipped])


def request_booking(session: Session, *, user: User, organisation: Organisation | None, space: Space,
                    slots: list[Interval], attendees: int, purpose: str = "", is_public: bool = False,
                    recurrence: SeriesRequest | None = None, skip_conflicts: bool = False,
                    dry_run: bool = False, skipped_days: list[tuple[date, str]] | None = None) -> BookingOutcome:
    """Check every slot against every rule and book them (all, or with skip_conflicts the bookable ones).

    Forbidden (403) when the user may not book for the group; SlotTaken (409) when a slot is held
    by another booking, BookingRefused (422) for any other reason, both with every date and why.
    `dry_run` checks and answers without writing or refusing. `recurrence` (not once) is stored as
    the series the slots belong to, with the public holidays `skipped_days` it left out (see plan()).
    """
    if not rules.may_book_for(user, organisation):
        raise rules.Forbidden("Sie können nur für eine Gruppe buchen, in der Sie Mitglied sind.")
    verdicts = rules.check_slots(session, space, slots, attendees=attendees, organisation=organisation)
    outcome = BookingOutcome(verdicts, dry_run=dry_run, skipped_days=list(skipped_days or []))
    if dry_run:
        return outcome
    bad = outcome.skipped
    if not slots and skipped_days:
        raise rules.BookingRefused("Alle Termine der Reihe fallen auf Feiertage.")
    if not slots:
        raise rules.BookingRefused("Es ist kein Termin angegeben.")
    if bad and not skip_conflicts:
        raise rules.refusal(bad, len(verdicts))
    if not outcome.bookable:
        raise rules.refusal(bad, len(verdicts), nothing_left=True)
    if recurrence is not None and recurrence.frequency != Frequency.ONCE:
        skip = {day for day, _ in outcome.skipped_days}
        outcome.series = rules.new_series(space, user, organisation, recurrence, rrule_text(recurrence),
                                          describe(recurrence, skip))
        outcome.series.skip_holidays = skipped_days is not None
        outcome.series.skipped_days = [[day.isoformat(), name] for day, name in outcome.skipped_days]
    outcome.created = rules.write_bookings(
        session, space=space, user=user, organisation=organisation, verdicts=outcome.bookable, attendees=attendees,
        purpose=purpose, is_public=is_public, series=outcome.series)
    outcome.mails = notifications.booked(space, outcome.created, user)
    return outcome


# ----------------------------------------------------------------------------- what the pages list


def groups_to_book_for(user: User) -> list[tuple[int, str]]:
    """The groups a person may book for (rules.may_book_for): their own; a QM admin's, every group."""
    if user.is_qm_admin:
        return [(o.id, o.name) for o in session_scalars(select(Organisation).order_by(Organisation.name))]
    return [(o.id, o.name) for o in sorted(user.organisations, key=lambda o: o.name)]


def upcoming_of_my_groups(user: User, limit: int = 500) -> list[Booking]:
    """The bookings of the person's groups that have not ended, in time order; without offers from the waitlist
    not claimed yet (not the group's booking until it takes them: "Meine Buchungen" shows them as offers)."""
    org_ids = [o.id for o in user.organisations]
    return session_scalars(_upcoming(select(Booking).where(Booking.organisation_id.in_(org_ids),
                                                           ~unclaimed_offer(Booking.id))).limit(limit))


def open_requests(user: User, limit: int = 500) -> list[Booking]:
    """Upcoming requests for the spaces the person manages (all of them for a QM admin); an offer of the
    waitlist becomes one only when its group claims it."""
    query = select(Booking).join(Space).join(Site).where(Booking.status == BookingStatus.REQUESTED,
                                                         ~unclaimed_offer(Booking.id))
    if not user.is_qm_admin:
        managed = managed_organisation_ids(db.session, user)
        if not managed:
            raise rules.Forbidden("Die Anfragen sieht nur die Raumverwaltung.")
        query = query.where(Site.organisation_id.in_(managed))
    return session_scalars(_upcoming(query).limit(limit))


def slot_holding(window: Interval, *, space_id: int | None = None, organisation_id: int | None = None,
                 offers: bool = True) -> list[Booking]:
    """Requested and confirmed bookings overlapping `window`, of one space and/or one organisation, in time order;
    `offers=False`: without the waitlist's offers not claimed yet (a group's own lists)."""
    query = select(Booking).where(Booking.status.in_([s.value for s in SLOT_HOLDING]),
                                  Booking.during.op("&&")(func.tstzrange(window.start, window.end, literal("[)"))))
    if not offers:
        query = query.where(~unclaimed_offer(Booking.id))
    if space_id is not None:
        query = query.where(Booking.space_id == space_id)
    if organisation_id is not None:
        query = query.where(Booking.organisation_id == organisation_id)
    return session_scalars(query.order_by(Booking.during))


def _upcoming(query):
    return query.where(func.upper(Booking.during) >= now_utc()).order_by(Booking.during)


def session_scalars(query) -> list:
    """The rows of a query in the request's session, as a list."""
    return list(db.session.scalars(query))
