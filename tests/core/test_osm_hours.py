"""OpenStreetMap opening_hours, the subset community rooms use: read into weekly hours and written back."""

import json
from datetime import time
from pathlib import Path

import pytest

from spaces.core.osm_hours import OpeningHoursSyntaxError, format_hours, parse

T = time
DEMO = Path(__file__).resolve().parents[2] / "data" / "hannover-demo.geojson"


@pytest.mark.parametrize("text, hours", [
    ("Mo-Fr 09:00-21:00; Sa 10:00-18:00",
     [(d, T(9), T(21)) for d in range(5)] + [(5, T(10), T(18))]),
    ("Tu,Th 15:00-21:00; Sa 10:00-14:00", [(1, T(15), T(21)), (3, T(15), T(21)), (5, T(10), T(14))]),
    ("Fr 16:00-24:00; Sa,Su 10:00-24:00", [(4, T(16), T(0)), (5, T(10), T(0)), (6, T(10), T(0))]),
    ("24/7", [(d, T(0), T(0)) for d in range(7)]),
    ("Sa-Mo 10:00-12:00", [(0, T(10), T(12)), (5, T(10), T(12)), (6, T(10), T(12))]),  # across the week's end
    ("Fr 22:00-02:00", [(4, T(22), T(2))]),  # past midnight
    ("Mo 08:00-12:00,14:00-18:00", [(0, T(8), T(12)), (0, T(14), T(18))]),
    ("Mo-Fr 09:00-21:00; Fr 10:00-12:00",  # a later rule replaces the earlier one for its days
     [(d, T(9), T(21)) for d in range(4)] + [(4, T(10), T(12))]),
])
def test_read(text, hours):
    assert parse(text) == hours


@pytest.mark.parametrize("text, part", [
    ("Mo-Fr 09:00-21:00; PH off", "PH off"),
    ("Mo-Fr 9-21", "9"),
    ("Xy 09:00-10:00", "Xy"),
    ("Mo 24:00-25:00", "24:00"),
    ("Mo 09:00", "09:00"),
    ("", "Keine"),
])
def test_what_it_does_not_understand_is_refused_and_named(text, part):
    with pytest.raises(OpeningHoursSyntaxError, match=part):
        parse(text)


def test_every_text_of_the_demo_data_reads_and_writes_back_the_same():
    texts = {f["properties"]["opening_hours"] for f in json.loads(DEMO.read_text())["features"]
             if f["properties"].get("opening_hours")}
    assert len(texts) >= 8
    for text in texts:
        assert format_hours(parse(text)) == text


def test_written_in_week_order_with_ranges_and_lists():
    hours = [(d, T(8), T(22)) for d in range(7)]
    assert format_hours(hours) == "Mo-Su 08:00-22:00"
    assert format_hours([(0, T(9), T(12)), (2, T(9), T(12)), (3, T(9), T(12)), (4, T(9), T(12))]) == \
        "Mo,We-Fr 09:00-12:00"
    assert format_hours([]) == ""
