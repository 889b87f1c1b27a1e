"""The booking API's payloads as pydantic models: the bodies it accepts (checked here, German messages,
HTTP 400) and the answers it gives; /api/openapi.json is generated from them.

A body may hold exactly the fields declared here: anything else (say "status": "confirmed") is refused.
"""

from datetime import date, time
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr, WithJsonSchema

from spaces.core.bookability import ALL_CODES
from spaces.core.recurrence import Frequency, SeriesRequest
from spaces.finder.schemas import HH_MM_PATTERN, LocalDateTime, says
from spaces.hardening import MAX_ID
from spaces.models import BookingStatus


def _from_text(parse, *, optional: bool = False):
    """Read a JSON string with `parse` (date.fromisoformat, ...); anything else is wrong, even a number.
    With `optional`, null and "" mean None."""

    def read(value):
        if optional and value in (None, ""):
            return None
        if not isinstance(value, str):
            raise ValueError("not text")
        return parse(value)

    return BeforeValidator(read)


def _zero_or_one(value):
    if value is not None and (isinstance(value, bool) or value not in (0, 1)):
        raise ValueError("neither 0 nor 1")
    return value


WallTime = Annotated[time, _from_text(time.fromisoformat), WithJsonSchema({"type": "string", "pattern": HH_MM_PATTERN})]


#: A row's number: positive and within PostgreSQL's integer (a larger one is a 400, never a database error).
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class Body(BaseModel):
    """A JSON body: only the declared fields; a value of the wrong JSON type is refused, not converted."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BookingRequest(Body):
    """A slot, or a weekly, biweekly or monthly series, to book (or with `dry_run` only to check)."""

    space_id: Id
    organisation_id: Id = Field(description="One of your organisations (QM admins: any).")
    first_day: Annotated[date, _from_text(date.fromisoformat),
                         says("date: „{value}“ ist kein gültiger Wert (JJJJ-MM-TT).")] = Field(
        alias="date", description="Local date of the (first) slot.")
    starts: Annotated[WallTime, says("from: „{value}“ ist kein gültiger Wert (HH:MM).")] = Field(
        alias="from", description="Local wall-clock start.")
    ends: Annotated[WallTime, says("to: „{value}“ ist kein gültiger Wert (HH:MM).")] = Field(
        alias="to", description="Local wall-clock end, on the same day; at or before `from` only with "
                                "`ends_next_day`.")
    ends_next_day: StrictBool = Field(False, description="The slot runs past midnight and ends on the next day "
                                                         "(`to` at or before `from`, at most 24 hours).")
    frequency: Annotated[Frequency,
                         says("frequency: „{value}“ ist kein gültiger Wert (once, weekly, biweekly, monthly).")
                         ] = Frequency.ONCE
    until: Annotated[date | None, _from_text(date.fromisoformat, optional=True),
                     says("until: „{value}“ ist kein gültiger Wert (JJJJ-MM-TT).")] = Field(
        None, description="Last possible date of a series (or give `count`, not both).")
    count: StrictInt | None = Field(None, description="How many dates a series has (\"8 Termine\"), instead of "
                                                      "`until`; public holidays left out do not count.")
    skip_holidays: StrictBool = Field(False, description="Leave out the public holidays of Niedersachsen (a series "
                                                         "only); the answer names them in `skipped_days`.")
    attendees: StrictInt = Field(description="At least 1 and at most the space's capacity; otherwise 422 with the "
                                             "reason.")
    purpose: StrictStr = Field("", description="What the meeting is for; cut after 300 characters.")
    is_public: StrictBool = Field(False, description="Show `purpose` as an event title publicly.")
    fold: Annotated[Literal[0, 1] | None, BeforeValidator(_zero_or_one),
                    says("fold: 0 (erste, Sommerzeit) oder 1 (zweite, Winterzeit).")] = Field(
        None, description="For a wall time that occurs twice when clocks go back: 0 the first, 1 the second.")
    skip_conflicts: StrictBool = Field(False, description="Book the dates that pass and return the others as "
                                                          "`skipped`.")
    dry_run: StrictBool = Field(False, description="Check only: answer 200 with every date, whether it can be booked "
                                                   "and why not; nothing is written.")

    def series(self) -> SeriesRequest:
        """The requested slot or series (RecurrenceError, HTTP 422, when it makes no sense)."""
        return SeriesRequest(first_day=self.first_day, starts=self.starts, ends=self.ends, frequency=self.frequency,
                             until=self.until, count=self.count, fold=self.fold, ends_next_day=self.ends_next_day)


class CancelRequest(Body):
    """What to cancel; an empty body cancels the one booking."""

    rest_of_series: StrictBool = Field(False, description="Also the later bookings of its series.")


class Decision(Body):
    """A space manager's answer to a request."""

    accept: Annotated[StrictBool, says("accept: true (annehmen) oder false (ablehnen).")]
    note: Annotated[StrictStr, says("note: ein Text.")] = Field("", description="For the group; cut after 500 "
                                                                               "characters.")


class TokenRequest(Body):
    """A new personal API token."""

    name: StrictStr = Field("API", description="To recognise the token by; cut after 100 characters.")


# ----------------------------------------------------------------------------- answers

SlotCode = Literal[tuple(sorted(ALL_CODES))]


class Booking(BaseModel):
    """A booking, as shown to those who may see it."""

    id: int
    space_id: int
    space: str = Field(description="Name of the space.")
    organisation_id: int | None
    series_id: str | None = Field(description="UUID of the series, if recurring.")
    start: LocalDateTime
    end: LocalDateTime
    status: BookingStatus
    attendees: int = Field(ge=1)
    purpose: str
    is_public: bool
    decision_note: str


class BookingList(BaseModel):
    """Upcoming bookings, by start."""

    bookings: list[Booking]


class SlotProblem(BaseModel):
    """A date that cannot be booked, and why."""

    start: LocalDateTime
    end: LocalDateTime
    problems: list[str] = Field(description="Why not, in German.")
    codes: list[SlotCode] = Field(description="The problems as stable codes, in the same order.")


class SlotVerdict(BaseModel):
    """A date of a dry run: whether it can be booked, and if not, why."""

    start: LocalDateTime
    end: LocalDateTime
    ok: bool
    problems: list[str] = Field(description="Why not, in German; empty when `ok`.")
    codes: list[SlotCode] = Field(description="The problems as stable codes, in the same order.")


class DryRun(BaseModel):
    """What a booking would do: every date, whether it can be booked and why not."""

    dry_run: Literal[True]
    bookable: bool = Field(description="Every date can be booked.")
    slots: list[SlotVerdict]


class SkippedDay(BaseModel):
    """A public holiday a series left out (`skip_holidays`)."""

    date: str = Field(description="Local date, YYYY-MM-DD.")
    name: str = Field(description="The holiday's German name.")


class BookingCreated(BaseModel):
    """What was booked (or requested), the dates skipped with `skip_conflicts`, and the public holidays left out."""

    bookings: list[Booking]
    skipped: list[SlotProblem]
    series_id: str | None
    skipped_days: list[SkippedDay] = Field([], description="The public holidays left out with `skip_holidays`.")


class BookingRefusal(BaseModel):
    """A refused booking: the reason, and for slot problems every refused date and why."""

    error: str = Field(description="What went wrong, in German.")
    code: str | None = Field(None, description="A stable code, e.g. `taken`, `nonexistent`, `missing_end`.")
    problems: list[SlotProblem] = Field([], description="Every refused date, when the slots were checked.")


class Cancelled(BaseModel):
    """What was cancelled."""

    cancelled: list[Booking]


class TokenInfo(BaseModel):
    """A personal API token as listed: never the token itself, which only its maker saw once."""

    id: int
    name: str
    created_at: LocalDateTime
    last_used_at: LocalDateTime | None = Field(description="Roughly: updated at most every 5 minutes.")
    expires_at: LocalDateTime = Field(description="Refused from then on.")


class Token(TokenInfo):
    """A new API token: send it as `Authorization: Bearer <token>`; it is shown only this once."""

    token: str


class TokenList(BaseModel):
    """My live API tokens, newest first."""

    tokens: list[TokenInfo]


class Revoked(BaseModel):
    """The token that no longer works."""

    revoked: TokenInfo
