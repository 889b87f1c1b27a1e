"""The query parameter models of the finder API: read from request args, checked, German messages (pure)."""

import re
from datetime import UTC, date, datetime

import pytest
from werkzeug.datastructures import MultiDict

from spaces.core.errors import BadParameter
from spaces.finder.schemas import AvailabilityQuery, NearestQuery
from spaces.finder.search import SpaceQuery


def refusal(model, query: dict) -> str:
    with pytest.raises(BadParameter) as caught:
        model.from_args(MultiDict(query))
    return caught.value.message


def test_blank_parameters_are_left_out_and_codes_repeat_or_split():
    query = SpaceQuery.from_args(MultiDict([("capacity", " "), ("kind", "hall,room"), ("kind", "hall"),
                                            ("kind", ""), ("step_free", "JA"), ("walk", "")]))
    assert (query.capacity, query.kind, query.step_free, query.walk) == (None, ("hall", "room"), True, 15)
    assert query.model_fields_set == {"kind", "step_free"}


@pytest.mark.parametrize("query, message", [
    ({"lat": "52.37"}, "lon: „“ ist keine Zahl."),
    ({"lat": "52.37", "lon": "9.73", "n": "0"}, "n: bitte eine Zahl von 1 bis 200."),
    ({"lat": "52.37", "lon": "9.73", "n": "drei"}, "n: „drei“ ist keine ganze Zahl."),
    ({"lat": "9.73", "lon": "52.37"},
     "Der Ort lat=9.73, lon=52.37 liegt außerhalb des Gebiets des Dienstes. Sind lat und lon vertauscht?"),
])
def test_nearest_parameters_are_checked_in_german(query, message):
    assert refusal(NearestQuery, query) == message


def test_nearest_defaults_to_twenty():
    assert NearestQuery.from_args(MultiDict({"lat": "52.37", "lon": "9.73"})).n == 20


@pytest.mark.parametrize("query, message", [
    ({"from": "morgen"}, "from: „morgen“ ist weder Datum (JJJJ-MM-TT) noch Zeitpunkt (ISO 8601)."),
    ({"to": "2026-12-01T18:00"}, "to: bitte mit Zeitzone angeben, z. B. 2026-12-01T18:00+01:00."),
])
def test_availability_parameters_are_checked_in_german(query, message):
    assert refusal(AvailabilityQuery, query) == message


@pytest.mark.parametrize("query, message", [
    ({"from": "2026-12-02", "to": "2026-12-01"},
     "Das Zeitfenster endet, bevor es beginnt: „to“ muss nach „from“ liegen."),
    ({"from": "2026-12-01", "to": "2027-12-01"}, "Das Zeitfenster ist zu lang: höchstens 92 Tage."),
])
def test_an_availability_window_must_make_sense(query, message):
    with pytest.raises(BadParameter, match=re.escape(message)):
        AvailabilityQuery.from_args(MultiDict(query)).window(date(2026, 11, 23))


def test_an_availability_window_is_a_week_by_default():
    window = AvailabilityQuery.from_args(MultiDict({})).window(date(2026, 11, 23))
    assert (window.start, window.end) == (datetime(2026, 11, 22, 23, tzinfo=UTC),
                                          datetime(2026, 11, 29, 23, tzinfo=UTC))
    later = AvailabilityQuery.from_args(MultiDict({"from": "2026-12-01T18:00+01:00"})).window(date(2026, 11, 23))
    assert later.end == datetime(2026, 12, 7, 23, tzinfo=UTC)
