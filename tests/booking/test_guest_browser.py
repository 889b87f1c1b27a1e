"""A resident without an account on a phone (375 x 812, headless Chromium): asks for a room from its page, confirms
the request from the mailed link (read from the outbox), the space manager accepts it in the inbox, and the guest
gets the decision by mail."""

import re
from datetime import time, timedelta
from urllib.parse import urlsplit

import pytest
from conftest import log_in_through_the_form
from factories import create_organisation, create_space, make_manager

from spaces.clock import today_local
from spaces.db import db
from spaces.models import OpeningHours

pytestmark = pytest.mark.browser

PASSWORD = "ein-langes-passwort"
GUEST = "gast-browser@example.org"


def _mails_to(app, email: str) -> list[str]:
    return [m.get_body(("plain",)).get_content() for m in app.extensions.get("raumfinder_outbox", [])
            if m["To"] == email]


def _link(app, email: str, path: str) -> str:
    """The last link to `path` mailed to `email`, as a path on this server (links use the base URL)."""
    found = [link for body in _mails_to(app, email) for link in re.findall(r"https?://\S+", body) if path in link]
    assert found, _mails_to(app, email)
    return urlsplit(found[-1]).path


def test_a_guest_asks_confirms_by_mail_and_the_manager_accepts(live_server, page, artifacts_dir):
    from spaces.accounts import service as accounts

    with live_server.app.app_context():
        session = db.session
        provider = create_organisation(session, name="Quartierstreff Gastfreundlich")
        manager = accounts.register(session, email="gast-verwaltung@example.org", display_name="Verwaltung",
                                    password=PASSWORD)
        make_manager(session, manager, provider)
        space = create_space(session, organisation=provider, name="Gästeraum", capacity=25, booking_mode="on_request",
                             opening_hours=[OpeningHours(weekday=d, opens=time(8), closes=time(22)) for d in range(7)])
        session.commit()
        space_id = space.id
    day = today_local() + timedelta(days=9)
    live_server.app.extensions.setdefault("raumfinder_outbox", []).clear()

    page.goto(f"{live_server.url}/raeume/{space_id}")
    page.click("text=Ohne Konto anfragen")
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == f"/raeume/{space_id}/gastanfrage"
    page.fill("input[name=day]", day.isoformat())
    page.fill("input[name=starts]", "17:00")
    page.fill("input[name=ends]", "19:00")
    page.fill("input[name=attendees]", "15")
    page.fill("input[name=purpose]", "Nachbarschaftsfest planen")
    page.fill("input[name=name]", "Gül Yilmaz")
    page.fill("input[name=email]", GUEST)
    page.fill("input[name=group_name]", "Hausgemeinschaft Kronsberg 12")
    page.check("input[name=consent]")
    page.screenshot(path=f"{artifacts_dir}/guest-request-form.png", full_page=True)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("load")
    assert f"über den Link in der E-Mail an {GUEST}" in page.locator(".flash").inner_text()

    page.goto(live_server.url + _link(live_server.app, GUEST, "/gastanfrage/bestaetigen/"))
    assert "Hausgemeinschaft Kronsberg 12" in page.locator("main").inner_text()
    page.click("button:has-text('Anfrage an die Raumverwaltung senden')")
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == f"/raeume/{space_id}"
    assert "liegt jetzt bei der Raumverwaltung" in page.locator(".flash").inner_text()
    assert _link(live_server.app, GUEST, "/gastanfrage/absagen/")  # the receipt carries the cancellation link

    log_in_through_the_form(page, live_server.url, "gast-verwaltung@example.org")
    page.goto(live_server.url + "/verwaltung/anfragen")
    row = page.locator(".booking.guest-request", has_text="Gästeraum")
    assert "Gastanfrage: Gül Yilmaz, Hausgemeinschaft Kronsberg 12, " + GUEST in row.inner_text()
    page.screenshot(path=f"{artifacts_dir}/guest-request-inbox.png", full_page=True)
    row.locator("input[name=note]").fill("Der Schlüssel liegt beim Hausmeister.")
    row.get_by_role("button", name="annehmen").click()
    page.wait_for_load_state("load")
    assert "Gastanfrage angenommen" in page.locator(".flash").inner_text()

    decision = _mails_to(live_server.app, GUEST)[-1]
    assert "Gästeraum" in decision and "bestätigt" in decision and "Der Schlüssel liegt beim Hausmeister." in decision
