"""An initiative on a phone (375 x 812, headless Chromium): from a room's "Jetzt anfragen" through registration and
the confirmation mail back to the booking form, a weekly series of 8 dates requested, and the space manager
accepting the whole series with one click."""

import re
from datetime import time, timedelta
from urllib.parse import urlsplit

import pytest
from factories import create_organisation, create_space, make_manager
from sqlalchemy import select

from spaces.clock import today_local
from spaces.db import db
from spaces.models import Booking, OpeningHours, User

pytestmark = pytest.mark.browser

PASSWORD = "ein-langes-passwort"


def _confirmation_path(app, email: str) -> str:
    """The confirmation link of the last mail to `email`, as a path on this server (links use the base URL)."""
    mails = [m for m in app.extensions.get("raumfinder_outbox", []) if m["To"] == email]
    assert mails, f"no mail to {email}"
    body = mails[-1].get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/konto/bestaetigen/\S+", body)
    assert link, body
    parts = urlsplit(link.group(0))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_register_from_a_room_request_a_weekly_series_and_have_it_accepted_at_once(live_server, page, artifacts_dir):
    from spaces.accounts import service as accounts

    with live_server.app.app_context():
        session = db.session
        provider = create_organisation(session, name="Nachbarschaftshaus Reise")
        manager = accounts.register(session, email="reise-verwaltung@example.org", display_name="Verwaltung",
                                    password=PASSWORD)
        make_manager(session, manager, provider)
        space = create_space(session, organisation=provider, name="Reiseraum", capacity=30, booking_mode="on_request")
        session.add_all(OpeningHours(space_id=space.id, weekday=d, opens=time(8), closes=time(22)) for d in range(7))
        session.commit()
        space_id = space.id
    first = today_local() + timedelta(days=7)
    while first.weekday() != 1:  # a Tuesday
        first += timedelta(days=1)

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}/raeume/{space_id}")
    page.click("a.button:has-text('Jetzt anfragen')")
    page.wait_for_load_state("load")
    assert "/anmelden" in page.url
    page.click("text=Neu hier? Konto anlegen")
    page.wait_for_load_state("load")
    assert "/registrieren" in page.url and "next=" in page.url
    page.fill("input[name=email]", "reise-chor@example.org")
    page.fill("input[name=display_name]", "Rita Reise")
    page.fill("input[name=organisation]", "Chor auf Reisen")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")
    assert "Fast geschafft" in page.locator(".flash").inner_text()

    page.goto(live_server.url + _confirmation_path(live_server.app, "reise-chor@example.org"))
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")
    # Back where the person started: the room's booking form.
    assert urlsplit(page.url).path == f"/raeume/{space_id}/buchen", page.url

    page.fill("input[name=day]", first.isoformat())
    page.fill("input[name=starts]", "18:00")
    page.fill("input[name=ends]", "20:00")
    page.select_option("select[name=frequency]", "weekly")
    page.fill("input[name=count]", "8")
    page.fill("input[name=attendees]", "20")
    page.fill("input[name=purpose]", "Chorprobe")
    page.click("form.form button[type=submit]:has-text('Anfragen')")
    page.wait_for_load_state("load")
    assert "/meine-buchungen" in page.url
    assert "8 Termine" in page.locator("main").inner_text()
    page.screenshot(path=f"{artifacts_dir}/initiative-phone-series.png", full_page=True)

    page.click("nav.account button:has-text('Abmelden')")
    page.wait_for_load_state("load")
    page.goto(live_server.url + "/anmelden")
    page.fill("input[name=email]", "reise-verwaltung@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(live_server.url + "/verwaltung/anfragen")
    page.get_by_role("button", name="Alle 8 annehmen").click()
    page.wait_for_load_state("load")
    assert "8 Termine in Reiseraum angenommen." in page.locator(".flash").inner_text()
    with live_server.app.app_context():
        group_id = db.session.scalar(select(User).filter_by(email="reise-chor@example.org")).organisations[0].id
        statuses = db.session.scalars(select(Booking.status).where(Booking.organisation_id == group_id)).all()
        assert statuses == ["confirmed"] * 8
