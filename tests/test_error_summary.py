"""A form sent with errors names every error at once at the top of the page, each linked to its field, and the
summary takes the focus (base.html, _forms.html error_summary, static/js/forms.js)."""

import re

import pytest
from factories import csrf_of


def _summary(html: str) -> str:
    found = re.search(r'<div class="error error-summary" role="alert" tabindex="-1".*?</div>', html, re.S)
    assert found, "no error summary"
    return found.group(0)


def test_every_missing_field_is_listed_once_with_a_link(client, session):
    form = client.get("/registrieren")
    page = client.post("/registrieren", data={"csrf_token": csrf_of(form), "email": "", "display_name": "",
                                              "password": "", "confirm": "x"}).get_data(as_text=True)
    summary = _summary(page)
    links = re.findall(r'<a href="#([a-z_]+)">([^<]+)</a>', summary)
    assert [field for field, _ in links] == ["email", "display_name", "password", "confirm"], links
    assert "Bitte 4 Angaben prüfen:" in summary
    for field, _ in links:  # each link leads to an input of that id, marked invalid
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', page), field
    assert page.index("error-summary") < page.index("<h1")  # before the title: the first thing read


def test_a_page_without_errors_has_no_summary(client, session):
    assert "error-summary" not in client.get("/registrieren").get_data(as_text=True)


@pytest.mark.browser
def test_the_summary_takes_the_focus_and_its_links_lead_to_the_fields(live_server, page):
    page.goto(live_server.url + "/registrieren")
    page.evaluate("document.querySelector('main form').noValidate = true")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    page.click(".error-summary a[href='#password']")
    assert page.evaluate("document.activeElement.id") == "password"


def test_registration_names_a_bad_address_a_short_password_and_a_mismatch_at_once(client, session):
    """The UX review: three submits, one error each. Now one submit names all three, each on its field."""
    form = client.get("/registrieren")
    response = client.post("/registrieren", data={"csrf_token": csrf_of(form), "email": "keine-adresse",
                                                  "display_name": "Rita", "password": "kurz", "confirm": "anders"})
    summary = _summary(response.get_data(as_text=True))
    assert [f for f, _ in re.findall(r'<a href="#([a-z_]+)">([^<]+)</a>', summary)] == ["email", "password", "confirm"]
    for text in ("gültige E-Mail-Adresse", "mindestens 10 Zeichen", "stimmen nicht überein"):
        assert text in summary, text


def test_an_english_page_names_the_problems_in_english(client, session):
    form = client.get("/registrieren?lang=en")
    response = client.post("/registrieren?lang=en", data={
        "csrf_token": csrf_of(form), "email": "no-address", "display_name": "Rita", "password": "short",
        "confirm": "short"})
    summary = _summary(response.get_data(as_text=True))
    assert "Please enter a valid e-mail address." in summary and "at least 10 characters" in summary
    assert "Bitte" not in summary and "Passwort" not in summary


def test_the_booking_rules_speak_english_on_an_english_page(client, session, clock):
    """The rules' reasons (spaces.core.bookability, recurrence) are Phrases: German in the API and to German
    visitors, English on an English page."""
    from datetime import time, timedelta

    from factories import create_space, log_in

    from spaces.accounts import service as accounts
    from spaces.clock import today_local
    from spaces.models import OpeningHours

    user = accounts.register(session, email="english@example.org", display_name="Eve", password="ein-langes-passwort",
                             organisation_name="English Choir")
    space = create_space(session, capacity=10, booking_mode="instant",
                         opening_hours=[OpeningHours(weekday=d, opens=time(9), closes=time(17)) for d in range(7)])
    session.flush()
    log_in(client, session, user)
    url = f"/raeume/{space.id}/buchen?lang=en"
    day = (today_local() + timedelta(days=3)).isoformat()
    data = {"csrf_token": csrf_of(client.get(url)), "organisation": str(user.organisations[0].id), "day": day,
            "starts": "18:00", "ends": "20:00", "frequency": "once", "attendees": "40", "purpose": "Probe"}
    page = client.post(url, data=data).get_data(as_text=True)
    assert "Outside the opening hours." in page and "The space holds 10 people; 40 were requested." in page
    assert "Außerhalb der Öffnungszeiten" not in page
    data["ends"] = "17:00"
    page = client.post(url, data=data).get_data(as_text=True)
    assert "The end is before the start." in page
