"""A booking series as a unit, over HTTP: "8 Termine", Niedersachsen public holidays left out, every form error at
once on its field, one entry per series, accept / decline / cancel all at once, change from a date on (all or
nothing), and who may do it.

The clock stands at Tuesday 1 December 2026, 10:00 in Hannover; "next Tuesday" is 8 December 2026 (winter time,
18:00 local = 17:00 UTC). The rooms open Tuesdays and Fridays 17:00–22:00.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
from factories import create_booking, create_organisation, create_space, csrf_of, log_in, make_manager, utc
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Range

from spaces.accounts import service as accounts
from spaces.core import holidays
from spaces.models import Booking, BookingSeries, Closure, OpeningHours, Role

pytestmark = pytest.mark.usefixtures("fast_password_hashes")
EVENINGS = ((1, time(17), time(22)), (4, time(17), time(22)))  # Tuesday and Friday


@pytest.fixture(autouse=True)
def now(clock):
    clock.set(datetime(2026, 12, 1, 9, tzinfo=UTC))


def person(session, name, group=""):
    return accounts.register(session, email=f"{name.lower()}@example.org", display_name=name,
                             password="ein-langes-passwort", organisation_name=group)


def room(session, provider, name, mode):
    space = create_space(session, organisation=provider, name=name, booking_mode=mode, capacity=20)
    session.add_all(OpeningHours(space_id=space.id, weekday=d, opens=o, closes=c) for d, o, c in EVENINGS)
    session.flush()
    return space


class W:
    pass


@pytest.fixture
def w(session, app):
    world = W()
    world.provider = create_organisation(session, name="Stadtteilhaus Linden e. V.")
    world.manager = person(session, "Marta")
    make_manager(session, world.manager, world.provider)
    world.alice = person(session, "Alice", "Chor Linden-Süd")
    world.choir = world.alice.organisations[0]
    world.bob = person(session, "Bob", "Mietertreff")
    world.saal = room(session, world.provider, "Saal", "instant")
    world.club = room(session, world.provider, "Clubraum", "on_request")
    world.clients = {}

    def client_for(user):
        """One logged-in test client per person (a flash waits in its session cookie)."""
        if user.id not in world.clients:
            world.clients[user.id] = app.test_client()
            log_in(world.clients[user.id], session, user)
        return world.clients[user.id]

    world.client_for = client_for
    return world


def form(w, token, **extra):
    return {"csrf_token": token, "organisation": str(w.choir.id), "day": "2026-12-08", "starts": "18:00",
            "ends": "20:00", "frequency": "weekly", "attendees": "12", "purpose": "Chorprobe", **extra}


def book(session, w, space, **extra):
    """Alice books through the form; returns (response, the series' bookings in time order)."""
    browser = w.client_for(w.alice)
    path = f"/raeume/{space.id}/buchen"
    response = browser.post(path, data=form(w, csrf_of(browser.get(path)), **extra))
    return response, bookings(session, w)


def bookings(session, w):
    session.expire_all()
    return session.scalars(select(Booking).where(Booking.organisation_id == w.choir.id).order_by(Booking.during)).all()


def local_days(rows, status=None):
    return [b.during.lower.astimezone(holidays_tz()).date() for b in rows if status is None or b.status == status]


def holidays_tz():
    from spaces.clock import BERLIN

    return BERLIN


def text(response):
    return response.get_data(as_text=True)


def errors_of(page: str, field: str) -> list[str]:
    found = re.search(rf'<ul class="errors" id="{field}-errors">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


# ----------------------------------------------------------------------------- booking a series


def test_eight_dates_instead_of_an_end_date(session, w):
    response, rows = book(session, w, w.saal, count="8")
    assert response.status_code == 302
    assert local_days(rows) == [date(2026, 12, 8), date(2026, 12, 15), date(2026, 12, 22), date(2026, 12, 29),
                                date(2027, 1, 5), date(2027, 1, 12), date(2027, 1, 19), date(2027, 1, 26)]
    assert {b.status for b in rows} == {"confirmed"} and len({b.series_id for b in rows}) == 1
    series = session.get(BookingSeries, rows[0].series_id)
    assert (series.count, series.until, series.skip_holidays) == (8, None, False)
    mine = text(w.client_for(w.alice).get("/meine-buchungen"))
    assert "8 Termine gebucht." in mine
    assert "Wöchentlich dienstags 18:00–20:00, 8 Termine (08.12.2026 – 26.01.2027)" in mine
    assert mine.count('class="series-entry"') == 1 and mine.count("<details>") == 1


def test_niedersachsen_holidays_are_left_out_and_named(session, w):
    assert holidays.niedersachsen(2026)[date(2026, 12, 25)] == "Erster Weihnachtstag"
    # Fridays from 18.12.2026, four dates: 25.12. and 01.01. are holidays and do not count
    response, rows = book(session, w, w.saal, day="2026-12-18", count="4", skip_holidays="y")
    assert response.status_code == 302
    assert local_days(rows) == [date(2026, 12, 18), date(2027, 1, 8), date(2027, 1, 15), date(2027, 1, 22)]
    browser = w.client_for(w.alice)
    mine = text(browser.get("/meine-buchungen"))
    skipped = "25.12.2026 (Erster Weihnachtstag), 01.01.2027 (Neujahr)"
    assert f"4 Termine gebucht. Ausgelassen (Feiertage): {skipped}." in mine
    series = session.get(BookingSeries, rows[0].series_id)
    assert series.skip_holidays and series.skipped_days == [["2026-12-25", "Erster Weihnachtstag"],
                                                            ["2027-01-01", "Neujahr"]]
    assert f"Ausgelassen (Feiertage): {skipped}" in text(browser.get(f"/serien/{series.id}"))
    # without the box the holidays are booked like any other Friday (an end date this time)
    session.query(Booking).delete()
    response, rows = book(session, w, w.saal, day="2026-12-18", until="2027-01-01")
    assert local_days(rows) == [date(2026, 12, 18), date(2026, 12, 25), date(2027, 1, 1)]


def test_the_button_says_what_happens(session, w):
    browser = w.client_for(w.alice)
    assert ">Anfragen</button>" in text(browser.get(f"/raeume/{w.club.id}/buchen"))
    assert ">Buchen</button>" in text(browser.get(f"/raeume/{w.saal.id}/buchen"))


# ----------------------------------------------------------------------------- every error at once


def test_every_error_at_once_each_on_its_field(session, w):
    response, rows = book(session, w, w.saal, starts="20:00", ends="18:00", attendees="0")
    assert response.status_code == 422 and rows == []
    page = text(response)
    assert errors_of(page, "ends")[0].startswith("Das Ende liegt vor dem Beginn.")
    assert errors_of(page, "attendees") == ["Bitte 1 bis 10.000."]
    assert errors_of(page, "until") == ["Bis wann? Bitte den letzten Tag („bis einschließlich“) oder die Anzahl der "
                                        "Termine angeben."]
    assert errors_of(page, "day") == [] and "Außerhalb der Öffnungszeiten" not in page


def test_past_date_hours_and_size_in_one_answer(session, w):
    response, rows = book(session, w, w.saal, day="2026-11-24", starts="08:00", ends="10:00", attendees="0",
                          frequency="once")
    assert response.status_code == 422 and rows == []
    page = text(response)
    assert errors_of(page, "day") == ["Dieser Termin liegt in der Vergangenheit."]
    assert errors_of(page, "starts") == ["Außerhalb der Öffnungszeiten."]
    assert errors_of(page, "attendees") == ["Bitte 1 bis 10.000."]


def test_an_end_after_closing_is_said_on_the_end(session, w):
    response, rows = book(session, w, w.saal, starts="18:00", ends="23:00", frequency="once", attendees="30")
    page = text(response)
    assert response.status_code == 422 and rows == []
    assert errors_of(page, "ends") == ["Außerhalb der Öffnungszeiten."] and errors_of(page, "starts") == []
    assert errors_of(page, "attendees") == ["Der Raum fasst 20 Personen, angefragt sind 30."]


def test_end_date_and_count_together_is_said_on_the_count(session, w):
    response, rows = book(session, w, w.saal, until="2027-01-26", count="8")
    assert response.status_code == 422 and rows == []
    assert errors_of(text(response), "count") == [
        "Bitte entweder ein Enddatum oder eine Anzahl von Terminen angeben, nicht beides."]


# ----------------------------------------------------------------------------- the manager decides a series at once


@pytest.fixture
def requested(session, w):
    response, rows = book(session, w, w.club, count="8")
    assert response.status_code == 302 and {b.status for b in rows} == {"requested"}
    return rows


def test_accept_all_in_one_post(session, w, requested, outbox):
    marta = w.client_for(w.manager)
    inbox = text(marta.get("/verwaltung/anfragen"))
    series_id = requested[0].series_id
    assert inbox.count('class="series-entry"') == 1 and "Alle 8 annehmen" in inbox
    assert "Wöchentlich dienstags 18:00–20:00, 8 Termine (08.12.2026 – 26.01.2027)" in inbox
    outbox.clear()
    response = marta.post(f"/serien/{series_id}/annehmen", data={"csrf_token": csrf_of(inbox), "note": "Gern!"})
    assert response.status_code == 302
    assert {b.status for b in bookings(session, w)} == {"confirmed"}
    assert {b.decision_note for b in bookings(session, w)} == {"Gern!"}
    after = text(marta.get("/verwaltung/anfragen"))
    assert "8 Termine in Clubraum angenommen." in after and "Keine offenen Anfragen." in after
    [mail] = outbox
    assert mail["To"] == "alice@example.org" and mail["Subject"] == "Raumfinder: Clubraum – 8 Termine bestätigt"
    again = marta.post(f"/serien/{series_id}/annehmen", data={"csrf_token": csrf_of(after)})
    assert again.status_code == 302
    assert "Über diese Reihe ist schon entschieden" in text(marta.get("/verwaltung/anfragen"))


def test_accept_all_names_the_date_that_no_longer_fits_and_changes_nothing(session, w, requested):
    session.add(Closure(space_id=w.club.id, during=Range(utc(2026, 12, 22, 0), utc(2026, 12, 23, 0), bounds="[)"),
                        reason="Weihnachtsputz"))
    session.flush()
    marta = w.client_for(w.manager)
    inbox = text(marta.get("/verwaltung/anfragen"))
    marta.post(f"/serien/{requested[0].series_id}/annehmen", data={"csrf_token": csrf_of(inbox)})
    assert {b.status for b in bookings(session, w)} == {"requested"}
    page = text(marta.get("/verwaltung/anfragen"))
    assert "Annehmen geht nicht: Di 22.12.2026 18:00–20:00: Geschlossen: Weihnachtsputz." in page
    assert "Es wurde nichts angenommen." in page


def test_decline_all(session, w, requested):
    marta = w.client_for(w.manager)
    inbox = text(marta.get("/verwaltung/anfragen"))
    assert 'data-confirm="Alle 8 angefragten Termine in Clubraum ablehnen?"' in inbox
    marta.post(f"/serien/{requested[0].series_id}/ablehnen", data={"csrf_token": csrf_of(inbox), "note": "Voll"})
    assert {b.status for b in bookings(session, w)} == {"declined"}
    assert "8 Termine in Clubraum abgelehnt." in text(marta.get("/verwaltung/anfragen"))


# ----------------------------------------------------------------------------- cancel and change


def test_cancel_the_series_leaves_the_dates_that_have_begun(session, w, clock):
    _, rows = book(session, w, w.saal, count="8")
    clock.set(datetime(2026, 12, 9, 9, tzinfo=UTC))  # the first date (8.12.) is over
    browser = w.client_for(w.alice)
    mine = text(browser.get("/meine-buchungen"))
    assert re.search(r'class="danger"\s+data-confirm="Die ganze Serie absagen\? Wöchentlich dienstags', mine)
    response = browser.post(f"/serien/{rows[0].series_id}/absagen", data={"csrf_token": csrf_of(mine)})
    assert response.status_code == 302
    assert [b.status for b in bookings(session, w)] == ["confirmed"] + ["cancelled"] * 7
    assert "Serie abgesagt: 7 Termine in Saal." in text(browser.get("/meine-buchungen"))


def change(session, w, series_id, who=None, **data):
    browser = w.client_for(who or w.alice)
    page = text(browser.get(f"/serien/{series_id}"))
    return browser.post(f"/serien/{series_id}/aendern", data={"csrf_token": csrf_of(page), **data}), browser


def test_change_the_time_from_a_date_on(session, w):
    _, rows = book(session, w, w.saal, count="8")
    series_id = rows[0].series_id
    response, browser = change(session, w, series_id, from_day="2027-01-05", action="time", starts="19:00",
                               ends="21:00")
    assert response.status_code == 302, text(response)
    after = bookings(session, w)
    held = [b for b in after if b.status == "confirmed"]
    assert [b.id for b in held[:4]] == [b.id for b in rows[:4]]  # earlier dates untouched
    assert [b.during.lower for b in held] == [utc(2026, 12, d, 17) for d in (8, 15, 22, 29)] + \
        [utc(2027, 1, d, 18) for d in (5, 12, 19, 26)]
    assert [b.status for b in after if b.id in {r.id for r in rows[4:]}] == ["cancelled"] * 4
    assert {b.series_id for b in after} == {series_id}
    page = text(browser.get(f"/serien/{series_id}"))
    assert "4 Termine ab Di 05.01.2027 18:00–20:00 verschoben: zur neuen Uhrzeit gebucht." in page
    assert "Wöchentlich dienstags 18:00–20:00, ab 05.01.2027 19:00–21:00, 8 Termine (08.12.2026 – 26.01.2027)" in page


def test_a_conflicting_new_date_changes_nothing_and_is_named(session, w):
    _, rows = book(session, w, w.saal, count="8")
    other = create_organisation(session, name="Yoga")
    create_booking(session, w.saal, utc(2027, 1, 19, 19, 30), hours=1, organisation_id=other.id)
    response, _ = change(session, w, rows[0].series_id, from_day="2027-01-05", action="time", starts="19:00",
                         ends="21:00")
    assert response.status_code == 409
    page = text(response)
    assert "1 von 4 neuen Terminen gehen nicht; es wurde nichts geändert." in page
    assert "<strong>Di 19.01.2027 19:00–21:00</strong>: Zu dieser Zeit ist der Raum schon belegt." in page
    assert [(b.id, b.status, b.during.lower) for b in bookings(session, w)] == \
        [(b.id, "confirmed", b.during.lower) for b in rows]


def test_a_change_in_an_on_request_room_asks_again_and_end_before_start_is_refused(session, w, requested):
    series_id = requested[0].series_id
    response, _ = change(session, w, series_id, from_day="2027-01-19", action="time", starts="21:00", ends="19:00")
    assert response.status_code == 422
    assert errors_of(text(response), "ends")[0].startswith("Das Ende liegt vor dem Beginn.")
    assert len([b for b in bookings(session, w) if b.status == "requested"]) == 8
    response, _ = change(session, w, series_id, from_day="2027-01-19", action="time", starts="19:00", ends="21:00")
    assert response.status_code == 302
    held = [b for b in bookings(session, w) if b.status == "requested"]
    assert len(held) == 8 and [b.during.lower for b in held[-2:]] == [utc(2027, 1, 19, 18), utc(2027, 1, 26, 18)]


def test_end_the_series_from_a_date_on(session, w):
    _, rows = book(session, w, w.saal, count="8")
    response, browser = change(session, w, rows[0].series_id, from_day="2027-01-12", action="end")
    assert response.status_code == 302
    assert [b.status for b in bookings(session, w)] == ["confirmed"] * 5 + ["cancelled"] * 3
    assert session.get(BookingSeries, rows[0].series_id).until == date(2027, 1, 11)
    assert "Die Reihe endet: 3 Termine ab Di 12.01.2027 18:00–20:00 abgesagt." in \
        text(browser.get(f"/serien/{rows[0].series_id}"))


# ----------------------------------------------------------------------------- who may


def test_strangers_get_404_members_may_not_decide(session, w, requested):
    series_id = requested[0].series_id
    bob = w.client_for(w.bob)
    token = csrf_of(text(bob.get("/meine-buchungen")))
    assert bob.get(f"/serien/{series_id}").status_code == 404
    for action in ("annehmen", "ablehnen", "absagen", "aendern"):
        assert bob.post(f"/serien/{series_id}/{action}", data={"csrf_token": token, "from_day": "2027-01-05",
                                                               "action": "end"}).status_code == 404
    other_manager = person(session, "Otto")
    make_manager(session, other_manager, create_organisation(session, name="Anderer Träger"))
    assert w.client_for(other_manager).get(f"/serien/{series_id}").status_code == 404
    alice = w.client_for(w.alice)
    assert alice.post(f"/serien/{series_id}/annehmen",
                      data={"csrf_token": csrf_of(text(alice.get("/meine-buchungen")))}).status_code == 403
    assert {b.status for b in bookings(session, w)} == {"requested"}
    qm = person(session, "Quentin")
    qm.role = Role.QM_ADMIN
    session.flush()
    assert w.client_for(qm).get(f"/serien/{series_id}").status_code == 200
    marta = w.client_for(w.manager)
    page = text(marta.get(f"/serien/{series_id}"))
    assert marta.post(f"/serien/{series_id}/absagen", data={"csrf_token": csrf_of(page)}).status_code == 302
    assert {b.status for b in bookings(session, w)} == {"cancelled"}
