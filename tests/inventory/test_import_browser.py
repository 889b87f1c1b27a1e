"""A QM admin imports the sample CSV in a real headless Chromium on a phone (375×812): preview, confirm, found."""

from pathlib import Path

from conftest import log_in_through_the_form
from sqlalchemy import delete, select

from spaces.db import db
from spaces.inventory.tables import ImportBatch
from spaces.models import AuditEntry, Organisation, Site, Space

DATA = Path(__file__).resolve().parent.parent / "data"
PROVIDERS = ["Wohnungsgenossenschaft Kronsberg eG", "Ev.-luth. Kirchengemeinde St. Johannis",
             "Stadtbibliothek Hannover", "Quartiersmanagement Kronsrode"]


def _remove_the_import(app) -> None:
    """The live server's database is shared by the browser tests: leave it as it was."""
    with app.app_context():
        session = db.session
        org_ids = list(session.scalars(select(Organisation.id).where(Organisation.name.in_(PROVIDERS))))
        sites = select(Site.id).where(Site.organisation_id.in_(org_ids))
        session.execute(delete(Space).where(Space.site_id.in_(sites)))
        session.execute(delete(Site).where(Site.organisation_id.in_(org_ids)))
        session.execute(delete(Organisation).where(Organisation.id.in_(org_ids)))
        session.execute(delete(AuditEntry).where(AuditEntry.action == "inventory.imported"))
        session.execute(delete(ImportBatch))
        session.commit()


def test_a_qm_admin_imports_a_csv_and_finds_the_new_space(live_server, page, artifacts_dir):
    from spaces.accounts import service as accounts
    from spaces.models import Role

    with live_server.app.app_context():
        admin = accounts.register(db.session, email="import-qm@example.org", display_name="QM Import",
                                  password="ein-langes-passwort")
        admin.role = Role.QM_ADMIN
        db.session.commit()
    try:
        log_in_through_the_form(page, live_server.url, "import-qm@example.org")
        page.goto(live_server.url + "/verwaltung/raeume")
        page.get_by_role("link", name="Bestand importieren").click()
        page.get_by_label("Datei").set_input_files(str(DATA / "inventory.csv"))
        page.get_by_role("button", name="Vorschau zeigen").click()
        page.wait_for_selector("#count-created")
        assert page.locator("#count-created").inner_text() == "4"
        assert page.locator("#count-refused").inner_text() == "4"
        assert "Kapazität „viele“ ist keine Zahl." in page.locator("table.import-rows").inner_text()
        page.screenshot(path=f"{artifacts_dir}/import-preview-phone.png", full_page=True)
        with live_server.app.app_context():
            assert db.session.scalar(select(Space.id).where(Space.external_id == "KR-006")) is None

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Import bestätigen").click()
        page.wait_for_selector("text=Import übernommen")
        page.get_by_role("link", name="Stadtteilbibliothek Kronsberg").click()
        page.wait_for_selector("h1")
        assert "Stadtteilbibliothek Kronsberg" in page.locator("h1").inner_text()
        page.goto(live_server.url + "/?lat=52.3534&lon=9.8452&walk=5")
        assert "Stadtteilbibliothek Kronsberg" in page.content()  # found by the residents' search
    finally:
        _remove_the_import(live_server.app)
