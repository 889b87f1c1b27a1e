"""On a phone (375×812) in headless Chromium: a group finds its slot taken and joins the waitlist from the refused
booking form; the holder cancels; the offer reaches the group by mail (read from the outbox) and on "Meine
Buchungen" (once: as the offer, not again as a request), and the group claims it."""

import re
from datetime import time, timedelta
from pathlib import Path

from conftest import log_in_through_the_form
from factories import create_organisation, create_space
from sqlalchemy import select

from spaces.accounts import service as accounts
from spaces.booking import service as booking_service
from spaces.clock import BERLIN, today_local
from spaces.core.availability import Interval, wall_time_to_utc
from spaces.db import db
from spaces.models import Booking, OpeningHours, OutboxMail

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
    const results = await axe.run(document, {runOnly: {type: 'tag', values:
        ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']});
    return results.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join('; '));
}"""


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 AA and best-practice violations on the page as it stands (as tests/test_axe.py runs it)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def test_a_group_queues_for_a_taken_slot_and_claims_it_when_it_frees(live_server, browser, artifacts_dir):
    day = today_local() + timedelta(days=3)
    with live_server.app.app_context():
        s = db.session
        space = create_space(s, organisation=create_organisation(s, name="Träger Warteliste"),
                             name="Warteraum Browser", booking_mode="instant", capacity=30)
        s.add_all(OpeningHours(space_id=space.id, weekday=d, opens=time(8), closes=time(22)) for d in range(7))
        holder = accounts.register(s, email="halter-browser@example.org", display_name="Halter",
                                   password="ein-langes-passwort", organisation_name="Chor Warteliste")
        accounts.register(s, email="warte-browser@example.org", display_name="Wartende",
                          password="ein-langes-passwort", organisation_name="Lesekreis Warteliste")
        booking_service.request_booking(
            s, user=holder, organisation=holder.organisations[0], space=space, attendees=12,
            slots=[Interval(wall_time_to_utc(day, time(18), BERLIN), wall_time_to_utc(day, time(20), BERLIN))])
        s.commit()
        space_id = space.id
    base = live_server.url
    phone = browser.new_context(locale="de-DE", viewport={"width": 375, "height": 812}, bypass_csp=True)  # for axe
    page = phone.new_page()

    log_in_through_the_form(page, base, "warte-browser@example.org")
    page.goto(f"{base}/raeume/{space_id}/buchen?day={day.isoformat()}&starts=18:00&ends=20:00")
    page.fill("input[name=attendees]", "6")
    page.get_by_role("button", name="Buchen").click()
    page.wait_for_load_state("load")
    assert "Zu dieser Zeit ist der Raum schon belegt." in page.content()
    join = page.get_by_role("button", name="Auf die Warteliste setzen")
    assert join.is_visible()
    page.screenshot(path=f"{artifacts_dir}/waitlist-join-phone.png")
    assert axe_violations(page) == []
    join.click()
    page.wait_for_url(f"{base}/meine-buchungen#warteliste")
    assert "Ihre Gruppe steht auf der Warteliste für 1 Termin." in page.locator(".flash").inner_text()
    assert "Ihre Gruppe ist als Nächste dran" in page.locator(".waitlist-places").inner_text()
    assert axe_violations(page) == []
    page.goto(f"{base}/raeume/{space_id}")
    assert "1 Gruppe wartet auf einen belegten Termin." in page.locator(".waitlist-count").inner_text()
    assert "Lesekreis" not in page.content()
    assert axe_violations(page) == []

    holder_page = browser.new_context(locale="de-DE", viewport={"width": 375, "height": 812}).new_page()
    log_in_through_the_form(holder_page, base, "halter-browser@example.org")
    holder_page.goto(f"{base}/meine-buchungen")
    holder_page.once("dialog", lambda dialog: dialog.accept())
    holder_page.locator(".booking").filter(has_text="Warteraum Browser").get_by_role("button", name="absagen").click()
    holder_page.wait_for_url(f"{base}/meine-buchungen")
    assert "Abgesagt:" in holder_page.locator(".flash").inner_text()
    holder_page.context.close()

    with live_server.app.app_context():
        mail = db.session.scalars(select(OutboxMail).where(OutboxMail.recipient == "warte-browser@example.org")
                                  .order_by(OutboxMail.id.desc())).first()
    assert "Warteraum Browser ist frei geworden" in mail.subject
    link = re.search(r"https?://\S+(/meine-buchungen)", mail.body)
    page.goto(base + link.group(1))  # the mail's link, on this test server
    offer = page.locator(".waitlist-offer")
    assert "Warteraum Browser" in offer.inner_text() and "Reserviert bis" in offer.inner_text()
    assert page.locator(".calendar .booking").filter(has_text="Warteraum Browser").count() == 0  # shown once
    page.screenshot(path=f"{artifacts_dir}/waitlist-offer-phone.png", full_page=True)
    assert axe_violations(page) == []
    offer.get_by_role("button", name="Annehmen").click()
    page.wait_for_url(f"{base}/meine-buchungen")
    assert "Gebucht:" in page.locator(".flash").inner_text()
    assert page.locator(".waitlist-offer").count() == 0
    assert "bestätigt" in page.locator(".calendar .booking").filter(has_text="Warteraum Browser").inner_text()
    with live_server.app.app_context():
        statuses = db.session.scalars(select(Booking.status).where(Booking.space_id == space_id)
                                      .order_by(Booking.id)).all()
    assert statuses == ["cancelled", "confirmed"]  # the offer's booking, now the group's
    phone.close()
