"""How far a need is met, from its bookings: honest words instead of the stored "met".

A need is *versorgt* only when every weekday it asks for has confirmed dates and none of that
weekday's dates is still waiting for the space's managers. Which bookings belong to a need: those of
its group with the need's title as purpose, made since the need was entered, inside its season
(requests from the proposals page and from an allocation round are booked exactly so). Declined and
cancelled bookings do not count.

The rule (:func:`need_state`) is pure; :func:`need_states` asks the database once for many needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext, ngettext
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from spaces.labels import WEEKDAYS
from spaces.models import Booking, BookingStatus, Need, NeedStatus

OPEN, REQUESTED, PARTLY, MET, WITHDRAWN = "open", "requested", "partly", "met", "withdrawn"


@dataclass(frozen=True)
class NeedState:
    """A need's weekdays as its bookings stand: confirmed (and nothing pending), only requested, or nothing."""

    kind: str  # open, requested (nothing confirmed yet), partly, met, withdrawn
    weekdays: tuple[int, ...]  # asked for, 0 = Monday
    confirmed_days: tuple[int, ...] = ()  # weekdays with confirmed dates and none pending
    requested_days: tuple[int, ...] = ()  # weekdays with dates still waiting for a decision
    confirmed_dates: int = 0
    requested_dates: int = 0
    missing_days: tuple[int, ...] = field(default=())  # weekdays without any booking

    @property
    def met(self) -> bool:
        return self.kind == MET

    def words(self) -> str:
        """The state in the visitor's language, e.g. 'teilweise versorgt (1 von 2 Wochentagen)'."""
        total = len(self.weekdays)
        if self.kind == WITHDRAWN:
            return gettext("zurückgezogen")
        if self.kind == MET:
            return gettext("versorgt (%(n)s Termine bestätigt)", n=self.confirmed_dates)
        if self.kind == OPEN:
            return gettext("offen, noch nichts angefragt")
        if self.kind == REQUESTED:
            if len(self.requested_days) == total:
                return gettext("angefragt, noch nicht bestätigt")
            return gettext("angefragt für %(n)s von %(m)s Wochentagen, noch nicht bestätigt",
                           n=len(self.requested_days), m=total)
        text = ngettext("teilweise versorgt (%(num)s von %(m)s Wochentagen)",
                        "teilweise versorgt (%(num)s von %(m)s Wochentagen)", len(self.confirmed_days),
                        m=total)
        if self.requested_days:
            text += ", " + gettext("%(days)s angefragt, noch nicht bestätigt", days=_days(self.requested_days))
        if self.missing_days:
            text += ", " + gettext("%(days)s fehlt noch", days=_days(self.missing_days))
        return text


def _days(days: Iterable[int]) -> str:
    return ", ".join(str(WEEKDAYS[d]) for d in days)


def need_state(weekdays: Iterable[int], dates: Iterable[tuple[date, str]], *, withdrawn: bool = False) -> NeedState:
    """The state of a need asking for `weekdays` (0 = Monday) whose bookings fall on `dates` (local day,
    status); only requested and confirmed bookings count."""
    wanted = tuple(sorted({int(d) for d in weekdays}))
    confirmed: dict[int, int] = {}
    requested: dict[int, int] = {}
    for day, status in dates:
        counter = confirmed if status == BookingStatus.CONFIRMED else requested if status == BookingStatus.REQUESTED \
            else None
        if counter is not None and day.weekday() in wanted:
            counter[day.weekday()] = counter.get(day.weekday(), 0) + 1
    done = tuple(d for d in wanted if confirmed.get(d) and not requested.get(d))
    pending = tuple(d for d in wanted if requested.get(d))
    missing = tuple(d for d in wanted if d not in done and d not in pending)
    if withdrawn:
        kind = WITHDRAWN
    elif wanted and len(done) == len(wanted):
        kind = MET
    elif done:
        kind = PARTLY
    elif pending:
        kind = REQUESTED
    else:
        kind = OPEN
    return NeedState(kind, wanted, done, pending, sum(confirmed.values()), sum(requested.values()), missing)


def need_states(session: Session, needs: Iterable[Need]) -> dict[int, NeedState]:
    """Need id -> its state, from its group's bookings (one query for all of them)."""
    needs = list(needs)
    if not needs:
        return {}
    local_day = func.date(func.timezone("Europe/Berlin", func.lower(Booking.during))).label("day")
    rows = session.execute(
        select(Need.id, local_day, Booking.status)
        .join(Booking, and_(Booking.organisation_id == Need.organisation_id, Booking.purpose == Need.title,
                            Booking.created_at >= Need.created_at))
        .where(Need.id.in_([n.id for n in needs]),
               Booking.status.in_((BookingStatus.REQUESTED, BookingStatus.CONFIRMED)))).all()
    by_need: dict[int, list[tuple[date, str]]] = {}
    for need_id, day, status in rows:
        by_need.setdefault(need_id, []).append((day, status))
    out = {}
    for need in needs:
        pattern = need.time_pattern or {}
        first, last = _day(pattern.get("first_day")), _day(pattern.get("last_day"))
        dates = [(d, s) for d, s in by_need.get(need.id, [])
                 if (first is None or d >= first) and (last is None or d <= last)]
        out[need.id] = need_state(pattern.get("weekdays") or (), dates,
                                  withdrawn=need.status == NeedStatus.WITHDRAWN)
    return out


def _day(text) -> date | None:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None
