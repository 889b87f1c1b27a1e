"""The usage report in a real headless Chromium on a desktop (1366×768): a QM admin chooses a period and a
provider, sees the figures and the heat grid, and prints the Verwendungsnachweis to PDF: an overview, the sums,
then one page per space, every page numbered with the period and the date in its margin."""

from datetime import datetime, time

from conftest import log_in_through_the_form
from factories import create_organisation, create_space
from sqlalchemy.dialects.postgresql import Range
from test_gap_report_browser import pdf_pages, squeeze

from spaces.clock import BERLIN
from spaces.db import db
from spaces.models import Booking, OpeningHours


def _world(app) -> int:
    from spaces.accounts import service as accounts

    with app.app_context():
        session = db.session
        qm = accounts.register(session, email="qm-nachweis@example.org", display_name="QM",
                               password="ein-langes-passwort")
        qm.role = "qm_admin"
        provider = create_organisation(session, name="Nachweis-Träger e. V.")
        group = create_organisation(session, name="Nachweis-Gruppe", kind="initiative")
        for name, weekday in (("Nachweisraum Saal", 1), ("Nachweisraum Küche", 3)):
            space = create_space(session, organisation=provider, name=name, booking_mode="instant")
            session.add(OpeningHours(space_id=space.id, weekday=weekday, opens=time(16), closes=time(22)))
            for day in (6, 13, 20, 27):  # October 2026: Tuesdays 6..27 and Thursdays 8..29
                start = datetime(2026, 10, day + (weekday - 1), 18, tzinfo=BERLIN)
                session.add(Booking(space_id=space.id, organisation_id=group.id, status="confirmed", attendees=8,
                                    is_public=day == 13,
                                    during=Range(start, start.replace(hour=20), bounds="[)")))
        session.commit()
        return provider.id


def test_a_qm_admin_prints_the_usage_report(live_server, page, artifacts_dir):
    provider_id = _world(live_server.app)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in_through_the_form(page, live_server.url, "qm-nachweis@example.org")

    page.goto(live_server.url + "/nutzung")
    page.get_by_label("Zeitraum von").fill("2026-10-01")
    page.get_by_label("bis einschließlich").fill("2026-10-31")
    page.get_by_label("Träger", exact=True).select_option(str(provider_id))
    page.get_by_role("button", name="Anzeigen").click()
    page.wait_for_url("**/nutzung?von=2026-10-01&bis=2026-10-31*")
    assert page.locator("svg.usage-heat").count() == 1 and page.locator("svg.usage-bars").count() == 1
    table = page.locator("table.usage-table").inner_text()
    assert "Nachweisraum Saal" in table and "Nachweisraum Küche" in table
    # open 6 hours on 4 Tuesdays and 5 Thursdays, 2 × 4 × 2 hours booked: 16 of 54, 30 %
    assert "Gesamt\t54,0\t16,0\t30\xa0%" in table
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.screenshot(path=f"{artifacts_dir}/usage-report-desktop.png", full_page=True)

    page.get_by_role("link", name="Verwendungsnachweis zum Drucken (eine Seite je Raum)").click()
    page.wait_for_selector("section.space-page")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    with open(f"{artifacts_dir}/usage-report.pdf", "wb") as out:
        out.write(pdf)
    pages = pdf_pages(pdf)
    n = len(pages)
    texts = [p["text"] for p in pages]
    assert n == 4, [t[:120] for t in texts]  # overview, sums, one page per space
    assert squeeze("Verwendungsnachweis: Nutzung der Räume") in texts[0]
    assert squeeze("Zeitraum: 01.10.2026 bis 31.10.2026") in texts[0]
    assert squeeze("Summen je Quartier und Träger") in texts[1]
    for i, text in enumerate(texts, start=1):
        assert squeeze(f"Seite {i} von {n}") in text, (i, text[-200:])
        assert squeeze("Verwendungsnachweis 01.10.2026 bis 31.10.2026, Stand 23.11.2026") in text
    for text, name, opened in zip(texts[2:], ("Nachweisraum Küche", "Nachweisraum Saal"), ("30,0", "24,0")):
        other = "Nachweisraum Saal" if name.endswith("Küche") else "Nachweisraum Küche"
        assert squeeze(name) in text and squeeze(other) not in text
        assert squeeze("Nachweis-Träger e. V.") in text and squeeze("Teststraße") in text
        # "Öffnungsstunden" without its "ff": Chromium sets it as one ligature glyph
        assert squeeze(f"nungsstunden{opened}") in text and squeeze("gebuchte Stunden8,0") in text
    assert errors == []
