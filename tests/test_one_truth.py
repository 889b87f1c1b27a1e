"""One truth: every path that says whether a space is free for a window says the same.

A Hypothesis differential test builds a space with an adversarial schedule in PostGIS (touching
and overnight openings, part-day closures, temporary and planned periods, an advance limit,
bookings, a clock that has already passed part of the window, DST nights) and asks, for a window
on one local day:

* the search:               GET /api/spaces?date=&from=&to=&capacity=
* the week view:            GET /raeume/<id>?woche=  (the free blocks it renders)
* the availability API:     GET /api/spaces/<id>/availability?from=&to=
* a dry-run booking:        POST /api/bookings {"dry_run": true}
* the proposals of a need:  spaces.planning.needs.data.space_facts_for + spaces.core.proposals.propose

and asserts they all agree; when they say free, the real booking succeeds. The same for a date
without times ("free some time that day"). Every example runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from factories import create_organisation, create_space
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects.postgresql import Range

from spaces.accounts import service as accounts
from spaces.clock import today_local
from spaces.core.availability import BERLIN, Interval, wall_time_to_utc
from spaces.core.proposals import NeedSpec, TimePattern, propose
from spaces.core.recurrence import Frequency, NonexistentTime, SeriesRequest, expand
from spaces.models import Booking, Closure, OpeningHours, space_access
from spaces.planning.needs.data import space_facts_for

UTC = UTC
ANCHORS = (date(2027, 1, 12), date(2027, 3, 28), date(2027, 10, 31), date(2027, 6, 15))  # normal, DST, DST, summer
GROUP_SIZE = 10


pytestmark = pytest.mark.usefixtures("fast_password_hashes")


@pytest.fixture
def world(session, client):
    """A group with a member who holds an API token, and another group whose bookings fill calendars."""
    member = accounts.register(session, email="chor@example.org", display_name="Chor", password="ein-langes-passwort",
                               organisation_name="Chor Kronsberg")
    group = member.organisations[0]
    other = create_organisation(session, name="Andere Gruppe")
    token = accounts.create_api_token(session, member, "differential")
    session.flush()
    return {"group": group, "other": other, "token": token, "client": client, "session": session}


# ----------------------------------------------------------------------------- scenarios

quarter = st.integers(0, 95)  # quarter hours of a day


def _wall(q: int) -> time:
    return time(q // 4, 15 * (q % 4))


@st.composite
def scenarios(draw):
    day = draw(st.sampled_from(ANCHORS)) + timedelta(days=draw(st.integers(-1, 1)))
    before = day - timedelta(days=1)
    rows = {}
    for _ in range(draw(st.integers(0, 4))):
        weekday = draw(st.sampled_from([day.weekday(), before.weekday()]))
        opens = draw(quarter)
        closes = draw(st.one_of(quarter, st.just(opens)))  # closes <= opens: past midnight (== : 24 hours)
        rows[(weekday, opens)] = closes
        if draw(st.booleans()):  # a row touching the end of this one
            follow = draw(quarter)
            rows.setdefault((weekday if closes > opens else (weekday + 1) % 7, closes), follow)
    hours = [(weekday, _wall(o), _wall(c)) for (weekday, o), c in rows.items()]

    def local_instant(days_from: int, q: int) -> datetime:
        return wall_time_to_utc(day + timedelta(days=days_from), _wall(q))

    closures = []
    for _ in range(draw(st.integers(0, 2))):
        start = local_instant(draw(st.integers(-1, 0)), draw(quarter))
        closures.append((start, start + timedelta(minutes=15 * draw(st.integers(1, 40)))))
    bookings = []
    for _ in range(draw(st.integers(0, 3))):
        start = local_instant(draw(st.integers(-1, 0)), draw(quarter))
        candidate = (start, start + timedelta(minutes=15 * draw(st.integers(1, 16))))
        if all(candidate[1] <= b[0] or b[1] <= candidate[0] for b, _ in bookings):  # as the constraint ensures
            bookings.append((candidate, draw(st.sampled_from(["requested", "confirmed"]))))
    period_day = st.one_of(st.none(), st.builds(lambda n: day + timedelta(days=n), st.integers(-1, 1)))
    available_from, available_until = draw(period_day), draw(period_day)
    if available_from and available_until and available_until < available_from:
        available_from, available_until = available_until, available_from
    starts = draw(st.integers(0, 94))
    ends = draw(st.integers(starts + 1, 95))
    # "Now" from three days before the day to late on the day itself, to the minute.
    now = wall_time_to_utc(day, time(0)) + timedelta(minutes=draw(st.integers(-3 * 1440, 1440 - 1)))
    return {
        "day": day, "hours": hours, "closures": closures, "bookings": bookings,
        "available_from": available_from, "available_until": available_until,
        "max_days_in_advance": draw(st.one_of(st.none(), st.integers(1, 4))),
        "booking_mode": draw(st.sampled_from(["instant", "on_request"])),
        "access": draw(st.sampled_from(["everyone", "listed", "provider"])),
        "from": _wall(starts), "to": _wall(ends), "now": now,
    }


def _window(sc) -> Interval | None:
    """The window in UTC, or None when it is empty or names a wall time that does not exist (spring gap)."""
    try:
        [interval] = expand(SeriesRequest(sc["day"], sc["from"], sc["to"], Frequency.ONCE, fold=0))
    except NonexistentTime:
        return None
    return interval


def _build(world, sc):
    session = world["session"]
    provider = world["group"] if sc["access"] == "provider" else create_organisation(session)
    space = create_space(session, organisation=provider, capacity=20, booking_mode=sc["booking_mode"],
                         bookable_by="everyone" if sc["access"] == "everyone" else "listed",
                         available_from=sc["available_from"], available_until=sc["available_until"],
                         max_days_in_advance=sc["max_days_in_advance"])
    if sc["access"] == "listed":
        session.execute(space_access.insert().values(space_id=space.id, organisation_id=world["group"].id))
    for weekday, opens, closes in sc["hours"]:
        session.add(OpeningHours(space_id=space.id, weekday=weekday, opens=opens, closes=closes))
    for start, end in sc["closures"]:
        session.add(Closure(space_id=space.id, during=Range(start, end, bounds="[)"), reason="zu"))
    for (start, end), status in sc["bookings"]:
        session.add(Booking(space_id=space.id, organisation_id=world["other"].id, during=Range(start, end, bounds="[)"),
                            status=status, attendees=5))
    session.flush()
    return space


def _inside(window: Interval, free: list[tuple[datetime, datetime]]) -> bool:
    return any(start <= window.start and window.end <= end for start, end in free)


def _hm(value: time) -> str:
    return value.strftime("%H:%M")


def _answers(world, space, sc, window: Interval) -> dict[str, bool]:
    client, session, day = world["client"], world["session"], sc["day"]
    auth = {"Authorization": f"Bearer {world['token']}"}
    answers = {}

    found = client.get(f"/api/spaces?date={day}&from={_hm(sc['from'])}&to={_hm(sc['to'])}&capacity={GROUP_SIZE}")
    if day < today_local():  # the clock is past the whole day: the search refuses it, which means "not free"
        assert found.status_code == 400 and "schon vorbei" in found.get_json()["error"], found.get_data(as_text=True)
        answers["search"] = False
    else:
        assert found.status_code == 200, found.get_data(as_text=True)
        answers["search"] = space.id in {f["id"] for f in found.get_json()["features"]}

    page = client.get(f"/raeume/{space.id}?woche={day}")
    assert page.status_code == 200
    blocks = re.findall(r'class="free" data-start="([^"]+)" data-end="([^"]+)"', page.get_data(as_text=True))
    answers["week view"] = _inside(window, [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in blocks])

    availability = client.get(f"/api/spaces/{space.id}/availability?from={day}&to={day}")
    assert availability.status_code == 200
    free = [(datetime.fromisoformat(i["start"]), datetime.fromisoformat(i["end"]))
            for i in availability.get_json()["free"]]
    answers["availability API"] = _inside(window, free)

    payload = {"space_id": space.id, "organisation_id": world["group"].id, "date": day.isoformat(),
               "from": _hm(sc["from"]), "to": _hm(sc["to"]), "attendees": GROUP_SIZE, "fold": 0, "dry_run": True}
    dry = client.post("/api/bookings", json=payload, headers=auth)
    assert dry.status_code == 200, dry.get_data(as_text=True)
    answers["dry-run booking"] = dry.get_json()["bookable"]

    pattern = TimePattern((day.weekday(),), sc["from"], sc["to"], day, day)
    duration = datetime.combine(day, sc["to"]) - datetime.combine(day, sc["from"])
    spec = NeedSpec(group_size=GROUP_SIZE, duration=duration, pattern=pattern, organisation_id=world["group"].id)
    offered = propose(spec, space_facts_for(session, spec, None), now=sc["now"], limit=1000, step_minutes=15)
    answers["proposals"] = any(p.space_id == space.id and window in p.dates for p in offered)
    return answers, payload, free


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(sc=scenarios())
def test_every_path_gives_the_same_answer(world, clock, sc):
    window = _window(sc)
    assume(window is not None)
    session, client = world["session"], world["client"]
    clock.set(sc["now"])
    savepoint = session.begin_nested()
    try:
        space = _build(world, sc)
        answers, payload, free_that_day = _answers(world, space, sc, window)
        assert len(set(answers.values())) == 1, (answers, sc)
        event("free" if answers["search"] else "not free")  # --hypothesis-show-statistics shows the mix
        # A date without times: listed exactly when the day shows some free time.
        if sc["day"] >= today_local():  # (a day in the past is refused, above)
            listed = client.get(f"/api/spaces?date={sc['day']}&capacity={GROUP_SIZE}").get_json()["features"]
            assert (space.id in {f["id"] for f in listed}) == bool(free_that_day), (free_that_day, sc)
        if answers["search"]:  # and when everyone says free, the booking goes through
            booked = client.post("/api/bookings", json={**payload, "dry_run": False},
                                 headers={"Authorization": f"Bearer {world['token']}"})
            assert booked.status_code == 201, booked.get_data(as_text=True)
    finally:
        savepoint.rollback()


# ----------------------------------------------------------------------------- the cases the issue names


@pytest.mark.parametrize(("name", "arrange", "free"), [
    pytest.param("touching rows", dict(hours=[(1, time(10), time(14)), (1, time(14), time(18))]), True,
                 id="touching-opening-rows"),
    pytest.param("after its end", dict(available_until=date(2027, 1, 11)), False, id="temporary-after-its-end"),
    pytest.param("before opening", dict(available_from=date(2027, 1, 13)), False, id="planned-before-opening"),
    pytest.param("ended 2020", dict(available_until=date(2020, 6, 30)), False, id="period-ended-in-2020"),
    pytest.param("30 days ahead", dict(max_days_in_advance=30), False, id="beyond-the-advance-window"),
    pytest.param("begun", dict(now=datetime(2027, 1, 12, 13, 30, tzinfo=BERLIN)), False, id="window-already-begun"),
])
def test_the_cases_that_disagreed(world, clock, name, arrange, free):
    """Tuesday 12 January 2027, 13:00-15:00; the clock at 1 December 2026 unless the case moves it."""
    sc = {"day": date(2027, 1, 12), "hours": [(1, time(9), time(21))], "closures": [], "bookings": [],
          "available_from": None, "available_until": None, "max_days_in_advance": None,
          "booking_mode": "on_request", "access": "everyone", "from": time(13), "to": time(15),
          "now": datetime(2026, 12, 1, 10, tzinfo=BERLIN), **arrange}
    clock.set(sc["now"])
    space = _build(world, sc)
    answers, payload, _ = _answers(world, space, sc, _window(sc))
    assert answers == dict.fromkeys(answers, free), name
    response = world["client"].post("/api/bookings", json={**payload, "dry_run": False},
                                    headers={"Authorization": f"Bearer {world['token']}"})
    assert response.status_code == (201 if free else 422), response.get_json()
    if not free:  # and the refusal says why, per date
        [problem] = response.get_json()["problems"]
        assert problem["start"] == "2027-01-12T13:00+01:00" and problem["problems"]


# ----------------------------------------------------------------------------- the week view and the popup


def _week_items(page: str) -> list[str]:
    """The week view's entries as text, day by day, in the order shown."""
    week = page[page.index('<ol class="week">'):page.index("</ol>", page.index('<ol class="week">'))]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
            for item in re.findall(r"<li[^>]*class=\"(?:free|busy|closed)\"[^>]*>.*?</li>", week, re.S)]


def test_the_week_view_is_in_time_order_and_offers_nothing_that_has_begun(world, clock):
    clock.set(datetime(2027, 1, 12, 12, 34, tzinfo=BERLIN))  # Tuesday, 12:34
    sc = {"day": date(2027, 1, 12), "hours": [(d, time(9), time(21)) for d in range(5)], "closures": [],
          "bookings": [((datetime(2027, 1, 12, 15, tzinfo=BERLIN), datetime(2027, 1, 12, 16, tzinfo=BERLIN)),
                        "confirmed"),
                       ((datetime(2027, 1, 13, 10, tzinfo=BERLIN), datetime(2027, 1, 13, 11, tzinfo=BERLIN)),
                        "confirmed")],
          "available_from": None, "available_until": None, "max_days_in_advance": None,
          "booking_mode": "instant", "access": "everyone"}
    space = _build(world, sc)
    items = _week_items(world["client"].get(f"/raeume/{space.id}?woche=2027-01-12").get_data(as_text=True))
    assert items[:5] == ["vorbei",  # Monday has passed
                         "12:34–15:00 frei", "15:00–16:00 belegt", "16:00–21:00 frei",  # Tuesday from now on
                         "09:00–10:00 frei"]  # Wednesday, before its booking
    assert items[5:7] == ["10:00–11:00 belegt", "11:00–21:00 frei"]


def test_a_space_whose_period_ended_shows_no_free_week_and_no_booking_button(world, clock):
    clock.set(datetime(2027, 1, 12, 9, tzinfo=BERLIN))
    sc = {"day": date(2027, 1, 12), "hours": [(d, time(9), time(21)) for d in range(7)], "closures": [],
          "bookings": [], "available_from": None, "available_until": date(2020, 6, 30), "max_days_in_advance": None,
          "booking_mode": "instant", "access": "everyone"}
    space = _build(world, sc)
    page = world["client"].get(f"/raeume/{space.id}").get_data(as_text=True)
    assert 'class="free"' not in page and "Jetzt buchen" not in page and "Jetzt anfragen" not in page
    assert "Dieser Raum ist nicht mehr buchbar." in page
    details = world["client"].get(f"/api/spaces/{space.id}").get_json()["properties"]
    assert details["next_free"] is None and details["bookable"] is False


def test_the_popup_offers_a_planned_space_from_its_opening_and_says_the_advance_limit(world, clock):
    clock.set(datetime(2027, 1, 12, 9, tzinfo=BERLIN))
    sc = {"day": date(2027, 1, 12), "hours": [(d, time(9), time(21)) for d in range(7)], "closures": [],
          "bookings": [], "available_from": date(2027, 1, 15), "available_until": None, "max_days_in_advance": 30,
          "booking_mode": "instant", "access": "everyone"}
    space = _build(world, sc)
    details = world["client"].get(f"/api/spaces/{space.id}").get_json()["properties"]
    assert details["next_free"] == {"start": "2027-01-15T09:00+01:00", "end": "2027-01-15T21:00+01:00"}
    page = world["client"].get(f"/raeume/{space.id}").get_data(as_text=True)
    assert "Buchbar höchstens 30 Tage im Voraus, also bis einschließlich 11.02.2027." in page
    beyond = world["client"].get(f"/raeume/{space.id}?woche=2027-02-15").get_data(as_text=True)
    assert 'class="free"' not in beyond and "noch nicht buchbar" in beyond
