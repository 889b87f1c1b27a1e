"""Recurring bookings: a series of meetings ("jeden Dienstag 18–20 Uhr") expanded to UTC intervals.

Pure module: standard library and python-dateutil only, no Flask, no database.

Conventions
-----------
* A series is described in local wall-clock time (Europe/Berlin by default). The recurrence is
  computed by ``dateutil.rrule`` on *naive* local datetimes, so it steps in local calendar
  days: "Tuesday 18:00" stays 18:00 local on both sides of a daylight-saving change (16:00 UTC
  in summer, 17:00 UTC in winter). Only afterwards is each meeting converted to UTC.
* A meeting ends on the day it starts unless ``ends_next_day`` says it runs past midnight
  (22:00–01:00, "endet am Folgetag"); then ``ends`` must be at or before ``starts``. Without
  it, ``ends <= starts`` is refused ("20:00–18:00" is a typo, not 22 hours), and so is
  ``ends == starts``.
* ``until`` is the last local date on which a meeting may *start* (inclusive).
* MONTHLY repeats on the day of the month of ``first_day`` (every 15th). A month without that
  day is skipped, as RFC 5545 and ``rrule`` do: a series on the 31st has no meeting in
  February, April, June, September and November (it does not move to the 30th). With
  ``monthly_by_weekday=True`` it repeats on the n-th weekday of the month instead ("every 2nd
  Tuesday"); a ``first_day`` in the fifth week means "the last Tuesday of the month".
* Unlike :func:`spaces.core.availability.wall_time_to_utc`, nothing is silently shifted here:
  - a wall time that does not exist (the spring-forward gap, e.g. 02:30 on 29 March 2026), at
    the start or the end of any meeting, raises :class:`NonexistentTime` naming every
    affected date;
  - a wall time that exists twice (the autumn repeated hour, e.g. 02:30 on 25 October 2026)
    raises :class:`AmbiguousTime` naming the dates unless ``fold`` decides it: ``fold=0`` is
    the first occurrence (still summer time, CEST), ``fold=1`` the second (winter time, CET).
    The chosen fold applies to every ambiguous start or end of the series.
  If a series has both kinds, :class:`NonexistentTime` wins, since no fold can repair it.
  The ``fold`` attribute of ``starts``/``ends`` themselves is ignored; use ``SeriesRequest.fold``.
* Limits: at most :data:`MAX_OCCURRENCES` meetings, and no meeting later than
  :data:`MAX_DAYS_AHEAD` days after ``first_day`` (both raise :class:`TooManyOccurrences`).
  They are checked when the occurrences are computed (:func:`expand`, :func:`describe`,
  :func:`occurrence_dates`), not when a :class:`SeriesRequest` is built, so a stored series
  stays loadable if the limits change. :func:`rrule_text` does not check them.
* Every error is a :class:`RecurrenceError` (a ``ValueError``) with a German ``message`` for
  the user and a machine-readable ``code``. Wrong *types* (a string instead of a date) are
  programming errors and raise ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import MONTHLY, WEEKLY, rrule
from dateutil.rrule import weekday as rrule_weekday

from spaces.core import days
from spaces.core.availability import BERLIN, Interval
from spaces.core.errors import Unprocessable
from spaces.core.phrases import phrase

__all__ = [
    "MAX_DAYS_AHEAD",
    "MAX_OCCURRENCES",
    "AmbiguousTime",
    "Frequency",
    "NonexistentTime",
    "RecurrenceError",
    "SeriesRequest",
    "TooManyOccurrences",
    "describe",
    "expand",
    "occurrence_dates",
    "rrule_text",
    "series_dates",
]

UTC = UTC

#: Most meetings one series may have.
MAX_OCCURRENCES = 200
#: Latest meeting date of a series, in days after ``first_day`` (two years, leap day included).
MAX_DAYS_AHEAD = 731

_ONE_DAY = timedelta(days=1)
_END_OF_DAY = time(23, 59, 59)

_WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


class Frequency(StrEnum):
    ONCE = "once"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class RecurrenceError(Unprocessable, ValueError):
    """A series the module refuses, with a German `message` for the user and a machine `code` (HTTP 422).

    `dates` lists the local dates concerned (for DST problems), `times` the wall times.
    """

    default_code = "invalid"

    def __init__(
        self,
        message: str,
        code: str | None = None,
        *,
        dates: tuple[date, ...] = (),
        times: tuple[time, ...] = (),
    ):
        field = ("ends" if code in ("ends_before_start", "same_time", "longer_than_a_day")
                 else "until" if code in ("until_before_start", "missing_end", "until_and_count") else None)
        super().__init__(message, code, field=field)
        self.dates = tuple(dates)
        self.times = tuple(times)


class NonexistentTime(RecurrenceError):
    """A start or end wall time falls into the spring-forward gap on some date."""

    default_code = "nonexistent"


class AmbiguousTime(RecurrenceError):
    """A start or end wall time falls into the autumn repeated hour and `fold` is None."""

    default_code = "ambiguous"


class TooManyOccurrences(RecurrenceError):
    """More than MAX_OCCURRENCES meetings, or a meeting more than MAX_DAYS_AHEAD days ahead."""

    default_code = "too_many"


@dataclass(frozen=True)
class SeriesRequest:
    """A series of meetings in local wall-clock time; see the module docstring.

    Building one checks that it makes sense (German RecurrenceError otherwise); the limits
    MAX_OCCURRENCES and MAX_DAYS_AHEAD are checked later, when meetings are computed.
    """

    first_day: date  # local date of the first meeting
    starts: time  # local wall-clock start, e.g. 18:00
    ends: time  # local wall-clock end (ends <= starts: runs past midnight into the next day)
    frequency: Frequency
    until: date | None = None  # last possible local start date (inclusive); or:
    count: int | None = None  # number of meetings (exactly one of until/count unless ONCE)
    fold: int | None = None  # ambiguous wall time: 0 = first (CEST), 1 = second (CET), None = undecided
    monthly_by_weekday: bool = False  # MONTHLY only: n-th weekday of the month instead of day of month
    ends_next_day: bool = False  # the meeting runs past midnight and ends on the next local date

    def __post_init__(self) -> None:  # noqa: C901 (a list of checks, each with its own message)
        if not isinstance(self.first_day, date) or isinstance(self.first_day, datetime):
            raise TypeError(f"first_day must be a datetime.date, got {self.first_day!r}")
        for name in ("starts", "ends"):
            value = getattr(self, name)
            if not isinstance(value, time):
                raise TypeError(f"SeriesRequest.{name} must be a datetime.time, got {value!r}")
            if value.tzinfo is not None:
                raise TypeError(f"SeriesRequest.{name} must be a naive wall-clock time, got {value!r}")
        if self.until is not None and (not isinstance(self.until, date) or isinstance(self.until, datetime)):
            raise TypeError(f"until must be a datetime.date or None, got {self.until!r}")
        if self.count is not None and (isinstance(self.count, bool) or not isinstance(self.count, int)):
            raise TypeError(f"count must be an int or None, got {self.count!r}")
        if not isinstance(self.monthly_by_weekday, bool):
            raise TypeError(f"monthly_by_weekday must be a bool, got {self.monthly_by_weekday!r}")

        try:
            frequency = Frequency(self.frequency)
        except ValueError:
            raise RecurrenceError(
                phrase("Unbekannte Wiederholung „%(value)s“.", value=self.frequency), "invalid_frequency"
            ) from None
        object.__setattr__(self, "frequency", frequency)

        if self.fold is not None and (isinstance(self.fold, bool) or self.fold not in (0, 1)):
            raise RecurrenceError(
                phrase("Bei der doppelten Uhrzeit bitte die erste (Sommerzeit) oder die zweite (Winterzeit) wählen."),
                "invalid_fold",
            )
        if not isinstance(self.ends_next_day, bool):
            raise TypeError(f"ends_next_day must be a bool, got {self.ends_next_day!r}")
        if _wall(self.starts) == _wall(self.ends) and not self.ends_next_day:
            raise RecurrenceError(phrase("Beginn und Ende sind gleich."), "same_time")
        if _wall(self.ends) < _wall(self.starts) and not self.ends_next_day:
            raise RecurrenceError(
                phrase("Das Ende liegt vor dem Beginn. Geht der Termin über Mitternacht, bitte „endet am Folgetag“ "
                       "wählen."),
                "ends_before_start",
            )
        if _wall(self.ends) > _wall(self.starts) and self.ends_next_day:
            raise RecurrenceError(
                phrase("Ein Termin, der am Folgetag endet, endet dort vor seiner Anfangszeit (höchstens 24 Stunden)."),
                "longer_than_a_day",
            )

        if frequency is Frequency.ONCE:
            if self.until is not None or self.count is not None:
                raise RecurrenceError(
                    phrase("Ein einmaliger Termin hat kein Enddatum und keine Anzahl von Terminen."), "once_with_end"
                )
        else:
            if self.until is None and self.count is None:
                raise RecurrenceError(
                    phrase("Bitte ein Enddatum oder eine Anzahl von Terminen angeben."), "missing_end"
                )
            if self.until is not None and self.count is not None:
                raise RecurrenceError(
                    phrase("Bitte entweder ein Enddatum oder eine Anzahl von Terminen angeben, nicht beides."),
                    "until_and_count",
                )
        if self.count is not None and self.count < 1:
            raise RecurrenceError(phrase("Die Anzahl der Termine muss mindestens 1 sein."), "count_too_small")
        for name in ("first_day", "until"):
            day = getattr(self, name)
            if day is not None and not days.plausible(day):
                raise RecurrenceError(f"Bitte ein Datum {days.range_text()}.", "out_of_range")
        if self.until is not None and self.until < self.first_day:
            raise RecurrenceError(
                phrase("Das Enddatum %(until)s liegt vor dem ersten Termin am %(first)s.",
                       until=_de_date(self.until), first=_de_date(self.first_day)),
                "until_before_start",
            )
        if self.monthly_by_weekday and frequency is not Frequency.MONTHLY:
            raise RecurrenceError(
                "„Jeden n-ten Wochentag im Monat“ gibt es nur bei monatlicher Wiederholung.",
                "by_weekday_not_monthly",
            )

    @property
    def past_midnight(self) -> bool:
        """Whether each meeting ends on the next local date."""
        return self.ends_next_day

    @property
    def dtstart(self) -> datetime:
        """Naive local start of the first meeting: the DTSTART that goes with rrule_text()."""
        return datetime.combine(self.first_day, _wall(self.starts))


# ----------------------------------------------------------------------------- helpers


def _wall(value: time) -> time:
    """The wall time without fold and microseconds (rrule drops microseconds anyway)."""
    return value.replace(microsecond=0, fold=0)


def _de_date(day: date) -> str:
    """29.03.2026: the form used in error messages."""
    return day.strftime("%d.%m.%Y")


def _de_date_short(day: date) -> str:
    """3.11.2026: the form used in descriptions."""
    return f"{day.day}.{day.month}.{day.year}"


def _de_time(value: time) -> str:
    return value.strftime("%H:%M")


def _de_join(items: list[str]) -> str:
    """'a', 'a und b', 'a, b und c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " und " + items[-1]


def _nth_weekday(day: date) -> int:
    """n of "the n-th <weekday> of the month" for `day`: 1..4, or -1 (the last) in the fifth week.

    A day that is both the fourth and the last such weekday of its month counts as the fourth.
    """
    n = (day.day - 1) // 7 + 1
    return -1 if n == 5 else n


def _rrule(request: SeriesRequest, *, unbounded: bool = False) -> rrule:
    """The dateutil rrule of a repeating series, on naive local datetimes.

    `unbounded`: without its end (until/count), up to MAX_DAYS_AHEAD: for counting dates that are not skipped.
    """
    if request.frequency is Frequency.ONCE:
        raise ValueError("a single meeting has no recurrence rule")
    kwargs: dict[str, object] = {"dtstart": request.dtstart}
    if request.frequency is Frequency.WEEKLY:
        freq = WEEKLY
    elif request.frequency is Frequency.BIWEEKLY:
        freq, kwargs["interval"] = WEEKLY, 2
    else:
        freq = MONTHLY
        if request.monthly_by_weekday:
            kwargs["byweekday"] = rrule_weekday(request.first_day.weekday(), _nth_weekday(request.first_day))
        # otherwise rrule takes the day of the month from dtstart and skips months without it
    if unbounded:
        kwargs["until"] = datetime.combine(request.first_day + timedelta(days=MAX_DAYS_AHEAD), _END_OF_DAY)
    elif request.until is not None:
        kwargs["until"] = datetime.combine(request.until, _END_OF_DAY)
    else:
        kwargs["count"] = request.count
    return rrule(freq, **kwargs)


def occurrence_dates(request: SeriesRequest, skip: Container[date] = frozenset()) -> list[date]:
    """The local start dates of the meetings, in order, without the dates in `skip` (public holidays, say);
    enforces MAX_OCCURRENCES and MAX_DAYS_AHEAD. With `count`, that many dates take place: a skipped
    date does not count. A single meeting (ONCE) is never skipped."""
    return series_dates(request, skip)[0]


def series_dates(request: SeriesRequest, skip: Container[date] = frozenset()) -> tuple[list[date], list[date]]:
    """The local dates of the meetings and the dates of the rhythm left out because they are in `skip`."""
    limit = request.first_day + timedelta(days=MAX_DAYS_AHEAD)
    too_far = TooManyOccurrences(
        phrase("Die Serie reicht zu weit in die Zukunft: Termine sind höchstens bis zum %(day)s möglich.",
               day=_de_date(limit)),
        "too_far",
    )
    too_many = TooManyOccurrences(
        phrase("Eine Serie darf höchstens %(n)s Termine haben.", n=MAX_OCCURRENCES), "too_many"
    )
    if request.frequency is Frequency.ONCE:
        return [request.first_day], []
    if request.until is not None and request.until > limit:
        raise too_far
    if request.count is not None and request.count > MAX_OCCURRENCES:
        raise too_many
    dates: list[date] = []
    skipped: list[date] = []
    wanted = request.count if request.count is not None else MAX_OCCURRENCES + 1
    rhythm = _rrule(request, unbounded=request.count is not None)
    for occurrence in rhythm:
        day = occurrence.date()
        if day in skip:
            skipped.append(day)
            continue
        dates.append(day)
        if len(dates) >= wanted:
            break
    if len(dates) > MAX_OCCURRENCES:
        raise too_many
    if (dates and dates[-1] > limit) or (request.count is not None and len(dates) < request.count):
        raise too_far
    return dates, skipped


_UNIQUE, _NONEXISTENT, _AMBIGUOUS = "unique", "nonexistent", "ambiguous"


def _resolve(naive: datetime, tz: ZoneInfo) -> tuple[str, datetime | None, datetime | None]:
    """Classify a naive local wall time in `tz`: (kind, UTC instant for fold 0, for fold 1).

    Round-trips each fold through UTC: a wall time that neither fold reproduces lies in a gap;
    one that both folds reproduce at different instants is ambiguous.
    """
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    first_ok = first.astimezone(tz).replace(tzinfo=None) == naive
    second_ok = second.astimezone(tz).replace(tzinfo=None) == naive
    if not first_ok and not second_ok:
        return _NONEXISTENT, None, None
    if first_ok and second_ok and first != second:
        return _AMBIGUOUS, first, second
    instant = first if first_ok else second
    return _UNIQUE, instant, instant


def _dst_message(kind: str, times: list[time], dates: list[date]) -> str:
    clock = ("die Uhrzeit " if len(times) == 1 else "die Uhrzeiten ") + _de_join([_de_time(t) for t in times])
    days = _de_join([_de_date(d) for d in dates])
    if kind == _NONEXISTENT:
        return (
            f"{clock[0].upper()}{clock[1:]} gibt es am {days} nicht, weil die Uhren in dieser Nacht "
            "auf Sommerzeit vorgestellt werden. Bitte eine andere Uhrzeit wählen."
        )
    return (
        f"{clock[0].upper()}{clock[1:]} gibt es am {days} zweimal, weil die Uhren in dieser Nacht "
        "auf Winterzeit zurückgestellt werden. Welche ist gemeint: die erste (Sommerzeit) "
        "oder die zweite (Winterzeit)?"
    )


# ----------------------------------------------------------------------------- public API


def expand(request: SeriesRequest, tz: ZoneInfo = BERLIN, skip: Container[date] = frozenset()) -> list[Interval]:
    """The meetings of a series as UTC intervals, in order; refuses nonexistent and undecided ambiguous times.
    Dates in `skip` are left out (see occurrence_dates).

    Raises NonexistentTime or AmbiguousTime (listing all affected dates), TooManyOccurrences,
    or RecurrenceError.
    """
    starts, ends = _wall(request.starts), _wall(request.ends)
    end_offset = _ONE_DAY if request.past_midnight else timedelta(0)
    resolved = []
    problems: dict[str, tuple[set[date], set[time]]] = {_NONEXISTENT: (set(), set()), _AMBIGUOUS: (set(), set())}
    for day in occurrence_dates(request, skip):
        pair = []
        for naive, wall in ((datetime.combine(day, starts), starts), (datetime.combine(day + end_offset, ends), ends)):
            kind, first, second = _resolve(naive, tz)
            if kind == _NONEXISTENT or (kind == _AMBIGUOUS and request.fold is None):
                problems[kind][0].add(naive.date())
                problems[kind][1].add(wall)
            pair.append(second if request.fold == 1 else first)
        resolved.append((day, pair))

    for kind, error in ((_NONEXISTENT, NonexistentTime), (_AMBIGUOUS, AmbiguousTime)):
        dates, times = problems[kind]
        if dates:
            days, walls = sorted(dates), sorted(times)
            raise error(_dst_message(kind, walls, days), dates=tuple(days), times=tuple(walls))

    out: list[Interval] = []
    for day, (start, end) in resolved:
        assert start is not None and end is not None  # every unresolved time was raised above
        if not start < end:  # cannot happen in Europe/Berlin; guards odd zones and folds
            raise RecurrenceError(
                phrase("Der Termin am %(day)s endet nicht nach seinem Beginn (Zeitumstellung).", day=_de_date(day)),
                "empty"
            )
        out.append(Interval(start, end))
    return out


def rrule_text(request: SeriesRequest) -> str:
    """The RFC 5545 RRULE value (e.g. 'FREQ=WEEKLY;INTERVAL=2;UNTIL=20270630T235959'), '' for ONCE.

    Meant for storage and iCalendar together with DTSTART = ``request.dtstart`` (naive local
    time): ``dateutil.rrule.rrulestr(text, dtstart=request.dtstart)`` gives the same local
    occurrences. UNTIL is the end of the ``until`` day in local (floating) time; an iCalendar
    writer using DTSTART;TZID=... must convert it to UTC as RFC 5545 requires.
    Does not check MAX_OCCURRENCES / MAX_DAYS_AHEAD.
    """
    if request.frequency is Frequency.ONCE:
        return ""
    for line in str(_rrule(request)).splitlines():
        if line.startswith("RRULE:"):
            return line.removeprefix("RRULE:")
    raise AssertionError("dateutil produced no RRULE line")  # pragma: no cover


def describe(request: SeriesRequest, skip: Container[date] = frozenset()) -> str:
    """German description, e.g. 'jeden Dienstag, 18:00–20:00 Uhr, vom 3.11.2026 bis 30.6.2027 (35 Termine)'.

    The end date shown is `until` if given, else the date of the last meeting. Raises
    TooManyOccurrences like expand(), but not the DST errors (it works on local dates only).
    """
    first = request.first_day
    weekday = _WEEKDAYS_DE[first.weekday()]
    clock = f"{_de_time(request.starts)}–{_de_time(request.ends)} Uhr"
    if request.past_midnight:
        clock += " (Ende am Folgetag)"
    if request.frequency is Frequency.ONCE:
        return f"einmalig am {weekday}, {_de_date_short(first)}, {clock}"

    if request.frequency is Frequency.WEEKLY:
        rhythm = f"jeden {weekday}"
    elif request.frequency is Frequency.BIWEEKLY:
        rhythm = f"jeden zweiten {weekday}"
    elif request.monthly_by_weekday:
        n = _nth_weekday(first)
        rhythm = f"jeden {'letzten' if n == -1 else f'{n}.'} {weekday} im Monat"
    else:
        rhythm = f"jeden {first.day}. des Monats"
        if first.day > 28:
            rhythm += f" (in Monaten ohne {first.day}. kein Termin)"

    dates, skipped = series_dates(request, skip)
    last = request.until if request.until is not None else dates[-1]
    amount = "1 Termin" if len(dates) == 1 else f"{len(dates)} Termine"
    if skipped:
        amount += ", ohne 1 Feiertag" if len(skipped) == 1 else f", ohne {len(skipped)} Feiertage"
    return f"{rhythm}, {clock}, vom {_de_date_short(first)} bis {_de_date_short(last)} ({amount})"
