"""The import in the browser (/verwaltung/import) and on the command line (flask spaces import)."""

import io
import re
from pathlib import Path

import pytest
from factories import create_organisation, csrf_of, log_in, login_as, make_manager
from sqlalchemy import func, select

from spaces.accounts import service as accounts
from spaces.inventory.tables import ImportBatch
from spaces.models import Space

DATA = Path(__file__).resolve().parent.parent / "data"


def count_spaces(session):
    return session.scalar(select(func.count()).select_from(Space))


def upload(client, filename="inventory.csv", data=None, provider=""):
    page = client.get("/verwaltung/import")
    assert page.status_code == 200
    data = (DATA / filename).read_bytes() if data is None else data
    return client.post("/verwaltung/import", data={"csrf_token": csrf_of(page), "provider": provider,
                                                   "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def preview_of(client, response):
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return response.headers["Location"], page


def test_upload_previews_writes_nothing_and_confirm_applies_all(client, session):
    login_as(client, session, "qm_admin")
    location, page = preview_of(client, upload(client))
    html = page.get_data(as_text=True)
    assert re.search(r'id="count-created">4<', html) and re.search(r'id="count-refused">4<', html)
    assert "Kapazität „viele“ ist keine Zahl." in html and "Keine Koordinaten" in html
    assert "Import bestätigen" in html and "data-confirm" in html
    assert count_spaces(session) == 0  # nothing written before the confirmation

    fingerprint = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]+)"', html).group(1)
    done = client.post(location + "/bestaetigen", data={"csrf_token": csrf_of(page), "fingerprint": fingerprint})
    assert done.status_code == 302
    assert count_spaces(session) == 4
    result = client.get(location).get_data(as_text=True)
    assert "Import übernommen" in result and "Stadtteilbibliothek Kronsberg" in result
    assert client.post(location + "/bestaetigen", data={"csrf_token": csrf_of(page), "fingerprint": fingerprint}
                       ).status_code == 409  # twice: nothing more
    assert count_spaces(session) == 4

    _, again = preview_of(client, upload(client))  # the same file again: unchanged, no duplicates
    assert re.search(r'id="count-unchanged">4<', again.get_data(as_text=True))


def test_confirm_with_an_outdated_preview_writes_nothing(client, session):
    login_as(client, session, "qm_admin")
    location, page = preview_of(client, upload(client))
    response = client.post(location + "/bestaetigen", data={"csrf_token": csrf_of(page), "fingerprint": "0" * 64})
    assert response.status_code == 409 and "seit der Vorschau geändert" in response.get_data(as_text=True)
    assert count_spaces(session) == 0


def test_discard_forgets_the_batch(client, session):
    login_as(client, session, "qm_admin")
    location, page = preview_of(client, upload(client))
    assert client.post(location + "/verwerfen", data={"csrf_token": csrf_of(page)}).status_code == 302
    assert client.get(location).status_code == 404
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0 and count_spaces(session) == 0


def test_an_unreadable_file_is_named_on_the_field(client, session):
    login_as(client, session, "qm_admin")
    response = upload(client, "liste.txt", b"hallo")
    assert response.status_code == 422 and "Dateiformat nicht erkannt" in response.get_data(as_text=True)
    response = upload(client, "leer.csv", b"")
    assert response.status_code == 422
    assert count_spaces(session) == 0


def test_a_space_manager_uses_their_provider_and_sees_only_their_batches(client, session):
    manager = accounts.register(session, email="m@example.org", display_name="M", password="ein-langes-passwort")
    mine = create_organisation(session, name="Landeshauptstadt Hannover")
    make_manager(session, manager, mine)
    log_in(client, session, manager)
    page = client.get("/verwaltung/import").get_data(as_text=True)
    assert "Landeshauptstadt Hannover" in page
    response = upload(client, "community_centres.osm", provider="Landeshauptstadt Hannover")
    location, preview = preview_of(client, response)
    html = preview.get_data(as_text=True)
    assert re.search(r'id="count-created">3<', html), html  # node/105 has no name, way/201 no capacity
    assert "eingeschränkt" in html  # wheelchair=limited is said

    other = accounts.register(session, email="o@example.org", display_name="O", password="ein-langes-passwort")
    make_manager(session, other, create_organisation(session))
    log_in(client, session, other)
    assert client.get(location).status_code == 404  # someone else's batch


@pytest.mark.parametrize("who, status", [("member", 403), ("space_manager_of_nothing", 403)])
def test_others_are_refused(client, session, who, status):
    login_as(client, session, "member" if who == "member" else "space_manager")
    assert client.get("/verwaltung/import").status_code == status


def test_anonymous_is_sent_to_login(client, session):
    for path in ("/verwaltung/import", "/verwaltung/import/00000000-0000-0000-0000-000000000000"):
        response = client.get(path)
        assert response.status_code == 302 and "/anmelden" in response.headers["Location"]
    for path in ("/verwaltung/import", "/verwaltung/import/00000000-0000-0000-0000-000000000000/bestaetigen",
                 "/verwaltung/import/00000000-0000-0000-0000-000000000000/verwerfen"):  # CSRF refuses first
        assert client.post(path).status_code in (302, 400)


def test_posts_without_csrf_are_refused(client, session):
    login_as(client, session, "qm_admin")
    location, _ = preview_of(client, upload(client))
    assert client.post(location + "/bestaetigen", data={"fingerprint": "x"}).status_code in (400, 422)
    assert client.post(location + "/verwerfen").status_code in (400, 422)
    assert count_spaces(session) == 0
    assert client.post("/verwaltung/import", data={"file": (io.BytesIO(b"a"), "a.csv")},
                       content_type="multipart/form-data").status_code in (400, 422)


def test_manage_page_links_to_the_import(client, session):
    login_as(client, session, "qm_admin")
    create_organisation(session)
    assert "Bestand importieren" in client.get("/verwaltung/raeume").get_data(as_text=True)


# ----------------------------------------------------------------------------- the command


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["spaces", "import", *args], input=input)


def test_command_dry_run_prints_and_writes_nothing(app, session):
    result = run(app, str(DATA / "inventory.csv"), "--dry-run")
    assert result.exit_code == 1, result.output
    assert "8 Zeilen: 4 neu, 0 aktualisiert, 0 unverändert, 4 abgelehnt." in result.output
    assert "abgelehnt Zeile 7: Kapazität „viele“ ist keine Zahl." in result.output
    assert count_spaces(session) == 0


def test_command_asks_and_no_writes_nothing(app, session):
    result = run(app, str(DATA / "inventory.csv"), input="n\n")
    assert result.exit_code == 1 and "Import übernehmen?" in result.output
    assert count_spaces(session) == 0


def test_command_yes_applies_with_the_default_provider(app, session):
    result = run(app, str(DATA / "community_centres_overpass.json"), "--provider", "OSM-Import", "--yes")
    assert result.exit_code == 0, result.output
    assert "Übernommen: 3 neu" in result.output
    names = set(session.scalars(select(Space.name)))
    assert {"Stadtteilzentrum KroKuS", "Freizeitheim Linden", "Nachbarschaftstreff Sahlkamp"} == names
    again = run(app, str(DATA / "community_centres.osm"), "--provider", "OSM-Import", "--dry-run")
    assert "0 neu, 0 aktualisiert, 3 unverändert" in again.output  # the XML of the same nodes matches


def test_command_unreadable_file_exits_2(app, session, tmp_path):
    broken = tmp_path / "kaputt.osm"
    broken.write_text("<osm><node")
    result = run(app, str(broken))
    assert result.exit_code == 2
