"""Destructive actions ask first, in a real headless Chromium: cancelling a date happens only when the person
confirms the question that names it, and the message afterwards says which date it was."""

from datetime import timedelta

from conftest import log_in_through_the_form
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Range

from spaces.clock import now_utc
from spaces.db import db
from spaces.models import Booking, Space


def test_cancel_asks_first_and_says_what_was_cancelled(live_server, page, artifacts_dir):
    from spaces.accounts import service as accounts

    with live_server.app.app_context():
        person = accounts.register(db.session, email="absagen@example.org", display_name="Absagen",
                                   password="ein-langes-passwort", organisation_name="Lesekreis Linden")
        space = db.session.scalars(select(Space).filter_by(name="Die Übersee")).one()
        start = (now_utc() + timedelta(days=9)).replace(hour=17, minute=0, second=0, microsecond=0)
        booking = Booking(space_id=space.id, organisation_id=person.organisations[0].id, requester_id=person.id,
                          during=Range(start, start + timedelta(hours=2), bounds="[)"), status="requested",
                          attendees=8, purpose="Lesekreis")
        db.session.add(booking)
        db.session.commit()
        booking_id = booking.id

    log_in_through_the_form(page, live_server.url, "absagen@example.org")
    page.goto(live_server.url + "/meine-buchungen")
    entry = page.locator(f'[data-booking="{booking_id}"]')
    button = entry.locator("button.danger")
    assert button.inner_text() == "absagen"
    background = page.evaluate("() => getComputedStyle(document.querySelector('button.danger')).backgroundColor")
    assert background == "rgb(255, 255, 255)"  # not the solid blue of a primary button

    asked = []

    def say_no(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", say_no)
    button.click()
    page.wait_for_timeout(300)
    assert asked and "absagen?" in asked[0] and "Die Übersee" in asked[0]
    assert entry.locator(".status").inner_text() == "angefragt"  # nothing happened

    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    page.wait_for_url(live_server.url + "/meine-buchungen")
    flash = page.locator(".flash").inner_text()
    assert flash.startswith("Abgesagt: ") and "Die Übersee" in flash, flash
    page.screenshot(path=f"{artifacts_dir}/cancel-confirmed.png")
    with live_server.app.app_context():
        assert db.session.get(Booking, booking_id).status == "cancelled"
