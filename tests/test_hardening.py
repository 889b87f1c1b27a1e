"""Bad input gets a clear answer, never a 5xx; links and hosts come from configuration; every answer
carries the browser's security headers. One place does each of these for all routes (spaces.hardening,
spaces.fields.Form, spaces.core.days)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from conftest import make_app
from factories import create_space, csrf_of
from sqlalchemy import select

from spaces.accounts import service as accounts
from spaces.db import db
from spaces.models import OutboxMail, User

pytestmark = pytest.mark.usefixtures("fast_password_hashes")


@pytest.fixture
def member(session):
    return accounts.register(session, email="mitglied@example.org", display_name="Mitglied",
                             password="ein-langes-passwort", organisation_name="Nachbarschaftschor")


# ----------------------------------------------------------------------------- ids, control characters, dates


@pytest.mark.parametrize("path", ["/api/spaces/2147483648", "/raeume/99999999999", "/api/spaces/0",
                                  "/api/bookings/2147483648", "/raeume/2147483648/kalender.ics"])
def test_an_id_beyond_the_database_is_not_found(client, path):
    assert client.get(path).status_code in (401, 404)  # the booking API asks for a login first


def test_an_id_beyond_the_database_in_a_json_body_is_a_400(client, session, member):
    token = accounts.create_api_token(session, member, "t")
    response = client.post("/api/bookings", headers={"Authorization": f"Bearer {token}"}, json={
        "space_id": 2**31, "organisation_id": member.organisations[0].id, "date": "2027-12-07", "from": "18:00",
        "to": "20:00", "attendees": 5})
    assert response.status_code in (400, 404) and "error" in response.get_json()


@pytest.mark.parametrize("path", ["/?quartier=%00", "/?name=a%00b", "/api/spaces?kind=room%00",
                                  "/api/spaces/nearest?lat=52.37%00&lon=9.73", "/raeume/1?woche=%07"])
def test_a_nul_or_control_character_in_a_parameter_is_a_german_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "Steuerzeichen" in response.get_data(as_text=True)


def test_a_nul_in_a_json_string_is_a_400_and_stores_nothing(client, session, member):
    token = accounts.create_api_token(session, member, "t")
    space = create_space(session, booking_mode="instant")
    response = client.post("/api/bookings", headers={"Authorization": f"Bearer {token}"}, json={
        "space_id": space.id, "organisation_id": member.organisations[0].id, "date": "2027-12-07", "from": "18:00",
        "to": "20:00", "attendees": 5, "purpose": "Probe\x00"})
    assert response.status_code == 400 and "Steuerzeichen" in response.get_json()["error"]


@pytest.mark.parametrize("field", ["email", "password"])
def test_a_nul_in_a_login_form_is_a_form_error(client, field):
    page = client.get("/anmelden")
    data = {"csrf_token": csrf_of(page), "email": "a@example.org", "password": "ein-langes-passwort"}
    data[field] += "\x00"
    response = client.post("/anmelden", data=data)
    assert response.status_code in (200, 422)
    assert "Bitte keine Steuerzeichen verwenden." in response.get_data(as_text=True)


def test_a_newline_in_a_group_name_is_made_one_line_and_invitations_still_go_out(client, session):
    page = client.get("/registrieren")
    response = client.post("/registrieren", data={
        "csrf_token": csrf_of(page), "email": "neu@example.org", "display_name": "Neu\r\nBcc: evil@example.org",
        "organisation": "Chor\nBcc: evil@example.org", "password": "ein-langes-passwort",
        "confirm": "ein-langes-passwort"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    user = session.scalar(select(User).filter_by(email="neu@example.org"))
    assert user.display_name == "Neu Bcc: evil@example.org"
    [mail] = session.scalars(select(OutboxMail).filter_by(recipient="neu@example.org")).all()
    assert "\n" not in mail.subject and "Neu Bcc: evil@example.org" in mail.body
    path = urlsplit(re.search(r"https?://\S+", mail.body).group()).path
    confirmed = client.post(path, data={"csrf_token": csrf_of(client.get(path)), "password": "ein-langes-passwort"})
    assert confirmed.status_code == 302
    session.expire_all()
    assert user.organisations[0].name == "Chor Bcc: evil@example.org"
    invite = client.get(f"/organisationen/{user.organisations[0].id}/einladen")
    sent = client.post(f"/organisationen/{user.organisations[0].id}/einladen",
                       data={"csrf_token": csrf_of(invite), "email": "freundin@example.org", "role": "member"})
    assert sent.status_code == 302
    [mail] = session.scalars(select(OutboxMail).filter_by(recipient="freundin@example.org")).all()
    assert "\n" not in mail.subject and mail.sent_at is not None


@pytest.mark.parametrize("path", ["/raeume/{id}?woche=9999-12-31", "/raeume/{id}?woche=0001-01-01",
                                  "/api/spaces/{id}/availability?from=0001-01-01",
                                  "/api/spaces/{id}/availability?from=9999-12-30&to=9999-12-31",
                                  "/?date=9999-12-31"])
def test_extreme_dates_are_a_german_400(client, session, path):
    space = create_space(session)
    response = client.get(path.format(id=space.id))
    assert response.status_code == 400
    assert "2099" in response.get_data(as_text=True)


def test_a_booking_on_the_last_day_of_9999_is_refused_not_an_error(client, session, member):
    token = accounts.create_api_token(session, member, "t")
    space = create_space(session, booking_mode="instant")
    response = client.post("/api/bookings", headers={"Authorization": f"Bearer {token}"}, json={
        "space_id": space.id, "organisation_id": member.organisations[0].id, "date": "9999-12-31",
        "from": "23:00", "to": "00:00", "ends_next_day": True, "attendees": 5})
    assert response.status_code == 422
    assert response.get_json()["code"] == "out_of_range"


def test_a_wrong_method_is_405_with_allow(client):
    response = client.post("/api/spaces", json={})
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert client.delete("/").headers["Allow"]


# ----------------------------------------------------------------------------- hosts and links


def test_links_in_mails_come_from_the_configured_base_url_not_the_host_header(client, session, member, app):
    page = client.get("/passwort-vergessen", base_url="http://evil.example")  # Host: evil.example
    sent = client.post("/passwort-vergessen", data={"csrf_token": csrf_of(page), "email": member.email},
                       base_url="http://evil.example")
    assert sent.status_code == 302
    [mail] = session.scalars(select(OutboxMail).filter_by(recipient=member.email)).all()
    assert "evil.example" not in mail.body
    assert app.config["BASE_URL"] + "/passwort-neu/" in mail.body


def test_production_answers_only_its_own_host(database_url):
    app = make_app(database_url, PRODUCTION=True, BASE_URL="https://raumfinder.example")
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    own = client.get("/healthz", base_url="https://raumfinder.example")
    assert own.status_code == 200
    assert own.headers["Strict-Transport-Security"].startswith("max-age=")
    with app.app_context():
        db.engine.dispose()


# ----------------------------------------------------------------------------- headers


def test_every_answer_carries_the_browsers_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "'unsafe-inline'" not in csp.split(
        "style-src")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # only in production, over HTTPS
    nonce = re.search(r"'nonce-([^']+)'", csp)[1]
    page = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert " on" not in " ".join(re.findall(r"<[a-z]+ [^>]*\bon[a-z]+=", page))  # no inline event handlers
    assert client.get("/api/spaces").headers["X-Content-Type-Options"] == "nosniff"


def test_each_answer_has_its_own_nonce(client):
    first = re.search(r"'nonce-([^']+)'", client.get("/").headers["Content-Security-Policy"])[1]
    second = re.search(r"'nonce-([^']+)'", client.get("/").headers["Content-Security-Policy"])[1]
    assert first != second


# ----------------------------------------------------------------------------- the policy in a real browser

CSP_PAGES = ["/", "/?ansicht=liste", "/raeume/1", "/raeume/1/buchen", "/meine-buchungen", "/bedarf", "/bedarf/druck",
             "/bedarf/richtwerte", "/bedarfe/neu", "/verwaltung/raeume", "/verwaltung/raeume/neu",
             "/verwaltung/raeume/1/bearbeiten", "/verwaltung/bauabschnitte", "/verwaltung/bauabschnitte/neu",
             "/verwaltung/anfragen", "/verwaltung/raumvergabe", "/passwort-vergessen"]


@pytest.mark.browser
def test_no_page_breaks_the_content_security_policy(live_server, browser):
    """Every page works under the policy: no inline script without its nonce, no eval, nothing from elsewhere;
    a violation would show as a console error and as a securitypolicyviolation event."""
    with live_server.app.app_context():
        user = accounts.register(db.session, email="csp-qm@example.org", display_name="QM",
                                 password="ein-langes-passwort")
        user.role = "qm_admin"
        db.session.commit()
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.add_init_script("document.addEventListener('securitypolicyviolation', "
                         "e => console.error('CSP ' + e.violatedDirective + ' ' + e.blockedURI))")
    try:
        page.goto(live_server.url + "/anmelden")
        page.fill("input[name=email]", "csp-qm@example.org")
        page.fill("input[name=password]", "ein-langes-passwort")
        page.click("form.form button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        for path in CSP_PAGES:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            if page.locator(".folium-map").count():
                page.wait_for_selector(".folium-map[data-ready='1'], .folium-map[data-loaded='1']", timeout=15_000)
            page.wait_for_timeout(200)
        assert problems == []
    finally:
        context.close()
