"""The search is carried through every step: list → space page (the searched day's week) → booking form
(day and times filled in) and back to the list; the booking form says what is wrong, on the right field."""

import re
from datetime import time
from html import unescape

from factories import create_space, csrf_of, log_in

from spaces.accounts import service as accounts
from spaces.models import OpeningHours

SEARCH = "date=2026-12-08&from=18:00&to=20:00&capacity=10"


def _hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


def test_the_list_the_space_page_and_the_booking_form_keep_the_search(client, demo, demo_clock):
    listing = client.get("/?" + SEARCH).get_data(as_text=True)
    to_space = [h for h in _hrefs(listing) if h.startswith("/raeume/")]
    assert to_space and all("date=2026-12-08" in h and "from=18:00" in h and "capacity=10" in h for h in to_space)

    page = client.get(to_space[0]).get_data(as_text=True)
    assert "Belegung der Woche ab 07.12.2026" in page  # the searched day's week, not this week
    book = next(h for h in _hrefs(page) if "/buchen" in h)
    assert book.endswith("/buchen?day=2026-12-08&starts=18:00&ends=20:00")
    back = next(h for h in _hrefs(page) if h.startswith("/?"))
    assert "date=2026-12-08" in back and "capacity=10" in back and back.endswith("#liste")
    weeks = [h for h in _hrefs(page) if "woche=" in h]
    assert weeks and all("date=2026-12-08" in h for h in weeks)  # paging weeks keeps the search too


def test_a_space_page_without_a_search_shows_this_week(client, demo, demo_clock):
    listing = client.get("/").get_data(as_text=True)
    first = next(h for h in _hrefs(listing) if h.startswith("/raeume/"))
    assert "?" not in first
    page = client.get(first).get_data(as_text=True)
    assert "Belegung der Woche ab 23.11.2026" in page
    assert any(h.endswith("/buchen") for h in _hrefs(page))


def _member(session):
    user = accounts.register(session, email="kontext@example.org", display_name="Kontext",
                             password="ein-langes-passwort", organisation_name="Chor")
    session.flush()
    return user


def _room(session):
    space = create_space(session, name="Abendraum", booking_mode="instant", capacity=20)
    session.add(OpeningHours(space_id=space.id, weekday=1, opens=time(17), closes=time(22)))
    session.flush()
    return space


def test_the_booking_form_is_filled_from_the_link(client, session, demo_clock):
    log_in(client, session, _member(session))
    space = _room(session)
    form = client.get(f"/raeume/{space.id}/buchen?day=2026-12-08&starts=18:00&ends=20:00").get_data(as_text=True)
    assert re.search(r'name="day"[^>]*value="2026-12-08"', form)
    assert re.search(r'name="starts"[^>]*value="18:00"', form) and re.search(r'name="ends"[^>]*value="20:00"', form)
    odd = client.get(f"/raeume/{space.id}/buchen?day=gestern&starts=25:00").get_data(as_text=True)
    assert re.search(r'name="day"[^>]*value="2026-11-24"', odd)  # what does not parse is left out: tomorrow


def test_the_booking_form_names_the_real_problem_on_its_field(client, session, demo_clock):
    user = _member(session)
    log_in(client, session, user)
    space = _room(session)
    page = client.get(f"/raeume/{space.id}/buchen")
    base = {"csrf_token": csrf_of(page), "organisation": str(user.organisations[0].id), "day": "2026-12-08",
            "attendees": "10", "frequency": "once"}
    reversed_ = client.post(f"/raeume/{space.id}/buchen", data={**base, "starts": "20:00", "ends": "18:00"})
    assert reversed_.status_code == 422
    html = reversed_.get_data(as_text=True)
    assert "Das Ende liegt vor dem Beginn" in html and "Außerhalb der Öffnungszeiten" not in html
    assert re.search(r'name="ends".{0,600}Das Ende liegt vor dem Beginn', html, re.S)

    weekly = client.post(f"/raeume/{space.id}/buchen",
                         data={**base, "starts": "18:00", "ends": "20:00", "frequency": "weekly"})
    html = weekly.get_data(as_text=True)
    assert weekly.status_code == 422 and "Anzahl von Terminen" not in html
    assert re.search(r'name="until".{0,600}Bis wann\? Bitte den letzten Tag \(„bis einschließlich“\) oder die '
                     r'Anzahl', html, re.S)
