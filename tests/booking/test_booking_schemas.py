"""The booking API's body models refuse bad input with a German message naming the field (pure, no database)."""

from datetime import date, time

import pytest

from spaces.booking.schemas import BookingRequest, CancelRequest, Decision, TokenRequest
from spaces.core.errors import BadParameter
from spaces.core.recurrence import Frequency
from spaces.finder.schemas import checked

GOOD = {"space_id": 1, "organisation_id": 2, "date": "2027-12-07", "from": "18:00", "to": "20:00", "attendees": 12}


def refusal(model, body) -> BadParameter:
    with pytest.raises(BadParameter) as caught:
        checked(model, body)
    assert caught.value.status == 400
    return caught.value


def test_a_good_request_reads_as_a_series():
    request = checked(BookingRequest, {**GOOD, "to": "01:00", "frequency": "weekly", "until": "2028-01-04",
                                       "fold": 1, "ends_next_day": True, "dry_run": True, "skip_conflicts": True})
    series = request.series()
    assert (series.first_day, series.starts, series.ends) == (date(2027, 12, 7), time(18), time(1))
    assert (series.frequency, series.until, series.fold, series.ends_next_day) == (
        Frequency.WEEKLY, date(2028, 1, 4), 1, True)
    assert request.dry_run and request.skip_conflicts and request.purpose == "" and not request.is_public


@pytest.mark.parametrize("until", [None, ""])
def test_an_empty_until_is_no_until(until):
    assert checked(BookingRequest, {**GOOD, "until": until}).until is None


@pytest.mark.parametrize("change, message, field", [
    ({"status": "confirmed"}, "Diese Felder sind hier nicht erlaubt: status.", "status"),
    ({"requester_id": 1, "decided_by_id": 1}, "Diese Felder sind hier nicht erlaubt: decided_by_id, requester_id.",
     "decided_by_id"),
    ({"first_day": "2027-12-07"}, "Diese Felder sind hier nicht erlaubt: first_day.", "first_day"),  # not its alias
    ({"space_id": "1"}, "space_id: „1“ ist keine ganze Zahl.", "space_id"),
    ({"organisation_id": 2.0}, "organisation_id: „2.0“ ist keine ganze Zahl.", "organisation_id"),
    ({"attendees": True}, "attendees: „True“ ist keine ganze Zahl.", "attendees"),
    ({"attendees": 12.7}, "attendees: „12.7“ ist keine ganze Zahl.", "attendees"),
    ({"date": "2026-13-01"}, "date: „2026-13-01“ ist kein gültiger Wert (JJJJ-MM-TT).", "date"),
    ({"date": "1.12.2026"}, "date: „1.12.2026“ ist kein gültiger Wert (JJJJ-MM-TT).", "date"),
    ({"date": 0}, "date: „0“ ist kein gültiger Wert (JJJJ-MM-TT).", "date"),  # not 1970-01-01
    ({"from": "25:00"}, "from: „25:00“ ist kein gültiger Wert (HH:MM).", "from"),
    ({"to": 1800}, "to: „1800“ ist kein gültiger Wert (HH:MM).", "to"),
    ({"until": "bald"}, "until: „bald“ ist kein gültiger Wert (JJJJ-MM-TT).", "until"),
    ({"frequency": "daily"}, "frequency: „daily“ ist kein gültiger Wert (once, weekly, biweekly, monthly).",
     "frequency"),
    ({"fold": 2}, "fold: 0 (erste, Sommerzeit) oder 1 (zweite, Winterzeit).", "fold"),
    ({"fold": True}, "fold: 0 (erste, Sommerzeit) oder 1 (zweite, Winterzeit).", "fold"),
    ({"is_public": "ja"}, "is_public: true oder false.", "is_public"),
    ({"ends_next_day": 1}, "ends_next_day: true oder false.", "ends_next_day"),
    ({"dry_run": "true"}, "dry_run: true oder false.", "dry_run"),
    ({"skip_conflicts": None}, "skip_conflicts: true oder false.", "skip_conflicts"),
    ({"purpose": None}, "purpose: bitte als Text angeben.", "purpose"),
    ({"purpose": ["Chor"]}, "purpose: bitte als Text angeben.", "purpose"),
])
def test_a_bad_booking_request_is_refused_in_german(change, message, field):
    error = refusal(BookingRequest, {**GOOD, **change})
    assert (error.message, error.field) == (message, field)


def test_unknown_fields_are_named_before_missing_ones_and_missing_before_wrong_ones():
    assert refusal(BookingRequest, {"status": "x", "attendees": "viele"}).message == (
        "Diese Felder sind hier nicht erlaubt: status.")
    assert refusal(BookingRequest, {"attendees": "viele"}).message == (
        "Es fehlen: date, from, organisation_id, space_id, to.")
    assert refusal(BookingRequest, {**GOOD, "attendees": "viele", "fold": 3}).message == (
        "attendees: „viele“ ist keine ganze Zahl.")


@pytest.mark.parametrize("body", [[1, 2], "buchen", 42, None])
@pytest.mark.parametrize("model", [BookingRequest, CancelRequest, Decision, TokenRequest])
def test_a_body_that_is_not_an_object_is_refused(model, body):
    assert refusal(model, body).message == "Erwartet wird ein JSON-Objekt (Content-Type: application/json)."


@pytest.mark.parametrize("model, body, message", [
    (Decision, {"accept": "ja"}, "accept: true (annehmen) oder false (ablehnen)."),
    (Decision, {"accept": 1}, "accept: true (annehmen) oder false (ablehnen)."),
    (Decision, {}, "Es fehlen: accept."),
    (Decision, {"accept": True, "note": 5}, "note: ein Text."),
    (Decision, {"accept": True, "status": "confirmed"}, "Diese Felder sind hier nicht erlaubt: status."),
    (CancelRequest, {"rest_of_series": "ja"}, "rest_of_series: true oder false."),
    (CancelRequest, {"all": True}, "Diese Felder sind hier nicht erlaubt: all."),
    (TokenRequest, {"name": 7}, "name: bitte als Text angeben."),
    (TokenRequest, {"name": "x", "expires": "nie"}, "Diese Felder sind hier nicht erlaubt: expires."),
])
def test_other_bodies_are_refused_in_german(model, body, message):
    assert refusal(model, body).message == message


def test_other_bodies_have_defaults():
    assert checked(CancelRequest, {}).rest_of_series is False
    assert checked(Decision, {"accept": False}).note == ""
    assert checked(TokenRequest, {}).name == "API"
