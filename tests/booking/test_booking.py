"""Booking: the rules (spaces.booking.rules), the HTML pages, the JSON API and the iCalendar feeds.

The service's clock stands at Monday 23 November 2026, 10:00 in Hannover (the `now` fixture
below), so every slot lies in the future: Tuesdays from 7 December 2027 (winter time, and no
more than 400 days ahead, the feeds' horizon) and the daylight-saving changes of 2027. The rooms
are built here with hand-written opening hours, mostly "Tuesday 17:00–22:00", so that every
expectation can be worked out by hand: Tuesday 7 December 2027, 18:00–20:00 in Hannover is 17:00–19:00 UTC.

Logging in: the JSON API is used with personal API tokens (`Authorization: Bearer`, no CSRF);
the HTML pages with a login session opened as POST /anmelden would open it (the session
cookie holds the login-session token) and real CSRF tokens read from the pages. Only two
tests go through the login form itself: its rate limit counts outside the test transaction.
"""

from __future__ import annotations

import re
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from factories import create_booking, create_organisation, create_space, csrf_of, log_in, make_manager, utc
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Range

from spaces.accounts import service as accounts
from spaces.booking import rules
from spaces.booking import service as booking_service
from spaces.models import (
    AuditEntry,
    Booking,
    BookingSeries,
    Closure,
    OpeningHours,
    Organisation,
    Role,
    Space,
    User,
)

PASSWORD = "ein-langes-passwort"
TUESDAY = date(2027, 12, 7)  # 18:00–20:00 local = 17:00–19:00 UTC (CET)
TUESDAY_EVENING = ((1, time(17), time(22)),)
ALL_DAY_SUNDAY = ((6, time(0), time(0)),)  # opens == closes: the whole day
NOT_FOUND = "Diese Buchung gibt es nicht, oder sie gehört einer anderen Gruppe."
NOT_A_MEMBER = "Sie können nur für eine Gruppe buchen, in der Sie Mitglied sind."
TAKEN = "Zu dieser Zeit ist der Raum schon belegt."


# ----------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def now(clock):
    """Monday 23 November 2026, 10:00 in Hannover, whatever the date of the test run."""
    clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC))
    return clock.now


pytestmark = pytest.mark.usefixtures("fast_password_hashes")


@pytest.fixture
def new_client(app, client):
    """More test clients (conftest's IsolatedClient: an app context per request), one per person."""

    def make(remote_addr: str = "192.0.2.10"):
        new = app.test_client()
        new.environ_base["REMOTE_ADDR"] = remote_addr
        return new

    return make


def person(session, name: str, organisation_name: str = "") -> User:
    return accounts.register(session, email=f"{name.lower()}@example.org", display_name=name, password=PASSWORD,
                             organisation_name=organisation_name)


def manager_for(session, name: str, organisation: Organisation) -> User:
    user = person(session, name)
    make_manager(session, user, organisation)
    return user


def make_room(session, organisation: Organisation, *, name: str, hours=TUESDAY_EVENING, **params) -> Space:
    space = create_space(session, organisation=organisation, name=name,
                         **{"booking_mode": "instant", "capacity": 20, **params})
    for weekday, opens, closes in hours:
        session.add(OpeningHours(space_id=space.id, weekday=weekday, opens=opens, closes=closes))
    session.flush()
    return space


def login(client, session, user: User):
    """Log in as POST /anmelden does; returns the client."""
    log_in(client, session, user)
    return client


def csrf(client, path: str = "/meine-buchungen") -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return csrf_of(response)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def slot(space: Space, organisation: Organisation, day: date = TUESDAY, start: str = "18:00", end: str = "20:00",
         **extra) -> dict:
    return {"space_id": space.id, "organisation_id": organisation.id, "date": day.isoformat(), "from": start,
            "to": end, "attendees": 12, **extra}


def status_in_db(session, booking_id: int) -> str:
    return session.scalar(select(Booking.status).where(Booking.id == booking_id))


def bookings_of(session, organisation: Organisation) -> list[Booking]:
    session.expire_all()
    return session.scalars(select(Booking).where(Booking.organisation_id == organisation.id)
                           .order_by(Booking.during)).all()


def starts_utc(bookings) -> list[datetime]:
    return [b.during.lower.astimezone(UTC) for b in bookings]


def text_of(response) -> str:
    return response.get_data(as_text=True)


@dataclass
class World:
    provider: Organisation  # provides the rooms
    manager: User  # space manager of the provider
    alice: User
    choir: Organisation  # alice's initiative
    alice_token: str
    bob: User
    tenants: Organisation  # bob's initiative
    bob_token: str
    room: Space  # instant, 20 people, Tuesday 17–22
    request_room: Space  # on request, 20 people, Tuesday 17–22


@pytest.fixture
def w(session) -> World:
    provider = create_organisation(session, name="Stadtteilhaus Linden e. V.")
    manager = manager_for(session, "Marta", provider)
    alice = person(session, "Alice", "Chor Linden-Süd")
    bob = person(session, "Bob", "Mietertreff Fössestraße")
    return World(
        provider=provider, manager=manager,
        alice=alice, choir=alice.organisations[0], alice_token=accounts.create_api_token(session, alice, "t"),
        bob=bob, tenants=bob.organisations[0], bob_token=accounts.create_api_token(session, bob, "t"),
        room=make_room(session, provider, name="Saal"),
        request_room=make_room(session, provider, name="Clubraum", booking_mode="on_request"),
    )


def api_book(client, token: str, payload: dict):
    return client.post("/api/bookings", json=payload, headers=bearer(token))


@pytest.fixture
def api(new_client):
    return new_client("192.0.2.20")


# ----------------------------------------------------------------------------- 1. every check refuses


def _closure(session, w, start, end, reason):
    session.add(Closure(space_id=w.room.id, during=Range(start, end, bounds="[)"), reason=reason))
    session.flush()
    return {}


def _set(**attributes):
    def apply(session, w):
        for key, value in attributes.items():
            setattr(w.room, key, value)
        session.flush()
        return {}

    return apply


def _taken(status):
    def apply(session, w):
        create_booking(session, w.room, utc(2027, 12, 7, 18), hours=2, status=status, organisation_id=w.tenants.id)
        return {}

    return apply


def _listed(session, w):
    w.room.bookable_by = "listed"
    w.room.allowed_organisations.append(w.tenants)
    session.flush()
    return {}


REFUSALS = [
    pytest.param(lambda s, w: {"from": "16:00", "to": "18:00"}, "Außerhalb der Öffnungszeiten.", id="before-opening"),
    pytest.param(lambda s, w: {"from": "21:00", "to": "22:30"}, "Außerhalb der Öffnungszeiten.", id="after-closing"),
    pytest.param(lambda s, w: {"date": "2027-12-08"}, "Außerhalb der Öffnungszeiten.", id="closed-weekday"),
    pytest.param(lambda s, w: _closure(s, w, utc(2027, 12, 7, 6), utc(2027, 12, 7, 22), "Wasserschaden"),
                 "Geschlossen: Wasserschaden.", id="closure"),
    pytest.param(lambda s, w: _closure(s, w, utc(2027, 12, 7, 18, 30), utc(2027, 12, 7, 18, 45), ""),
                 "Geschlossen.", id="closure-inside-slot-without-reason"),
    pytest.param(_set(available_from=date(2027, 12, 8)), "Den Raum gibt es erst ab 08.12.2027.",
                 id="before-available-from"),
    pytest.param(_set(available_until=date(2027, 12, 6)), "Den Raum gibt es nur bis 06.12.2027.",
                 id="after-available-until"),
    pytest.param(lambda s, w: {"attendees": 21}, "Der Raum fasst 20 Personen, angefragt sind 21.", id="capacity"),
    pytest.param(lambda s, w: {"attendees": 0}, "Bitte die Zahl der Teilnehmenden angeben (mindestens 1).",
                 id="no-attendees"),
    pytest.param(_set(max_days_in_advance=3), "Buchbar höchstens 3 Tage im Voraus (bis einschließlich 26.11.2026).",
                 id="max-days-in-advance"),
    pytest.param(lambda s, w: {"date": "2026-11-17"}, "Dieser Termin liegt in der Vergangenheit.", id="past"),
    pytest.param(_taken("confirmed"), TAKEN, id="overlaps-confirmed"),
    pytest.param(_taken("requested"), TAKEN, id="overlaps-requested"),
    pytest.param(_set(booking_mode="not_bookable"), "Dieser Ort ist nicht buchbar.", id="not-bookable"),
    pytest.param(_listed, "Chor Linden-Süd darf diesen Raum nicht buchen (nur freigegebene Gruppen).",
                 id="listed-only"),
]


@pytest.mark.parametrize("arrange, message", REFUSALS)
def test_each_check_refuses_with_a_german_reason(session, w, api, arrange, message):
    payload = slot(w.room, w.choir, **arrange(session, w))
    response = api_book(api, w.alice_token, payload)
    assert response.status_code == (409 if message == TAKEN else 422), response.get_json()
    body = response.get_json()
    assert body["error"] == message
    assert [p["problems"] for p in body["problems"]] == [[message]]
    assert bookings_of(session, w.choir) == []


ALLOWED = [
    pytest.param(lambda s, w: {"from": "17:00", "to": "22:00"}, id="exactly-the-opening-hours"),
    pytest.param(lambda s, w: {"attendees": 20}, id="exactly-the-capacity"),
    pytest.param(_set(available_from=TUESDAY, available_until=TUESDAY), id="first-and-last-available-day"),
    pytest.param(lambda s, w: _closure(s, w, utc(2027, 12, 7, 6), utc(2027, 12, 7, 17), "vormittags zu"),
                 id="closure-ending-at-the-start"),
    pytest.param(lambda s, w: (create_booking(s, w.room, utc(2027, 12, 7, 19), hours=2), {})[1],
                 id="booking-touching-the-end"),
    pytest.param(_taken("cancelled"), id="cancelled-booking-frees-the-slot"),
    pytest.param(_taken("declined"), id="declined-booking-frees-the-slot"),
    pytest.param(lambda s, w: (_listed(s, w), {"organisation_id": w.tenants.id})[1], id="listed-organisation"),
]


@pytest.mark.parametrize("arrange", ALLOWED)
def test_what_the_checks_allow(session, w, api, arrange):
    overrides = arrange(session, w)
    token = w.bob_token if overrides.get("organisation_id") == w.tenants.id else w.alice_token
    response = api_book(api, token, slot(w.room, w.choir, **overrides))
    assert response.status_code == 201, response.get_json()
    [booking] = response.get_json()["bookings"]
    assert booking["status"] == "confirmed"


def test_the_owner_may_book_its_own_listed_room(session, w, api):
    w.room.bookable_by = "listed"
    session.flush()
    token = accounts.create_api_token(session, w.manager, "t")
    response = api_book(api, token, slot(w.room, w.provider))
    assert response.status_code == 201, response.get_json()


def test_several_problems_of_one_slot_are_all_named(session, w, api):
    w.room.max_days_in_advance = 3
    session.flush()
    response = api_book(api, w.alice_token, slot(w.room, w.choir, start="16:00", attendees=25))
    assert response.status_code == 422
    assert response.get_json()["error"] == ("Der Raum fasst 20 Personen, angefragt sind 25. "
                                            "Buchbar höchstens 3 Tage im Voraus (bis einschließlich 26.11.2026). "
                                            "Außerhalb der Öffnungszeiten.")


@pytest.mark.parametrize("whose", ["another-group", "nonexistent"])
def test_booking_for_an_organisation_one_is_not_a_member_of_is_forbidden(session, w, api, whose):
    organisation_id = w.tenants.id if whose == "another-group" else 999_999
    response = api_book(api, w.alice_token, slot(w.room, w.choir, organisation_id=organisation_id))
    assert response.status_code == 403
    assert response.get_json()["error"] == NOT_A_MEMBER
    assert bookings_of(session, w.tenants) == []


def test_book_refuses_a_non_member_in_the_service_too(session, w):
    interval = rules.Interval(utc(2027, 12, 7, 17), utc(2027, 12, 7, 19))
    with pytest.raises(rules.Forbidden, match=NOT_A_MEMBER):
        booking_service.request_booking(session, space=w.room, user=w.alice, organisation=w.tenants,
                                        slots=[interval], attendees=5)


@pytest.mark.parametrize("second", [("18:00", "20:00"), ("19:00", "21:00"), ("17:00", "18:01")],
                         ids=["same-slot", "overlapping-later", "overlapping-earlier"])
def test_the_second_request_for_a_slot_is_refused(session, w, api, second):
    first = api_book(api, w.alice_token, slot(w.room, w.choir))
    assert first.status_code == 201
    response = api_book(api, w.bob_token, slot(w.room, w.tenants, start=second[0], end=second[1]))
    assert response.status_code == 409  # taken: the same answer as when the database's constraint notices it
    assert response.get_json()["error"] == TAKEN
    assert bookings_of(session, w.tenants) == []


def test_a_lost_race_is_409_and_writes_nothing(session, w, api, monkeypatch):
    """When another request wins between check and write, the exclusion constraint refuses all slots."""
    create_booking(session, w.room, utc(2027, 12, 14, 17), organisation_id=w.tenants.id)
    monkeypatch.setattr(rules, "check_slots",
                        lambda session, space, intervals, **kw: [rules.SlotCheck(i) for i in intervals])
    response = api_book(api, w.alice_token, slot(w.room, w.choir, frequency="weekly", until="2027-12-21"))
    assert response.status_code == 409
    assert response.get_json()["error"] == ("Jemand anderes hat diesen Termin gerade gebucht. "
                                            "Bitte einen anderen wählen.")
    assert bookings_of(session, w.choir) == []
    assert session.scalar(select(func.count()).select_from(BookingSeries)
                          .where(BookingSeries.organisation_id == w.choir.id)) == 0


# ----------------------------------------------------------------------------- 2. a series across the DST change


def test_weekly_series_keeps_local_time_across_the_end_of_summer_time(session, w, api):
    response = api_book(api, w.alice_token, slot(w.room, w.choir, day=date(2027, 10, 5), frequency="weekly",
                                                 until="2027-11-30", purpose="Chorprobe"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["skipped"] == []
    assert len(body["bookings"]) == 9
    assert [b["start"] for b in body["bookings"][3:5]] == ["2027-10-26T18:00+02:00", "2027-11-02T18:00+01:00"]
    assert {b["series_id"] for b in body["bookings"]} == {body["series_id"]}

    created = bookings_of(session, w.choir)
    summer = [utc(2027, 10, d, 16) for d in (5, 12, 19, 26)]
    winter = [utc(2027, 11, d, 17) for d in (2, 9, 16, 23, 30)]
    assert starts_utc(created) == summer + winter
    assert all(b.during.upper - b.during.lower == timedelta(hours=2) for b in created)
    assert all(b.status == "confirmed" for b in created)
    series = session.get(BookingSeries, created[0].series_id)
    assert (series.first_day, series.starts, series.ends, series.until) == \
        (date(2027, 10, 5), time(18), time(20), date(2027, 11, 30))
    assert series.rrule.startswith("FREQ=WEEKLY")
    assert series.description == "jeden Dienstag, 18:00–20:00 Uhr, vom 5.10.2027 bis 30.11.2027 (9 Termine)"


# ----------------------------------------------------------------------------- 3. series with conflicts


@pytest.fixture
def december_conflicts(session, w):
    """A weekly Tuesday series, 7 Dec 2027 to 4 Jan 2028 (5 dates), of which the 14th is taken and the 28th closed."""
    create_booking(session, w.room, utc(2027, 12, 14, 17, 30), hours=1, organisation_id=w.tenants.id)
    _closure(session, w, utc(2027, 12, 27, 23), utc(2027, 12, 29, 23), "Weihnachtsputz")
    return slot(w.room, w.choir, frequency="weekly", until="2028-01-04", purpose="Chorprobe")


def test_api_refuses_a_series_with_conflicts_as_a_whole(session, w, api, december_conflicts):
    response = api_book(api, w.alice_token, december_conflicts)
    assert response.status_code == 409  # one of them is taken
    body = response.get_json()
    assert body["error"] == "2 von 5 Terminen sind nicht buchbar."
    assert [(p["start"], p["problems"]) for p in body["problems"]] == [
        ("2027-12-14T18:00+01:00", [TAKEN]),
        ("2027-12-28T18:00+01:00", ["Geschlossen: Weihnachtsputz."]),
    ]
    assert bookings_of(session, w.choir) == []


def test_api_books_the_rest_with_skip_conflicts(session, w, api, december_conflicts, outbox):
    response = api_book(api, w.alice_token, {**december_conflicts, "skip_conflicts": True})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [b["start"] for b in body["bookings"]] == \
        ["2027-12-07T18:00+01:00", "2027-12-21T18:00+01:00", "2028-01-04T18:00+01:00"]
    assert [(s["start"], s["problems"]) for s in body["skipped"]] == [
        ("2027-12-14T18:00+01:00", [TAKEN]),
        ("2027-12-28T18:00+01:00", ["Geschlossen: Weihnachtsputz."]),
    ]
    created = bookings_of(session, w.choir)
    assert starts_utc(created) == [utc(2027, 12, 7, 17), utc(2027, 12, 21, 17), utc(2028, 1, 4, 17)]
    assert {str(b.series_id) for b in created} == {body["series_id"]}
    assert [m["To"] for m in outbox] == ["alice@example.org"]
    assert outbox[0]["Subject"] == "Raumfinder: Saal bestätigt"


def test_skip_conflicts_when_nothing_is_left(session, w, api):
    create_booking(session, w.room, utc(2027, 12, 7, 17), organisation_id=w.tenants.id)
    response = api_book(api, w.alice_token, slot(w.room, w.choir, skip_conflicts=True))
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "Keiner der Termine ist buchbar."
    assert [(p["start"], p["problems"], p["codes"]) for p in body["problems"]] == [
        ("2027-12-07T18:00+01:00", [TAKEN], ["taken"])]
    assert bookings_of(session, w.choir) == []


def _form(organisation: Organisation, day: str, starts: str, ends: str, token: str, **extra) -> dict:
    return {"csrf_token": token, "organisation": str(organisation.id), "day": day, "starts": starts, "ends": ends,
            "frequency": "once", "attendees": "12", "purpose": "Chorprobe", **extra}


def test_html_form_lists_the_conflicting_dates_then_books_the_rest(session, w, new_client, december_conflicts,
                                                                   outbox):
    browser = login(new_client(), session, w.alice)
    path = f"/raeume/{w.room.id}/buchen"
    token = csrf(browser, path)
    form = _form(w.choir, "2027-12-07", "18:00", "20:00", token, frequency="weekly", until="2028-01-04")
    refused = browser.post(path, data=form)
    assert refused.status_code == 409
    page = text_of(refused)
    assert "2 von 5 Terminen sind nicht buchbar." in page
    assert f"<strong>Di 14.12.2027 18:00–20:00</strong>: {TAKEN}" in page
    assert "<strong>Di 28.12.2027 18:00–20:00</strong>: Geschlossen: Weihnachtsputz." in page
    assert "Di 07.12.2027" not in page
    assert 'name="skip_conflicts"' in page
    assert bookings_of(session, w.choir) == []

    booked = browser.post(path, data={**form, "skip_conflicts": "y"})
    assert booked.status_code == 302 and booked.headers["Location"].endswith("/meine-buchungen")
    mine = text_of(browser.get("/meine-buchungen"))
    assert "3 Termine gebucht. 2 Termine wurden ausgelassen." in mine
    for day in ("07.12.2027", "21.12.2027", "04.01.2028"):
        assert f"Di {day} 18:00–20:00" in mine
    assert starts_utc(bookings_of(session, w.choir)) == \
        [utc(2027, 12, 7, 17), utc(2027, 12, 21, 17), utc(2028, 1, 4, 17)]
    assert [m["To"] for m in outbox] == ["alice@example.org"]


# ----------------------------------------------------------------------------- 4. requests and the managers' inbox


@pytest.fixture
def other_manager(session):
    """A space manager of another provider, with a request of his own in his inbox."""
    church = create_organisation(session, name="Kirchengemeinde Bethlehem")
    mallory = manager_for(session, "Mallory", church)
    hall = make_room(session, church, name="Gemeindesaal", booking_mode="on_request")
    create_booking(session, hall, utc(2027, 12, 7, 17), status="requested", organisation_id=church.id)
    return mallory


def _request(session, w, api, **extra):
    response = api_book(api, w.alice_token, slot(w.request_room, w.choir, **{"purpose": "Chorprobe", **extra}))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["bookings"]


def test_a_request_waits_in_the_inbox_and_is_accepted_with_a_note(session, w, api, new_client, outbox,
                                                                   other_manager):
    [requested] = _request(session, w, api)
    assert requested["status"] == "requested"
    assert [(m["To"], m["Subject"]) for m in outbox] == [
        ("alice@example.org", "Raumfinder: Clubraum angefragt"),
        ("marta@example.org", "Raumfinder: neue Anfrage für Clubraum"),
    ]
    assert "Di 07.12.2027 18:00–20:00" in outbox[1].get_content()
    outbox.clear()

    # The manager logs in through the form (with the CSRF token of the login page).
    marta = new_client("198.51.100.7")
    login_page = text_of(marta.get("/anmelden"))
    response = marta.post("/anmelden?next=/verwaltung/anfragen",
                          data={"csrf_token": csrf_of(login_page), "email": "marta@example.org",
                                "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/verwaltung/anfragen"
    inbox = text_of(marta.get("/verwaltung/anfragen"))
    assert f'data-booking="{requested["id"]}"' in inbox
    assert "Clubraum" in inbox and "Chor Linden-Süd" in inbox and "Di 07.12.2027 18:00–20:00" in inbox
    assert 'data-confirm="Die Anfrage für Di 07.12.2027 18:00–20:00 in Clubraum ablehnen?"' in inbox
    assert "Gemeindesaal" not in inbox  # another provider's request

    # ... and the other provider's manager does not see it.
    mallory = login(new_client(), session, other_manager)
    assert f'data-booking="{requested["id"]}"' not in text_of(mallory.get("/verwaltung/anfragen"))

    response = marta.post(f"/buchungen/{requested['id']}/annehmen",
                          data={"csrf_token": csrf_of(inbox), "note": "Schlüssel beim Hausmeister"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/verwaltung/anfragen")
    session.expire_all()
    booking = session.get(Booking, requested["id"])
    assert booking.status == "confirmed"
    assert booking.decided_by_id == w.manager.id and booking.decided_at is not None
    assert booking.decision_note == "Schlüssel beim Hausmeister"
    [mail] = outbox
    assert (mail["To"], mail["Subject"]) == ("alice@example.org", "Raumfinder: Clubraum bestätigt")
    assert "Di 07.12.2027 18:00–20:00: bestätigt." in mail.get_content()
    assert "Notiz der Raumverwaltung: Schlüssel beim Hausmeister" in mail.get_content()
    after = text_of(marta.get("/verwaltung/anfragen"))
    assert f'data-booking="{requested["id"]}"' not in after
    assert "Angenommen: Di 07.12.2027 18:00–20:00 in Clubraum für Chor Linden-Süd." in after

    # The group sees the decision and the note.
    mine = text_of(login(new_client(), session, w.alice).get("/meine-buchungen"))
    assert "bestätigt" in mine and "Notiz der Raumverwaltung: Schlüssel beim Hausmeister" in mine


def test_a_declined_request_frees_the_slot(session, w, api, new_client, outbox):
    [requested] = _request(session, w, api)
    marta = login(new_client(), session, w.manager)
    token = csrf(marta, "/verwaltung/anfragen")
    outbox.clear()
    response = marta.post(f"/buchungen/{requested['id']}/ablehnen", data={"csrf_token": token, "note": "Renovierung"})
    assert response.status_code == 302
    assert "Abgelehnt: Di 07.12.2027 18:00–20:00 in Clubraum für Chor Linden-Süd." in text_of(
        marta.get("/verwaltung/anfragen"))
    assert status_in_db(session, requested["id"]) == "declined"
    [mail] = outbox
    assert (mail["To"], mail["Subject"]) == ("alice@example.org", "Raumfinder: Clubraum abgelehnt")
    assert "Notiz der Raumverwaltung: Renovierung" in mail.get_content()

    again = api_book(api, w.bob_token, slot(w.request_room, w.tenants))
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["bookings"][0]["status"] == "requested"


def test_decisions_through_the_api(session, w, api):
    [first] = _request(session, w, api)
    [second] = _request(session, w, api, date="2027-12-14")
    token = accounts.create_api_token(session, w.manager, "t")
    accepted = api.post(f"/api/bookings/{first['id']}/decision", json={"accept": True, "note": "Gern!"},
                        headers=bearer(token))
    assert accepted.status_code == 200
    assert (accepted.get_json()["status"], accepted.get_json()["decision_note"]) == ("confirmed", "Gern!")
    declined = api.post(f"/api/bookings/{second['id']}/decision", json={"accept": False}, headers=bearer(token))
    assert declined.get_json()["status"] == "declined"

    twice = api.post(f"/api/bookings/{first['id']}/decision", json={"accept": False}, headers=bearer(token))
    assert twice.status_code == 409
    assert twice.get_json()["error"] == "Über diese Anfrage ist schon entschieden: sie ist angenommen."
    assert status_in_db(session, first["id"]) == "confirmed"

    bad = api.post(f"/api/bookings/{first['id']}/decision", json={"accept": "ja"}, headers=bearer(token))
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "accept: true (annehmen) oder false (ablehnen)."


@pytest.mark.parametrize("action", ["accept", "decline", "cancel"])
def test_the_api_tells_the_group_like_the_pages_do(session, w, api, outbox, action):
    [requested] = _request(session, w, api)
    outbox.clear()
    token = accounts.create_api_token(session, w.manager, "t")
    if action == "cancel":
        response = api.post(f"/api/bookings/{requested['id']}/cancel", json={}, headers=bearer(token))
    else:
        response = api.post(f"/api/bookings/{requested['id']}/decision", json={"accept": action == "accept"},
                            headers=bearer(token))
    assert response.status_code == 200
    word = {"accept": "bestätigt", "decline": "abgelehnt", "cancel": "abgesagt"}[action]
    assert [(m["To"], m["Subject"]) for m in outbox] == [("alice@example.org", f"Raumfinder: Clubraum {word}")]


def test_the_requesting_group_cannot_decide_its_own_request(session, w, api):
    [requested] = _request(session, w, api)
    response = api.post(f"/api/bookings/{requested['id']}/decision", json={"accept": True},
                        headers=bearer(w.alice_token))
    assert response.status_code == 403
    assert response.get_json()["error"] == "Über Anfragen entscheidet nur die Raumverwaltung dieses Raums."
    assert status_in_db(session, requested["id"]) == "requested"


def test_a_plain_member_may_not_open_the_inbox(session, w, new_client):
    response = login(new_client(), session, w.alice).get("/verwaltung/anfragen")
    assert response.status_code == 403
    assert "Die Anfragen sieht nur die Raumverwaltung." in text_of(response)


def test_a_qm_admin_sees_and_decides_every_request(session, w, api, new_client, other_manager):
    [requested] = _request(session, w, api)
    admin = person(session, "Quentin")
    admin.role = Role.QM_ADMIN
    session.flush()
    browser = login(new_client(), session, admin)
    inbox = text_of(browser.get("/verwaltung/anfragen"))
    assert f'data-booking="{requested["id"]}"' in inbox and "Gemeindesaal" in inbox
    response = browser.post(f"/buchungen/{requested['id']}/annehmen", data={"csrf_token": csrf_of(inbox)})
    assert response.status_code == 302
    assert status_in_db(session, requested["id"]) == "confirmed"


def test_the_inbox_needs_a_login(new_client):
    response = new_client().get("/verwaltung/anfragen")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {"next": ["/verwaltung/anfragen"]}


# ----------------------------------------------------------------------------- 5. cancellations


@pytest.fixture
def december_series(session, w, api):
    response = api_book(api, w.alice_token, slot(w.room, w.choir, frequency="weekly", until="2028-01-04"))
    assert response.status_code == 201, response.get_json()
    return [b["id"] for b in response.get_json()["bookings"]]


def test_cancel_one_date_of_a_series(session, w, api, december_series):
    response = api.post(f"/api/bookings/{december_series[1]}/cancel", json={}, headers=bearer(w.alice_token))
    assert response.status_code == 200
    assert [b["id"] for b in response.get_json()["cancelled"]] == [december_series[1]]
    assert [status_in_db(session, i) for i in december_series] == \
        ["confirmed", "cancelled", "confirmed", "confirmed", "confirmed"]
    booking = session.get(Booking, december_series[1])
    session.refresh(booking)
    assert booking.cancelled_by_id == w.alice.id and booking.cancelled_at is not None


def test_cancel_the_rest_of_a_series_keeps_the_earlier_dates(session, w, api, december_series):
    response = api.post(f"/api/bookings/{december_series[2]}/cancel", json={"rest_of_series": True},
                        headers=bearer(w.alice_token))
    assert response.status_code == 200
    assert sorted(b["id"] for b in response.get_json()["cancelled"]) == december_series[2:]
    assert [status_in_db(session, i) for i in december_series] == \
        ["confirmed", "confirmed", "cancelled", "cancelled", "cancelled"]


def test_cancelling_frees_the_slot_and_twice_is_409(session, w, api, december_series):
    first = api.post(f"/api/bookings/{december_series[0]}/cancel", json={}, headers=bearer(w.alice_token))
    assert first.status_code == 200
    again = api.post(f"/api/bookings/{december_series[0]}/cancel", json={}, headers=bearer(w.alice_token))
    assert again.status_code == 409
    assert again.get_json()["error"] == "Diese Buchung ist schon abgesagt oder abgelehnt."
    response = api_book(api, w.bob_token, slot(w.room, w.tenants))
    assert response.status_code == 201, response.get_json()


def test_cancel_in_the_browser_with_the_rest_of_the_series(session, w, api, new_client, december_series, outbox):
    browser = login(new_client(), session, w.alice)
    mine = text_of(browser.get("/meine-buchungen"))
    assert all(f'data-booking="{i}"' in mine for i in december_series)
    response = browser.post(f"/buchungen/{december_series[3]}/absagen",
                            data={"csrf_token": csrf_of(mine), "rest_of_series": "y"})
    assert response.status_code == 302
    assert [status_in_db(session, i) for i in december_series] == \
        ["confirmed", "confirmed", "confirmed", "cancelled", "cancelled"]
    after = text_of(browser.get("/meine-buchungen"))
    assert "2 Termine in Saal abgesagt, vom Di 28.12.2027 18:00–20:00 an." in after
    # every cancel button asks first, naming the date; it looks destructive, not like the primary button
    assert re.search(r'class="danger"\s+data-confirm="Den Termin Di 21.12.2027 18:00–20:00 in Saal absagen\?', after)
    [mail] = outbox[-1:]
    assert (mail["To"], mail["Subject"]) == ("alice@example.org", "Raumfinder: Saal abgesagt")
    assert "Saal: Di 28.12.2027 18:00–20:00, Di 04.01.2028 18:00–20:00 – abgesagt von Alice." in mail.get_content()

    token = csrf(browser)
    response = browser.post(f"/buchungen/{december_series[3]}/absagen", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Diese Buchung ist schon abgesagt oder abgelehnt." in text_of(browser.get("/meine-buchungen"))


def test_cancel_without_a_body(session, w, api, december_series):
    response = api.post(f"/api/bookings/{december_series[0]}/cancel", headers=bearer(w.alice_token))
    assert response.status_code == 200
    assert status_in_db(session, december_series[0]) == "cancelled"


def test_the_space_manager_may_cancel_a_groups_booking(session, w, api, december_series):
    token = accounts.create_api_token(session, w.manager, "t")
    response = api.post(f"/api/bookings/{december_series[0]}/cancel", json={}, headers=bearer(token))
    assert response.status_code == 200
    assert status_in_db(session, december_series[0]) == "cancelled"


# ----------------------------------------------------------------------------- 6. audit log


def audit_of(session, booking_id: int) -> list[tuple[str, int | None]]:
    return [(e.action, e.actor_id) for e in session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "bookings", AuditEntry.object_id == str(booking_id))
        .order_by(AuditEntry.id))]


def test_audit_entries_for_created_accepted_declined_and_cancelled(session, w, api):
    [accepted] = _request(session, w, api)
    [declined] = _request(session, w, api, date="2027-12-14")
    manager_token = accounts.create_api_token(session, w.manager, "t")
    api.post(f"/api/bookings/{accepted['id']}/decision", json={"accept": True, "note": "ok"},
             headers=bearer(manager_token))
    api.post(f"/api/bookings/{declined['id']}/decision", json={"accept": False}, headers=bearer(manager_token))
    api.post(f"/api/bookings/{accepted['id']}/cancel", json={}, headers=bearer(w.alice_token))

    assert audit_of(session, accepted["id"]) == [
        ("booking.created", w.alice.id), ("booking.accepted", w.manager.id), ("booking.cancelled", w.alice.id)]
    assert audit_of(session, declined["id"]) == [("booking.created", w.alice.id), ("booking.declined", w.manager.id)]
    created = session.scalars(select(AuditEntry).where(AuditEntry.action == "booking.created",
                                                       AuditEntry.object_id == str(accepted["id"]))).one()
    assert created.details["status"] == "requested" and created.details["space_id"] == w.request_room.id
    assert created.details["start"].startswith("2027-12-07T17:00:00")
    note = session.scalars(select(AuditEntry).where(AuditEntry.action == "booking.accepted",
                                                    AuditEntry.object_id == str(accepted["id"]))).one()
    assert note.details == {"note": "ok"} and note.at is not None


# ----------------------------------------------------------------------------- 7. feeds


def events_of(response) -> list:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return [c for c in Calendar.from_ical(response.data).walk("VEVENT")]


def _utc_of(event, name):
    value = event.decoded(name)
    assert value.utcoffset() == timedelta(0), (name, value)
    return value.astimezone(UTC)


@pytest.fixture
def feed_bookings(session, w):
    return {
        "public": create_booking(session, w.room, utc(2027, 12, 7, 17), organisation_id=w.choir.id,
                                 purpose="Offenes Singen", is_public=True),
        "private": create_booking(session, w.room, utc(2027, 12, 14, 17), organisation_id=w.choir.id,
                                  purpose="Vorstandssitzung vertraulich"),
        "requested": create_booking(session, w.room, utc(2027, 12, 21, 17), organisation_id=w.choir.id,
                                    status="requested", purpose="Adventsfeier im Haus", is_public=True),
        "cancelled": create_booking(session, w.room, utc(2027, 12, 28, 17), organisation_id=w.choir.id,
                                    status="cancelled", purpose="Abgesagtes Treffen", is_public=True),
        "other": create_booking(session, w.request_room, utc(2027, 12, 7, 17), organisation_id=w.tenants.id,
                                purpose="Mieterversammlung", is_public=True),
    }


def test_space_feed_shows_busy_times_and_only_public_titles(session, w, new_client, feed_bookings):
    session.expire_all()  # read the bookings back from the database, as a new request would
    response = new_client().get(f"/raeume/{w.room.id}/kalender.ics")
    events = events_of(response)
    got = [(_utc_of(e, "dtstart"), _utc_of(e, "dtend"), str(e["summary"])) for e in events]
    assert got == [
        (utc(2027, 12, 7, 17), utc(2027, 12, 7, 19), "Offenes Singen"),
        (utc(2027, 12, 14, 17), utc(2027, 12, 14, 19), "belegt"),
        (utc(2027, 12, 21, 17), utc(2027, 12, 21, 19), "belegt"),  # a request: public only once confirmed
    ]
    raw = response.get_data(as_text=True)
    for secret in ("Vorstandssitzung", "Adventsfeier", "Abgesagtes", "Mieterversammlung", "Chor Linden"):
        assert secret not in raw
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CONFIRMED", "TENTATIVE"]


def test_space_feed_times_are_utc(session, w, new_client, feed_bookings):
    """DTSTART/DTEND are written as UTC (…Z), not with a TZID the calendar has no VTIMEZONE for."""
    session.expire_all()
    raw = new_client().get(f"/raeume/{w.room.id}/kalender.ics").get_data(as_text=True).replace("\r\n ", "")
    assert re.findall(r"^DTSTART[^\r\n]*", raw, flags=re.M)[0] == "DTSTART:20271207T170000Z"
    assert re.findall(r"^DTEND[^\r\n]*", raw, flags=re.M)[0] == "DTEND:20271207T190000Z"


def test_unknown_space_feed_is_404(new_client):
    assert new_client().get("/raeume/999999/kalender.ics").status_code == 404


def test_organisation_feed_needs_its_secret_token(session, w, new_client, feed_bookings):
    browser = login(new_client(), session, w.alice)
    page = text_of(browser.get(f"/organisationen/{w.choir.id}/kalender"))
    session.expire_all()
    token = session.get(Organisation, w.choir.id).calendar_token
    assert token and f"/organisationen/{w.choir.id}/kalender/{token}.ics" in page

    anonymous = new_client()
    events = events_of(anonymous.get(f"/organisationen/{w.choir.id}/kalender/{token}.ics"))
    got = [(_utc_of(e, "dtstart"), str(e["summary"]), str(e.get("description", ""))) for e in events]
    assert got == [
        (utc(2027, 12, 7, 17), "Saal", "Offenes Singen"),
        (utc(2027, 12, 14, 17), "Saal", "Vorstandssitzung vertraulich"),
        (utc(2027, 12, 21, 17), "Saal (angefragt)", "Adventsfeier im Haus"),
    ]

    wrong_token = token[:-1] + ("x" if token[-1] != "x" else "y")  # differs in its last character, always
    wrong = anonymous.get(f"/organisationen/{w.choir.id}/kalender/{wrong_token}.ics")
    assert wrong.status_code == 404
    assert "Diesen Kalender gibt es nicht (mehr)." in text_of(wrong)
    assert anonymous.get(f"/organisationen/{w.tenants.id}/kalender/{token}.ics").status_code == 404

    # A new link: the old one stops working.
    response = browser.post(f"/organisationen/{w.choir.id}/kalender/neu", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302
    assert anonymous.get(f"/organisationen/{w.choir.id}/kalender/{token}.ics").status_code == 404


def test_a_non_ascii_feed_token_is_404(session, w, new_client):
    w.choir.calendar_token = "geheim"
    session.flush()
    assert new_client().get(f"/organisationen/{w.choir.id}/kalender/%C3%A4.ics").status_code == 404


def test_an_organisation_without_a_feed_link_has_no_feed(w, new_client):
    assert new_client().get(f"/organisationen/{w.tenants.id}/kalender/None.ics").status_code == 404


def test_the_feed_page_of_another_group_is_404(session, w, new_client):
    response = login(new_client(), session, w.bob).get(f"/organisationen/{w.choir.id}/kalender")
    assert response.status_code == 404
    assert session.get(Organisation, w.choir.id).calendar_token is None


# ----------------------------------------------------------------------------- 8. another group's booking


OUTSIDERS = ["member-of-another-group", "manager-of-another-provider", "plain-member-of-the-provider"]


@pytest.fixture
def outsider(request, session, w):
    if request.param == "member-of-another-group":
        return w.bob
    if request.param == "plain-member-of-the-provider":  # a member, but without the manager right
        paul = person(session, "Paul")
        paul.organisations.append(w.provider)
        session.flush()
        return paul
    church = create_organisation(session, name="Kirchengemeinde Bethlehem")
    return manager_for(session, "Mallory", church)


ATTEMPTS = {
    "api-cancel": ("api", "/api/bookings/{id}/cancel", {}),
    "api-cancel-rest": ("api", "/api/bookings/{id}/cancel", {"rest_of_series": True}),
    "api-accept": ("api", "/api/bookings/{id}/decision", {"accept": True}),
    "api-decline": ("api", "/api/bookings/{id}/decision", {"accept": False}),
    "html-cancel": ("html", "/buchungen/{id}/absagen", {}),
    "html-accept": ("html", "/buchungen/{id}/annehmen", {"note": "x"}),
    "html-decline": ("html", "/buchungen/{id}/ablehnen", {}),
}


@pytest.mark.parametrize("outsider", OUTSIDERS, indirect=True)
def test_another_groups_booking_is_not_found(session, w, api, outsider):
    [booking] = _request(session, w, api, purpose="Geheimes Treffen")
    token = accounts.create_api_token(session, outsider, "t")
    response = api.get(f"/api/bookings/{booking['id']}", headers=bearer(token))
    assert response.status_code == 404
    assert response.get_json() == {"error": NOT_FOUND, "code": "not_found"}
    nonexistent = api.get("/api/bookings/999999", headers=bearer(token))
    assert nonexistent.get_json() == response.get_json()  # no hint that it exists
    listing = api.get("/api/bookings", headers=bearer(token)).get_json()["bookings"]
    assert booking["id"] not in [b["id"] for b in listing]


@pytest.mark.parametrize("outsider", OUTSIDERS, indirect=True)
@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_writes_on_another_groups_booking_change_nothing(session, w, api, new_client, outsider, attempt):
    [booking] = _request(session, w, api)
    kind, path, data = ATTEMPTS[attempt]
    path = path.format(id=booking["id"])
    if kind == "api":
        response = api.post(path, json=data, headers=bearer(accounts.create_api_token(session, outsider, "t")))
    else:
        browser = login(new_client(), session, outsider)
        response = browser.post(path, data={"csrf_token": csrf(browser), **data})
    assert response.status_code in (403, 404)
    if kind == "api":
        assert response.get_json()["error"] in (NOT_FOUND, "Über Anfragen entscheidet nur die Raumverwaltung "
                                                           "dieses Raums.")
    session.expire_all()
    stored = session.get(Booking, booking["id"])
    assert (stored.status, stored.decided_by_id, stored.cancelled_by_id) == ("requested", None, None)
    assert audit_of(session, booking["id"]) == [("booking.created", w.alice.id)]


def test_the_own_group_and_the_spaces_manager_see_a_booking(session, w, api):
    [booking] = _request(session, w, api, purpose="Geheimes Treffen")
    for token in (w.alice_token, accounts.create_api_token(session, w.manager, "t")):
        response = api.get(f"/api/bookings/{booking['id']}", headers=bearer(token))
        assert response.status_code == 200
        assert response.get_json()["purpose"] == "Geheimes Treffen"
    listing = api.get("/api/bookings", headers=bearer(w.alice_token)).get_json()["bookings"]
    assert [b["id"] for b in listing] == [booking["id"]]


def test_another_group_sees_none_of_it_on_its_pages(session, w, api, new_client):
    _request(session, w, api, purpose="Geheimes Treffen")
    mine = text_of(login(new_client(), session, w.bob).get("/meine-buchungen"))
    assert "Geheimes Treffen" not in mine and "Keine anstehenden Buchungen." in mine


# ----------------------------------------------------------------------------- 9. the API's input


def test_a_client_cannot_set_the_status(session, w, api):
    response = api_book(api, w.alice_token, slot(w.request_room, w.choir, status="confirmed"))
    assert response.status_code == 400
    assert response.get_json()["error"] == "Diese Felder sind hier nicht erlaubt: status."
    assert bookings_of(session, w.choir) == []
    [booking] = _request(session, w, api)
    assert booking["status"] == "requested"
    assert status_in_db(session, booking["id"]) == "requested"


@pytest.mark.parametrize("extra, named", [
    ({"requester_id": 1, "decided_by_id": 1}, "decided_by_id, requester_id"),
    ({"id": 5}, "id"),
    ({"series_id": "00000000-0000-0000-0000-000000000000"}, "series_id"),
])
def test_only_allowed_fields(session, w, api, extra, named):
    response = api_book(api, w.alice_token, slot(w.room, w.choir, **extra))
    assert response.status_code == 400
    assert response.get_json()["error"] == f"Diese Felder sind hier nicht erlaubt: {named}."


@pytest.mark.parametrize("change, message", [
    (lambda p: {k: v for k, v in p.items() if k not in ("from", "attendees")}, "Es fehlen: attendees, from."),
    (lambda p: {}, "Es fehlen: attendees, date, from, organisation_id, space_id, to."),
    (lambda p: {**p, "date": "2026-13-01"}, "date: „2026-13-01“ ist kein gültiger Wert (JJJJ-MM-TT)."),
    (lambda p: {**p, "date": "1.12.2026"}, "date: „1.12.2026“ ist kein gültiger Wert (JJJJ-MM-TT)."),
    (lambda p: {**p, "from": "25:00"}, "from: „25:00“ ist kein gültiger Wert (HH:MM)."),
    (lambda p: {**p, "attendees": "viele"}, "attendees: „viele“ ist keine ganze Zahl."),
    (lambda p: {**p, "frequency": "daily"},
     "frequency: „daily“ ist kein gültiger Wert (once, weekly, biweekly, monthly)."),
    (lambda p: {**p, "fold": 2}, "fold: 0 (erste, Sommerzeit) oder 1 (zweite, Winterzeit)."),
    (lambda p: {**p, "is_public": "ja"}, "is_public: true oder false."),
], ids=["missing", "empty-object", "bad-month", "german-date", "bad-time", "bad-number", "bad-frequency",
        "bad-fold", "bad-bool"])
def test_bad_input_is_400(session, w, api, change, message):
    response = api_book(api, w.alice_token, change(slot(w.room, w.choir)))
    assert response.status_code == 400
    assert response.get_json()["error"] == message
    assert bookings_of(session, w.choir) == []


@pytest.mark.parametrize("field, value", [("attendees", True), ("attendees", 12.7), ("purpose", None)])
def test_wrongly_typed_values_are_400(session, w, api, field, value):
    response = api_book(api, w.alice_token, slot(w.room, w.choir, is_public=True, **{field: value}))
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]
    assert bookings_of(session, w.choir) == []


def test_too_many_attendees_are_refused_with_a_fitting_reason(w, api):
    response = api_book(api, w.alice_token, slot(w.room, w.choir, attendees=50_000))
    assert response.status_code == 422
    assert "mindestens 1" not in response.get_json()["error"]
    assert "50000" in response.get_json()["error"] or "10.000" in response.get_json()["error"]


def test_refused_and_skipped_dates_use_one_format(session, w, api, december_conflicts):
    refused = api_book(api, w.alice_token, december_conflicts).get_json()["problems"]
    skipped = api_book(api, w.alice_token, {**december_conflicts, "skip_conflicts": True}).get_json()["skipped"]
    assert [(p["start"], p["end"]) for p in refused] == [(s["start"], s["end"]) for s in skipped]


@pytest.mark.parametrize("body", ['[1, 2]', '"buchen"', '42', 'null', '{kaputt'])
def test_json_that_is_not_an_object_is_400(w, api, body):
    response = api.post("/api/bookings", data=body, content_type="application/json", headers=bearer(w.alice_token))
    assert response.status_code == 400
    assert response.get_json()["error"] == "Erwartet wird ein JSON-Objekt (Content-Type: application/json)."


def test_a_series_without_an_end_is_422(w, api):
    response = api_book(api, w.alice_token, slot(w.room, w.choir, frequency="weekly"))
    assert response.status_code == 422
    assert response.get_json() == {"error": "Bitte ein Enddatum oder eine Anzahl von Terminen angeben.",
                                   "code": "missing_end"}


def test_unknown_space_is_404(w, api):
    response = api_book(api, w.alice_token, {**slot(w.room, w.choir), "space_id": 999_999})
    assert response.status_code == 404
    assert response.get_json()["error"] == "Diesen Raum gibt es nicht."


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer rf_falsch"}], ids=["no-credentials", "bad-token"])
@pytest.mark.parametrize("method, path", [("get", "/api/bookings"), ("post", "/api/bookings"),
                                          ("get", "/api/bookings/1"), ("post", "/api/bookings/1/cancel")])
def test_unauthenticated_is_401(session, w, new_client, headers, method, path):
    client = new_client()
    if method == "post" and not headers:  # a cookie-less POST needs no CSRF to be refused: give it one
        token = csrf(client, "/anmelden")
        headers = {"X-CSRFToken": token}
    response = getattr(client, method)(path, json=slot(w.room, w.choir), headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"].startswith("Bitte anmelden")
    assert bookings_of(session, w.choir) == []


def test_a_post_without_any_credentials_is_401(session, w, new_client):
    response = new_client().post("/api/bookings", json=slot(w.room, w.choir))
    assert response.status_code == 401
    assert response.get_json()["error"].startswith("Bitte anmelden")


@pytest.mark.parametrize("kind", ["api-book", "api-create-token", "html-form"])
def test_a_bogus_bearer_header_does_not_turn_off_csrf_for_a_cookie_session(session, w, new_client, kind):
    """A Bearer header skips the CSRF check, so it must not ride on the session cookie either."""
    browser = login(new_client(), session, w.alice)
    headers = {"Authorization": "Bearer rf_falsch"}
    if kind == "api-book":
        response = browser.post("/api/bookings", json=slot(w.room, w.choir), headers=headers)
    elif kind == "api-create-token":
        response = browser.post("/api/tokens", json={"name": "fremd"}, headers=headers)
    else:
        response = browser.post(f"/raeume/{w.room.id}/buchen", headers=headers,
                                data=_form(w.choir, "2027-12-07", "18:00", "20:00", ""))
    assert response.status_code in ((400, 401) if kind.startswith("api") else (302, 400, 401))
    if kind == "api-create-token":
        assert "token" not in (response.get_json() or {})
    assert bookings_of(session, w.choir) == []


def test_the_csrf_refusal_is_german(session, w, new_client):
    browser = login(new_client(), session, w.alice)
    page = browser.post(f"/raeume/{w.room.id}/buchen", data=_form(w.choir, "2027-12-07", "18:00", "20:00", ""))
    api_answer = browser.post("/api/bookings", json=slot(w.room, w.choir))
    assert page.status_code == api_answer.status_code == 400
    assert "The CSRF token" not in text_of(page)
    assert "The CSRF token" not in api_answer.get_json()["error"]


def test_cookie_authenticated_post_needs_the_csrf_header(session, w, new_client):
    browser = login(new_client(), session, w.alice)
    refused = browser.post("/api/bookings", json=slot(w.room, w.choir))
    assert refused.status_code == 400
    assert refused.get_json()["error"]
    assert bookings_of(session, w.choir) == []

    wrong = browser.post("/api/bookings", json=slot(w.room, w.choir), headers={"X-CSRFToken": "falsch"})
    assert wrong.status_code == 400

    token = csrf(browser)
    booked = browser.post("/api/bookings", json=slot(w.room, w.choir), headers={"X-CSRFToken": token})
    assert booked.status_code == 201, booked.get_json()
    assert len(bookings_of(session, w.choir)) == 1


def test_api_tokens_only_from_a_logged_in_session(session, w, new_client, api):
    browser = login(new_client(), session, w.alice)
    response = browser.post("/api/tokens", json={"name": "Skript"}, headers={"X-CSRFToken": csrf(browser)})
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert api.get("/api/bookings", headers=bearer(token)).status_code == 200

    by_token = api.post("/api/tokens", json={"name": "noch einer"}, headers=bearer(token))
    assert by_token.status_code == 403
    assert by_token.get_json()["error"] == "API-Tokens gibt es nur in einer angemeldeten Sitzung, nicht per Token."


# ----------------------------------------------------------------------------- 10. the HTML booking form


def test_the_booking_form_needs_a_login_and_returns_to_it(session, w, new_client):
    client = new_client("198.51.100.8")
    path = f"/raeume/{w.room.id}/buchen"
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/anmelden" and parse_qs(location.query) == {"next": [path]}

    login_page = client.get(response.headers["Location"])
    response = client.post(response.headers["Location"],
                           data={"csrf_token": csrf_of(text_of(login_page)), "email": "alice@example.org",
                                 "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == path
    form = client.get(path)
    assert form.status_code == 200
    page = text_of(form)
    assert "Saal buchen" in page and f'<option value="{w.choir.id}">Chor Linden-Süd</option>' in page


def test_the_booking_form_books_once(session, w, new_client, outbox):
    browser = login(new_client(), session, w.alice)
    path = f"/raeume/{w.room.id}/buchen"
    response = browser.post(path, data=_form(w.choir, "2027-12-07", "18:00", "20:00", csrf(browser, path),
                                             is_public="y"))
    assert response.status_code == 302
    assert "1 Termin gebucht." in text_of(browser.get("/meine-buchungen"))
    [booking] = bookings_of(session, w.choir)
    assert (booking.during.lower, booking.during.upper) == (utc(2027, 12, 7, 17), utc(2027, 12, 7, 19))
    assert (booking.status, booking.purpose, booking.is_public, booking.attendees, booking.requester_id) == \
        ("confirmed", "Chorprobe", True, 12, w.alice.id)


def test_the_booking_form_shows_refusals(session, w, new_client):
    browser = login(new_client(), session, w.alice)
    path = f"/raeume/{w.room.id}/buchen"
    response = browser.post(path, data=_form(w.choir, "2027-12-07", "18:00", "20:00", csrf(browser, path),
                                             attendees="30"))
    assert response.status_code == 422
    assert "Der Raum fasst 20 Personen, angefragt sind 30." in text_of(response)
    # An organisation the user does not belong to is not among the choices.
    response = browser.post(path, data=_form(w.tenants, "2027-12-07", "18:00", "20:00", csrf(browser, path)))
    assert response.status_code == 422
    assert bookings_of(session, w.choir) == [] and bookings_of(session, w.tenants) == []


@pytest.fixture
def sunday_room(session, w):
    return make_room(session, w.provider, name="Nachtcafé", hours=ALL_DAY_SUNDAY)


def test_an_ambiguous_time_asks_which_one_is_meant(session, w, new_client, sunday_room):
    browser = login(new_client(), session, w.alice)
    path = f"/raeume/{sunday_room.id}/buchen"
    form = _form(w.choir, "2027-10-24", "02:30", "03:30", csrf(browser, path), frequency="weekly",
                 until="2027-11-07")
    asked = browser.post(path, data=form)
    assert asked.status_code == 422
    page = text_of(asked)
    assert "Die Uhrzeit 02:30 gibt es am 31.10.2027 zweimal" in page
    assert re.search(r'<input[^>]*name="fold" type="radio" value="0"> die erste \(noch Sommerzeit\)', page)
    assert re.search(r'<input[^>]*name="fold" type="radio" value="1"> die zweite \(schon Winterzeit\)', page)
    assert bookings_of(session, w.choir) == []

    booked = browser.post(path, data={**form, "fold": "1"})
    assert booked.status_code == 302, text_of(booked)
    created = bookings_of(session, w.choir)
    assert [(b.during.lower.astimezone(UTC), b.during.upper.astimezone(UTC)) for b in created] == [
        (utc(2027, 10, 24, 0, 30), utc(2027, 10, 24, 1, 30)),  # CEST
        (utc(2027, 10, 31, 1, 30), utc(2027, 10, 31, 2, 30)),  # the second 02:30 (CET) to 03:30 CET
        (utc(2027, 11, 7, 1, 30), utc(2027, 11, 7, 2, 30)),  # CET
    ]


def test_the_first_of_the_two_times_can_be_chosen_too(session, w, api, sunday_room):
    response = api_book(api, w.alice_token, slot(sunday_room, w.choir, day=date(2027, 10, 31), start="02:30",
                                                 end="03:30", fold=0))
    assert response.status_code == 201, response.get_json()
    [booking] = bookings_of(session, w.choir)
    # 02:30 CEST (00:30 UTC) to 03:30 CET (02:30 UTC): two real hours
    assert (booking.during.lower, booking.during.upper) == (utc(2027, 10, 31, 0, 30), utc(2027, 10, 31, 2, 30))


def test_a_nonexistent_time_names_the_date(session, w, new_client, api, sunday_room):
    browser = login(new_client(), session, w.alice)
    path = f"/raeume/{sunday_room.id}/buchen"
    response = browser.post(path, data=_form(w.choir, "2027-03-28", "02:30", "03:30", csrf(browser, path)))
    assert response.status_code == 422
    message = ("Die Uhrzeit 02:30 gibt es am 28.03.2027 nicht, weil die Uhren in dieser Nacht auf Sommerzeit "
               "vorgestellt werden. Bitte eine andere Uhrzeit wählen.")
    assert message in text_of(response)
    via_api = api_book(api, w.alice_token, slot(sunday_room, w.choir, day=date(2027, 3, 28), start="02:30",
                                                end="03:30"))
    assert via_api.status_code == 422
    assert via_api.get_json() == {"error": message, "code": "nonexistent"}
    assert bookings_of(session, w.choir) == []


def test_accepting_checks_the_space_again(session, w, api):
    """A closure entered after the request: accepting is refused with the reason, declining still works."""
    [requested] = _request(session, w, api)
    start = datetime.fromisoformat(requested["start"])
    session.add(Closure(space_id=w.request_room.id, during=Range(start - timedelta(hours=1), start + timedelta(hours=5),
                                                                 bounds="[)"), reason="Wasserschaden"))
    session.flush()
    token = accounts.create_api_token(session, w.manager, "t")
    accepted = api.post(f"/api/bookings/{requested['id']}/decision", json={"accept": True}, headers=bearer(token))
    assert accepted.status_code == 422
    assert accepted.get_json()["error"].startswith("Annehmen geht nicht mehr: Geschlossen: Wasserschaden.")
    assert status_in_db(session, requested["id"]) == "requested"
    declined = api.post(f"/api/bookings/{requested['id']}/decision", json={"accept": False}, headers=bearer(token))
    assert declined.status_code == 200 and status_in_db(session, requested["id"]) == "declined"


# ----------------------------------------------------------------------------- one booking service


def test_a_dry_run_checks_every_date_and_writes_nothing(session, w, api, december_conflicts):
    response = api_book(api, w.alice_token, {**december_conflicts, "dry_run": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["dry_run"] is True and body["bookable"] is False
    assert [(s["start"], s["ok"], s["codes"]) for s in body["slots"]] == [
        ("2027-12-07T18:00+01:00", True, []), ("2027-12-14T18:00+01:00", False, ["taken"]),
        ("2027-12-21T18:00+01:00", True, []), ("2027-12-28T18:00+01:00", False, ["closed"]),
        ("2028-01-04T18:00+01:00", True, [])]
    assert bookings_of(session, w.choir) == []
    clean = api_book(api, w.alice_token, {**slot(w.room, w.choir), "dry_run": True}).get_json()
    assert clean["bookable"] is True and bookings_of(session, w.choir) == []


def test_a_qm_admin_books_for_any_group_through_the_api_and_the_form(session, w, api, new_client):
    """One permission rule: members book for their group, QM admins for any group, on every path."""
    qm = person(session, "Quentin")
    qm.role = Role.QM_ADMIN
    token = accounts.create_api_token(session, qm, "t")
    response = api_book(api, token, slot(w.room, w.choir))
    assert response.status_code == 201, response.get_json()
    [created] = bookings_of(session, w.choir)
    assert created.requester_id == qm.id and created.organisation_id == w.choir.id
    browser = login(new_client(), session, qm)
    page = text_of(browser.get(f"/raeume/{w.room.id}/buchen"))
    for group in (w.choir, w.tenants, w.provider):  # every group is offered, not only the QM's own
        assert f'<option value="{group.id}"' in page
    # A member is not the QM: another group's form choice is refused, on the API as before.
    assert api_book(api, w.bob_token, slot(w.room, w.choir, day=TUESDAY + timedelta(days=7))).status_code == 403


def test_end_before_start_is_refused_with_that_reason(session, w, api, new_client):
    response = api_book(api, w.alice_token, slot(w.room, w.choir, start="20:00", end="18:00"))
    assert response.status_code == 422
    assert response.get_json()["error"].startswith("Das Ende liegt vor dem Beginn.")
    browser = login(new_client(), session, w.alice)
    path = f"/raeume/{w.room.id}/buchen"
    refused = browser.post(path, data=_form(w.choir, "2027-12-07", "20:00", "18:00", csrf(browser, path)))
    assert refused.status_code == 422
    page = text_of(refused)
    assert "Das Ende liegt vor dem Beginn." in page and "Außerhalb der Öffnungszeiten" not in page
    assert bookings_of(session, w.choir) == []


def test_a_booking_past_midnight_is_said_explicitly(session, w, api, new_client):
    late = make_room(session, w.provider, name="Kneipe", hours=((1, time(20), time(2)),))
    response = api_book(api, w.alice_token, slot(late, w.choir, start="22:00", end="01:00", ends_next_day=True))
    assert response.status_code == 201, response.get_json()
    [booking] = response.get_json()["bookings"]
    assert (booking["start"], booking["end"]) == ("2027-12-07T22:00+01:00", "2027-12-08T01:00+01:00")
    browser = login(new_client(), session, w.alice)
    assert "Di 07.12.2027 22:00–01:00 (endet am Folgetag)" in text_of(browser.get("/meine-buchungen"))
    browser.get(f"/organisationen/{w.choir.id}/kalender")  # makes the secret feed link
    session.refresh(w.choir)
    feed = browser.get(f"/organisationen/{w.choir.id}/kalender/{w.choir.calendar_token}.ics")
    [event] = events_of(feed)
    assert "Di 07.12.2027 22:00–01:00 (endet am Folgetag)" in str(event["description"])
    # ends_next_day with an end after the start would be more than a day: refused
    too_long = api_book(api, w.alice_token, slot(late, w.choir, start="20:00", end="21:00", ends_next_day=True,
                                                 day=TUESDAY + timedelta(days=7)))
    assert too_long.status_code == 422 and "höchstens 24 Stunden" in too_long.get_json()["error"]


def test_a_mail_waits_in_the_outbox_while_the_mail_server_is_down(session, w, api, app, outbox, monkeypatch):
    from spaces.models import OutboxMail

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", closed_port)
    response = api_book(api, w.alice_token, slot(w.room, w.choir))
    assert response.status_code == 201  # the booking stands
    [waiting] = session.scalars(select(OutboxMail).where(OutboxMail.recipient == "alice@example.org")).all()
    assert waiting.sent_at is None and waiting.attempts == 1 and "Connection" in waiting.last_error
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")  # back: the next delivery round sends it
    result = app.test_cli_runner().invoke(args=["mail", "deliver"])
    assert result.exit_code == 0 and "1 Mails zugestellt, 0 warten noch." in result.output
    session.refresh(waiting)
    assert waiting.sent_at is not None and waiting.attempts == 2
    assert [m["Subject"] for m in outbox] == ["Raumfinder: Saal bestätigt"]


def test_api_books_a_series_by_its_number_of_dates_and_leaves_out_public_holidays(session, w, api):
    """`count` and `skip_holidays` as in the form: 3 Tuesdays from 26 Sep 2028, the Day of German Unity (Tue 3 Oct)
    left out and not counted."""
    response = api_book(api, w.alice_token, slot(w.room, w.choir, day=date(2028, 9, 26), frequency="weekly",
                                                 count=3, skip_holidays=True, purpose="Chorprobe"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [b["start"][:10] for b in body["bookings"]] == ["2028-09-26", "2028-10-10", "2028-10-17"]
    assert body["skipped_days"] == [{"date": "2028-10-03", "name": "Tag der Deutschen Einheit"}]
    series = session.get(BookingSeries, uuid.UUID(body["series_id"]))
    assert series.count == 3 and series.skip_holidays

    both = api_book(api, w.alice_token, slot(w.room, w.choir, day=date(2028, 11, 7), frequency="weekly", count=3,
                                             until="2028-12-31"))
    assert both.status_code == 422 and "nicht beides" in both.get_json()["error"]
