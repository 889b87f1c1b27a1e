"""Impressum and Datenschutz: linked from every page, the operator's texts when configured (as text, never
as HTML), and the list of what the service stores in any case."""

import pytest


@pytest.fixture
def legal_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LEGAL_DIR", str(tmp_path))
    return tmp_path


def test_every_page_links_both(client):
    for path in ("/", "/anmelden", "/datenschutz"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/impressum"' in page and 'href="/datenschutz"' in page, path


def test_without_the_operators_texts_the_pages_say_so(client, legal_dir):
    impressum = client.get("/impressum")
    assert impressum.status_code == 200
    assert "noch kein Impressum hinterlegt" in impressum.get_data(as_text=True)
    privacy = client.get("/datenschutz").get_data(as_text=True)
    assert "noch nicht hinterlegt" in privacy
    for what in ("Ohne Konto", "Mit Konto", "Buchungen", "Protokoll und Post", "Wie lange", "flask retention run",
                 "Meine Daten"):
        assert what in privacy


def test_the_operators_texts_are_shown_as_text(client, legal_dir):
    (legal_dir / "impressum.txt").write_text(
        "Quartiersmanagement Kronsberg\nMusterstraße 1, 30539 Hannover\n\n"
        "<script>alert(1)</script> Kontakt: qm@example.org",
        encoding="utf-8")
    (legal_dir / "datenschutz.txt").write_text("Verantwortlich: Landeshauptstadt Hannover.", encoding="utf-8")
    page = client.get("/impressum").get_data(as_text=True)
    assert page.count('<p class="legal">') == 2 and "Musterstraße 1, 30539 Hannover" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    privacy = client.get("/datenschutz").get_data(as_text=True)
    assert "Verantwortlich: Landeshauptstadt Hannover." in privacy and "noch nicht hinterlegt" not in privacy
    assert "Was dieser Dienst speichert" in privacy  # what the service stores is listed in any case


def test_english(client, legal_dir):
    page = client.get("/datenschutz?lang=en").get_data(as_text=True)
    assert "What this service stores" in page and "Privacy" in page
