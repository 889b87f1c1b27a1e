"""Accounts end to end: registration, login and logout, password reset, invitations, rate limits,
cookie settings, API tokens and the request size limit.

Everything goes through the HTTP routes with real CSRF tokens. Rate-limit counters are written
outside the test transaction (their own engine), so every test sends its requests from an
address of its own (fixture `client`: REMOTE_ADDR 10.23.x.y); the tests of two worker processes
and of the production configuration use a migrated database of their own.

Two fixtures differ from conftest's on purpose: `session` binds Flask-SQLAlchemy's session to the
rolled-back connection for real (its Session.get_bind otherwise picks the engine, so commits would
persist), and `client` is a Browser that gives each request an app context of its own (otherwise
`g` — Flask-Login's user, the CSRF token — would carry over from one request and client to the next).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import make_app, migrated_database, reset_rate_limits
from factories import csrf_of
from flask import current_app, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from spaces.accounts import service as accounts
from spaces.accounts.ratelimit import EXTENSION_KEY, TOO_MANY, PostgresStorage
from spaces.clock import now_utc
from spaces.db import db
from spaces.models import ApiToken, Invitation, Organisation, Role, User, UserSession

PASSWORD = "korrekt-pferd-batterie"
NEW_PASSWORD = "neues-passwort-2024!"
WRONG_LOGIN = "E-Mail oder Passwort stimmt nicht."
RESET_FLASH = "Wenn es ein Konto mit dieser Adresse gibt, ist ein Link zum neuen Passwort unterwegs."

_addresses = itertools.count(1)


def _new_address() -> str:
    n = next(_addresses)
    return f"10.23.{n // 250}.{n % 250 + 1}"


# --------------------------------------------------------------------------------- helpers


def form_token(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return csrf_of(response)


class Browser(FlaskClient):
    """A test client whose every request gets an app context of its own, as in production.

    Inside the `session` fixture an app context is pushed for the whole test, and Flask reuses it
    for every request: `g` would then carry Flask-Login's user, Flask-WTF's CSRF token and the
    locale from one request (and one client) into the next. The login sessions tested here depend
    on exactly that state, so each request runs in a fresh app context (its own db.session on the
    test's connection, released at teardown); the test's own session is expired afterwards so it
    reads what the request wrote.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context() and current_app._get_current_object() is self.application:
            db.session.expire_all()
        return response


def new_client(app, address: str | None = None):
    """A browser of its own, from an address of its own (rate limits count per address)."""
    client = Browser(app, app.response_class, use_cookies=True)
    client.environ_base["REMOTE_ADDR"] = address or _new_address()
    return client


def login(client, email: str, password: str = PASSWORD, *, remember: bool = False, next: str | None = None):
    token = form_token(client, "/anmelden")
    data = {"csrf_token": token, "email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/anmelden", query_string={"next": next} if next else None, data=data)


def register_form(client, **fields):
    token = form_token(client, "/registrieren")
    data = {"csrf_token": token, "email": "neu@example.org", "display_name": "Neue Person",
            "organisation": "", "password": PASSWORD, "confirm": PASSWORD}
    data.update(fields)
    return client.post("/registrieren", data=data)


def logout(client):
    token = form_token(client, "/meine-buchungen")  # the logout form in the header
    return client.post("/abmelden", data={"csrf_token": token})


def cookie(client, name: str = "session") -> str | None:
    found = client.get_cookie(name)
    return found.value if found else None


def session_data(app, value: str) -> dict:
    return app.session_interface.get_signing_serializer(app).loads(value)


def set_cookies(response, name: str) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]


def is_logged_in(client) -> bool:
    response = client.get("/meine-buchungen")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/anmelden"
    return False


def make_user(session, email: str = "mitglied@example.org", *, password: str = PASSWORD,
              organisation: Organisation | None = None, role: str = Role.MEMBER, **params) -> User:
    user = accounts.register(session, email=email, display_name=params.pop("display_name", email.split("@")[0]),
                             password=password)
    user.role = role
    for key, value in params.items():
        setattr(user, key, value)
    if organisation is not None:
        user.organisations.append(organisation)
    session.flush()
    return user


def make_org(session, name: str = "Stadtteilverein") -> Organisation:
    org = Organisation(key=f"org-test-{next(_addresses)}", name=name, kind="association")
    session.add(org)
    session.flush()
    return org


def link_in(message) -> str:
    body = message.get_content()
    found = re.search(r"https?://\S+", body)
    assert found, body
    return found.group(0)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# -------------------------------------------------------------------------------- fixtures


@pytest.fixture
def client(app, session):
    """The test client from an address no other test uses; per-account counters start from zero."""
    reset_rate_limits()
    return new_client(app)


@pytest.fixture
def member(session):
    return make_user(session)


@pytest.fixture(scope="module")
def own_database_url():
    """A migrated database for tests that build apps of their own (two workers, production)."""
    with migrated_database("raumfinder_accounts") as url:
        yield url


@pytest.fixture
def new_app(own_database_url):
    """Apps on the own database, as each worker process builds one; disposed afterwards."""
    made = []

    def new(**config):
        app = make_app(own_database_url, **config)
        made.append(app)
        return app

    yield new
    for app in made:
        bound = app.extensions.get(EXTENSION_KEY)
        if bound and isinstance(bound[0], PostgresStorage):
            bound[0].reset()
            bound[0].engine.dispose()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# ---------------------------------------------------------------------------- registration


CONFIRM_FLASH = "Fast geschafft: Wir haben Ihnen eine Mail an"


def confirmation_link(outbox, email: str) -> str:
    """The path of the latest confirmation link mailed to `email`."""
    mails = [m for m in outbox if m["To"] == email and "bestätigen" in m["Subject"]]
    assert mails, [m["Subject"] for m in outbox]
    path = urlsplit(link_in(mails[-1])).path
    assert path.startswith("/konto/bestaetigen/")
    return path


def confirm(client, path: str, password: str = PASSWORD):
    return client.post(path, data={"csrf_token": form_token(client, path), "password": password})


def test_registration_waits_for_the_confirmed_address_then_creates_the_initiative(client, app, session, outbox):
    response = register_form(client, email="  Ada.Lovelace@Example.ORG ", display_name="Ada",
                             organisation="Nachbarschaftsgarten Linden")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/anmelden"
    assert CONFIRM_FLASH in client.get(response.headers["Location"]).get_data(as_text=True)

    user = session.scalar(select(User).where(User.email == "ada.lovelace@example.org"))
    assert user is not None, "the email is stored normalised (trimmed, lower case)"
    assert user.role == Role.MEMBER and user.is_active and user.display_name == "Ada"
    assert user.password_hash != PASSWORD and PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert check_password_hash(user.password_hash, PASSWORD)
    assert user.email_verified_at is None and user.organisations == [], "nothing before the address is proven"
    assert not is_logged_in(client)
    assert session.scalar(select(func.count()).where(UserSession.user_id == user.id)) == 0

    # the password alone does not log in: the link is sent again instead
    other = new_client(app)
    refused = login(other, "ada.lovelace@example.org")
    assert refused.status_code == 422
    assert "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in refused.get_data(as_text=True)
    assert not is_logged_in(other)
    assert [m["Subject"] for m in outbox if m["To"] == "ada.lovelace@example.org"] == [
        "Raumfinder: E-Mail-Adresse bestätigen"] * 2, "at registration, and again at the refused login"

    # the link, with the registration's password, confirms and logs in
    path = confirmation_link(outbox, "ada.lovelace@example.org")
    page = client.get(path)
    assert page.status_code == 200 and "ada.lovelace@example.org" in page.get_data(as_text=True)
    assert confirm(client, path, "falsches-passwort").status_code == 422
    response = confirm(client, path)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/"
    assert "Ihre E-Mail-Adresse ist bestätigt." in client.get("/").get_data(as_text=True)
    assert is_logged_in(client)
    user = session.get(User, user.id)
    assert user.email_verified_at is not None
    assert [(o.name, o.kind) for o in user.organisations] == [("Nachbarschaftsgarten Linden", "initiative")]
    assert session.scalar(select(func.count()).where(UserSession.user_id == user.id)) == 1

    # once: the link is used up, and logging in works
    assert client.get(path).status_code == 404
    assert login(new_client(app), "ada.lovelace@example.org").status_code == 302


def test_registration_without_initiative_creates_no_organisation(client, session, outbox):
    before = count(session, Organisation)
    assert register_form(client, email="solo@example.org").status_code == 302
    assert confirm(client, confirmation_link(outbox, "solo@example.org")).status_code == 302
    user = session.scalar(select(User).where(User.email == "solo@example.org"))
    assert user.organisations == [] and user.email_verified_at is not None
    assert count(session, Organisation) == before


def test_registration_does_not_say_whether_an_address_has_an_account(client, app, session, member, outbox):
    users, organisations = count(session, User), count(session, Organisation)
    known = register_form(client, email="MITGLIED@example.org", organisation="Doppelte Initiative",
                          password="ganz-anderes-passwort", confirm="ganz-anderes-passwort")
    unknown = register_form(new_client(app), email="unbekannt@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert CONFIRM_FLASH in client.get(known.headers["Location"]).get_data(as_text=True)

    # the account's owner hears of it; nothing about the account changed
    [told] = [m for m in outbox if m["To"] == "mitglied@example.org"]
    assert "Sie haben schon ein Konto" in told["Subject"] and "/passwort-vergessen" in told.get_content()
    assert "/konto/bestaetigen/" not in told.get_content()
    assert (count(session, User), count(session, Organisation)) == (users + 1, organisations)
    assert session.scalar(select(Organisation).where(Organisation.name == "Doppelte Initiative")) is None
    assert check_password_hash(session.get(User, member.id).password_hash, PASSWORD)
    assert not is_logged_in(client)


def test_registering_an_unconfirmed_address_again_replaces_the_attempt_and_its_link(client, app, session, outbox):
    """Someone registering another person's address cannot end up with that person's account."""
    register_form(client, email="opfer@example.org", display_name="Angreifer", password="angreifer-pass",
                  confirm="angreifer-pass")
    stale = confirmation_link(outbox, "opfer@example.org")
    owner = new_client(app)
    register_form(owner, email="opfer@example.org", display_name="Opfer", organisation="Hofflohmarkt")
    fresh = confirmation_link(outbox, "opfer@example.org")
    assert stale != fresh
    assert owner.get(stale).status_code == 404, "the first attempt's link no longer works"
    assert confirm(owner, fresh, "angreifer-pass").status_code == 422, "nor does its password"
    assert confirm(owner, fresh).status_code == 302
    user = session.scalar(select(User).where(User.email == "opfer@example.org"))
    assert user.display_name == "Opfer" and [o.name for o in user.organisations] == ["Hofflohmarkt"]
    assert login(new_client(app), "opfer@example.org", "angreifer-pass").status_code == 422


def test_confirmation_links_expire_after_a_week_and_forged_ones_are_404(client, session, outbox, clock):
    register_form(client, email="spaet@example.org")
    path = confirmation_link(outbox, "spaet@example.org")
    assert client.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 404
    assert client.get("/konto/bestaetigen/nonsense").status_code == 404
    clock.advance(timedelta(days=7, minutes=1))
    assert client.get(path).status_code == 404
    assert session.scalar(select(User.email_verified_at).where(User.email == "spaet@example.org")) is None


def test_a_reset_link_also_confirms_the_address(client, session, outbox):
    register_form(client, email="vergesslich@example.org")
    token = form_token(client, "/passwort-vergessen")
    client.post("/passwort-vergessen", data={"csrf_token": token, "email": "vergesslich@example.org"})
    [reset] = [m for m in outbox if "neues Passwort" in m["Subject"]]
    path = urlsplit(link_in(reset)).path
    response = client.post(path, data={"csrf_token": form_token(client, path), "password": NEW_PASSWORD,
                                       "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and is_logged_in(client)
    assert session.scalar(select(User.email_verified_at).where(User.email == "vergesslich@example.org"))


def test_unconfirmed_accounts_cannot_use_sessions_or_tokens(client, session):
    signup = accounts.sign_up(session, email="halb@example.org", display_name="Halb", password=PASSWORD)
    assert not signup.existing and signup.user.email_verified_at is None
    with pytest.raises(accounts.AccountError):
        accounts.open_session(session, signup.user)
    _, token = accounts.issue_api_token(session, signup.user, "x")
    session.flush()
    assert accounts.user_for_api_token(session, token) is None
    assert client.get("/api/tokens", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.parametrize(("fields", "message"), [
    ({"password": "kurz12345", "confirm": "kurz12345"}, "Das Passwort braucht mindestens 10 Zeichen."),
    ({"confirm": PASSWORD + "x"}, "Die Passwörter stimmen nicht überein."),
    ({"email": "keine-adresse"}, "Bitte eine gültige E-Mail-Adresse angeben."),
    ({"email": "a@b"}, "Bitte eine gültige E-Mail-Adresse angeben."),
    ({"email": "gleich@example.org", "password": "gleich@example.org", "confirm": "gleich@example.org"},
     "Das Passwort darf nicht die E-Mail-Adresse sein."),
    ({"display_name": ""}, "Bitte ausfüllen."),
])
def test_registration_form_errors(client, session, fields, message):
    users = count(session, User)
    response = register_form(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(session, User) == users
    assert not is_logged_in(client)


def test_registration_email_is_lower_case_and_login_ignores_case(client, app, session, outbox):
    assert register_form(client, email="Grete.Mueller@Beispiel.DE").status_code == 302
    assert confirm(client, confirmation_link(outbox, "grete.mueller@beispiel.de")).status_code == 302
    assert session.scalar(select(User.email).where(User.email.ilike("grete.mueller@beispiel.de"))) \
        == "grete.mueller@beispiel.de"
    other = new_client(app)
    assert login(other, " GRETE.mueller@beispiel.de ").status_code == 302
    assert is_logged_in(other)


# ----------------------------------------------------------------------------------- login


def test_wrong_password_and_unknown_email_get_the_same_answer(client, member, session):
    session.add(User(email="inaktiv@example.org", display_name="Inaktiv", role=Role.MEMBER, is_active=False,
                     password_hash=session.get(User, member.id).password_hash))
    session.flush()
    answers = [login(client, email, password) for email, password in (
        ("mitglied@example.org", "falsches-passwort"),
        ("niemand@example.org", "falsches-passwort"),
        ("inaktiv@example.org", PASSWORD),
    )]
    assert [a.status_code for a in answers] == [422, 422, 422]
    for answer in answers:
        html = answer.get_data(as_text=True)
        assert WRONG_LOGIN in html
        assert "gibt es nicht" not in html and "unbekannt" not in html.lower()
        assert not set_cookies(answer, "remember_token")
    assert not is_logged_in(client)


def test_login_redirects_to_a_local_next_path(client, member):
    response = login(client, member.email, next="/meine-buchungen")
    assert response.status_code == 302
    assert response.headers["Location"] == "/meine-buchungen"
    assert client.get("/meine-buchungen").status_code == 200


def test_login_without_next_goes_to_the_start_page(client, member):
    response = login(client, member.email)
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", [
    "https://evil.example",
    "https://evil.example/meine-buchungen",
    "//evil.example",
    "//evil.example/anmelden",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    pytest.param("/\t/evil.example", id="tab"),  # browsers drop tabs: would become //evil.example
    pytest.param("/\n/evil.example", id="newline"),  # was a 500 after the login was committed
])
def test_login_does_not_redirect_off_site(client, member, target):
    response = login(client, member.email, next=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), location
    assert location.startswith("/") and not location.startswith("//"), location
    assert "evil" not in location
    assert is_logged_in(client)


def test_session_cookie_is_httponly_and_samesite_lax(client, app, member):
    response = login(client, member.email, remember=True)
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        (header,) = set_cookies(response, name)
        flags = [part.strip().lower() for part in header.split(";")[1:]]
        assert "httponly" in flags, header
        assert "samesite=lax" in flags, header
        assert "secure" not in flags, header  # only in production (below)
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_login_starts_a_new_session(client, app, member, session):
    client.get("/?lang=en")
    before = cookie(client)
    assert before and session_data(app, before).get("lang") == "en"
    form_token(client, "/anmelden")
    pre_login = cookie(client)
    assert "_user_id" not in session_data(app, pre_login)

    assert login(client, member.email).status_code == 302
    after = cookie(client)
    assert after not in (before, pre_login)
    data = session_data(app, after)
    assert "lang" not in data, "nothing from before the login survives"
    assert "csrf_token" not in data or data["csrf_token"] != session_data(app, pre_login).get("csrf_token")
    first_token = data["_user_id"]
    row = session.scalar(select(UserSession).where(UserSession.token_hash == accounts.hash_token(first_token)))
    assert row is not None and row.user_id == member.id
    assert first_token not in (row.token_hash, str(member.id)), "the browser holds a token, the database its hash"

    # a second login (another browser) is another login session, with its own token and row
    other = new_client(app)
    assert login(other, member.email).status_code == 302
    second_token = session_data(app, cookie(other))["_user_id"]
    assert second_token != first_token
    rows = session.scalars(select(UserSession.token_hash).where(UserSession.user_id == member.id)).all()
    assert sorted(rows) == sorted({accounts.hash_token(first_token), accounts.hash_token(second_token)})


# ---------------------------------------------------------------------------------- logout


def test_logout_ends_the_session_for_good(client, member, session):
    assert login(client, member.email).status_code == 302
    copied = cookie(client)
    assert client.get("/meine-buchungen").status_code == 200
    assert session.scalar(select(func.count()).where(UserSession.user_id == member.id)) == 1

    response = logout(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert session.scalar(select(func.count()).where(UserSession.user_id == member.id)) == 0
    assert not is_logged_in(client)

    client.set_cookie("session", copied)  # the copied cookie, replayed
    replay = client.get("/meine-buchungen")
    assert replay.status_code == 302
    assert urlsplit(replay.headers["Location"]).path == "/anmelden"
    assert client.get("/api/bookings").status_code == 401


def test_remember_me_cookie_is_refused_after_logout(client, app, member):
    assert login(client, member.email, remember=True).status_code == 302
    remembered = cookie(client, "remember_token")
    assert remembered

    # the remember cookie alone logs a new browser in ...
    probe = new_client(app)
    probe.set_cookie("remember_token", remembered)
    assert probe.get("/meine-buchungen").status_code == 200

    assert logout(client).status_code == 302

    # ... but not after logout
    replay = new_client(app)
    replay.set_cookie("remember_token", remembered)
    response = replay.get("/meine-buchungen")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/anmelden"
    assert replay.get("/api/bookings").status_code == 401


def test_expired_session_or_deactivated_user_is_logged_out(client, app, member, session):
    assert login(client, member.email).status_code == 302
    row = session.scalar(select(UserSession).where(UserSession.user_id == member.id))
    row.expires_at = now_utc() - timedelta(seconds=1)
    session.flush()
    assert not is_logged_in(client)

    other = new_client(app)
    assert login(other, member.email).status_code == 302
    assert is_logged_in(other)
    session.get(User, member.id).is_active = False
    session.flush()
    assert not is_logged_in(other)


def test_logout_deletes_the_remember_cookie(client, member):
    assert login(client, member.email, remember=True).status_code == 302
    assert cookie(client, "remember_token")
    response = logout(client)
    assert response.status_code == 302
    assert any("remember_token=;" in h or "Max-Age=0" in h for h in set_cookies(response, "remember_token"))
    assert cookie(client, "remember_token") is None


def test_logout_needs_a_csrf_token(client, member, session):
    assert login(client, member.email).status_code == 302
    assert client.post("/abmelden").status_code == 400
    assert client.post("/abmelden", data={"csrf_token": "gefälscht"}).status_code == 400
    assert client.get("/abmelden").status_code == 405
    assert is_logged_in(client)
    assert session.scalar(select(func.count()).where(UserSession.user_id == member.id)) == 1


def test_logout_with_an_api_token_is_not_a_server_error(client, member, session):
    token = accounts.create_api_token(session, member, "Skript")
    response = client.post("/abmelden", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500
    assert accounts.user_for_api_token(session, token) is not None


# -------------------------------------------------------------------------- password reset


def request_reset(client, email: str):
    token = form_token(client, "/passwort-vergessen")
    return client.post("/passwort-vergessen", data={"csrf_token": token, "email": email})


def test_reset_request_for_a_known_address_mails_one_link(client, member, outbox):
    response = request_reset(client, "Mitglied@Example.org")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/anmelden"
    assert len(outbox) == 1
    (mail,) = outbox
    assert mail["To"] == "mitglied@example.org"
    assert "neues Passwort" in mail["Subject"]
    link = urlsplit(link_in(mail))
    assert link.path.startswith("/passwort-neu/") and len(link.path) > len("/passwort-neu/") + 20
    assert RESET_FLASH in client.get("/anmelden").get_data(as_text=True)


def test_reset_request_for_an_unknown_address_looks_the_same_and_sends_nothing(client, member, outbox):
    known = request_reset(client, "mitglied@example.org")
    known_page = client.get("/anmelden").get_data(as_text=True)
    outbox.clear()
    unknown = request_reset(client, "niemand@example.org")
    unknown_page = client.get("/anmelden").get_data(as_text=True)
    assert outbox == []
    assert (unknown.status_code, unknown.headers["Location"]) == (known.status_code, known.headers["Location"])
    assert RESET_FLASH in known_page and RESET_FLASH in unknown_page


def test_reset_link_works_once_and_ends_other_sessions(client, app, member, outbox, session):
    api_token = accounts.create_api_token(session, member, "Skript")
    assert client.get("/api/bookings", headers={"Authorization": f"Bearer {api_token}"}).status_code == 200
    elsewhere = new_client(app)
    assert login(elsewhere, member.email, remember=True).status_code == 302
    old_session, old_remember = cookie(elsewhere), cookie(elsewhere, "remember_token")

    request_reset(client, member.email)
    path = urlsplit(link_in(outbox[-1])).path
    page = client.get(path)
    assert page.status_code == 200
    response = client.post(path, data={"csrf_token": csrf_of(page), "password": NEW_PASSWORD,
                                       "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert is_logged_in(client), "the reset logs this browser in"

    assert check_password_hash(session.get(User, member.id).password_hash, NEW_PASSWORD)
    # the same link a second time
    assert client.get(path).status_code == 404
    assert client.post(path, data={"csrf_token": form_token(client, "/anmelden"), "password": "noch-ein-passwort",
                                   "confirm": "noch-ein-passwort"}).status_code == 404
    # the other browser is logged out, its cookies (copied or not) are refused
    assert not is_logged_in(elsewhere)
    replay = new_client(app)
    replay.set_cookie("session", old_session)
    assert not is_logged_in(replay)
    replay = new_client(app)
    replay.set_cookie("remember_token", old_remember)
    assert not is_logged_in(replay)
    assert session.scalar(select(func.count()).where(UserSession.user_id == member.id)) == 1
    # API tokens made with the old password are revoked too
    assert new_client(app).get("/api/bookings", headers={"Authorization": f"Bearer {api_token}"}).status_code == 401
    # old password no longer, new one yes
    assert login(new_client(app), member.email, PASSWORD).status_code == 422
    assert login(new_client(app), member.email, NEW_PASSWORD).status_code == 302


def test_reset_form_errors_keep_the_password(client, member, outbox, session):
    request_reset(client, member.email)
    path = urlsplit(link_in(outbox[-1])).path
    token = form_token(client, path)
    for password, confirm, message in (("kurz", "kurz", "mindestens 10 Zeichen"),
                                       (NEW_PASSWORD, NEW_PASSWORD + "x", "stimmen nicht überein")):
        response = client.post(path, data={"csrf_token": token, "password": password, "confirm": confirm})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert check_password_hash(session.get(User, member.id).password_hash, PASSWORD)
    assert client.get(path).status_code == 200, "a refused attempt does not use up the link"


def test_forged_reset_tokens_are_404(client, app, member):
    genuine = accounts.reset_token(member, app.config["SECRET_KEY"])
    forged = [
        "nonsense",
        genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB"),
        accounts.reset_token(member, "a-different-secret"),
        accounts._reset_serializer(app.config["SECRET_KEY"]).dumps({"uid": member.id, "ph": "x" * 16}),
        accounts._reset_serializer(app.config["SECRET_KEY"]).dumps({"uid": 999_999_999, "ph": "x" * 16}),
    ]
    assert client.get(f"/passwort-neu/{genuine}").status_code == 200
    for token in forged:
        response = client.get(f"/passwort-neu/{token}")
        assert response.status_code == 404, token
        assert "abgelaufen oder wurde schon benutzt" in response.get_data(as_text=True)


def test_expired_reset_token_is_404(client, app, member, clock):
    token = accounts.reset_token(member, app.config["SECRET_KEY"])
    clock.advance(timedelta(minutes=59))
    assert client.get(f"/passwort-neu/{token}").status_code == 200
    clock.advance(timedelta(minutes=2))
    assert client.get(f"/passwort-neu/{token}").status_code == 404
    csrf = form_token(client, "/anmelden")
    assert client.post(f"/passwort-neu/{token}", data={"csrf_token": csrf, "password": NEW_PASSWORD,
                                                       "confirm": NEW_PASSWORD}).status_code == 404


# ----------------------------------------------------------------------------- invitations


@pytest.fixture
def organisation(session):
    return make_org(session, "Kulturverein Nordstadt")


def send_invitation(client, organisation_id: int, email: str, role: str = "member"):
    path = f"/organisationen/{organisation_id}/einladen"
    token = form_token(client, path)
    return client.post(path, data={"csrf_token": token, "email": email, "role": role})


def test_invitation_by_a_member_is_accepted_by_the_invited_person(client, app, session, organisation, outbox):
    inviter = make_user(session, "vorstand@example.org", organisation=organisation)
    assert login(client, inviter.email).status_code == 302
    response = send_invitation(client, organisation.id, "Neu.Dabei@Example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/meine-buchungen"
    assert len(outbox) == 1
    mail = outbox[0]
    assert mail["To"].lower() == "neu.dabei@example.org"
    assert "Kulturverein Nordstadt" in mail["Subject"]
    path = urlsplit(link_in(mail)).path
    assert path.startswith("/einladung/")
    (invitation,) = session.scalars(select(Invitation).where(Invitation.organisation_id == organisation.id)).all()
    assert invitation.email == "neu.dabei@example.org" and invitation.invited_by_id == inviter.id
    assert invitation.token_hash == accounts.hash_token(path.rsplit("/", 1)[1])

    # not logged in: the invitation's page offers logging in or registering, both coming back here
    invited = new_client(app)
    response = invited.get(path)
    assert response.status_code == 200
    offer = response.get_data(as_text=True)
    assert "als Mitglied" in offer and "neu.dabei@example.org" in offer
    login_path = re.search(r'href="(/anmelden\?next=[^"]+)"', offer).group(1)
    assert parse_qs(urlsplit(login_path).query) == {"next": [path]}

    # registers with the invited address (from the login page's link, keeping where to go on),
    # confirms it from the mail and comes back to the invitation
    login_page = invited.get(login_path).get_data(as_text=True)
    register_path = re.search(r'href="(/registrieren\?next=[^"]+)"', login_page).group(1).replace("&amp;", "&")
    registered = invited.post(register_path, data={
        "csrf_token": form_token(invited, register_path), "email": "neu.dabei@example.org",
        "display_name": "Neu", "organisation": "", "password": PASSWORD, "confirm": PASSWORD})
    assert registered.status_code == 302
    confirmed = confirm(invited, confirmation_link(outbox, "neu.dabei@example.org"))
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == path
    page = invited.get(path)
    assert page.status_code == 200 and "Kulturverein Nordstadt" in page.get_data(as_text=True)
    response = invited.post(path, data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/meine-buchungen"
    user = session.scalar(select(User).where(User.email == "neu.dabei@example.org"))
    assert organisation in user.organisations and user.role == Role.MEMBER
    assert session.get(Invitation, invitation.id).accepted_at is not None

    # used: the link is gone
    assert invited.get(path).status_code == 404
    assert invited.post(path, data={"csrf_token": csrf_of(page)}).status_code == 404


def test_invitation_cannot_be_accepted_by_someone_else(client, app, session, organisation, outbox):
    inviter = make_user(session, "vorstand@example.org", organisation=organisation)
    make_user(session, "eingeladen@example.org")
    intruder = make_user(session, "andere@example.org")
    token = accounts.invite(session, organisation, "eingeladen@example.org", inviter)

    assert login(client, intruder.email).status_code == 302
    page = client.get(f"/einladung/{token}")
    response = client.post(f"/einladung/{token}", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 403
    assert "andere E-Mail-Adresse" in response.get_data(as_text=True)
    assert organisation not in session.get(User, intruder.id).organisations
    assert accounts.find_invitation(session, token) is not None, "the invitation stays open"


def test_accepting_needs_a_csrf_token(client, session, organisation):
    inviter = make_user(session, "vorstand@example.org", organisation=organisation)
    invited = make_user(session, "eingeladen@example.org")
    token = accounts.invite(session, organisation, invited.email, inviter)
    assert login(client, invited.email).status_code == 302
    assert client.post(f"/einladung/{token}").status_code == 400
    assert organisation not in session.get(User, invited.id).organisations


def test_expired_or_unknown_invitation_is_404(client, session, organisation):
    inviter = make_user(session, "vorstand@example.org", organisation=organisation)
    invited = make_user(session, "eingeladen@example.org")
    token = accounts.invite(session, organisation, invited.email, inviter)
    row = session.scalar(select(Invitation).where(Invitation.token_hash == accounts.hash_token(token)))
    row.expires_at = now_utc() - timedelta(seconds=1)
    session.flush()
    assert login(client, invited.email).status_code == 302
    csrf = form_token(client, "/meine-buchungen")
    assert client.get(f"/einladung/{token}").status_code == 404
    assert client.post(f"/einladung/{token}", data={"csrf_token": csrf}).status_code == 404
    assert client.get("/einladung/gibt-es-nicht").status_code == 404
    assert organisation not in session.get(User, invited.id).organisations


def test_non_member_cannot_invite(client, session, organisation, outbox):
    make_user(session, "vorstand@example.org", organisation=organisation)
    outsider = make_user(session, "aussen@example.org", organisation=make_org(session, "Andere Initiative"))
    assert login(client, outsider.email).status_code == 302
    path = f"/organisationen/{organisation.id}/einladen"
    assert client.get(path).status_code == 404
    csrf = form_token(client, "/meine-buchungen")
    response = client.post(path, data={"csrf_token": csrf, "email": "freund@example.org", "role": "member"})
    assert response.status_code == 404
    assert client.get("/organisationen/999999999/einladen").status_code == 404
    assert outbox == []
    assert session.scalar(select(func.count()).where(Invitation.organisation_id == organisation.id)) == 0


def test_inviting_needs_a_login(client, organisation):
    response = client.get(f"/organisationen/{organisation.id}/einladen")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/anmelden"


def test_plain_member_cannot_make_themselves_space_manager(client, session, organisation, outbox):
    member = make_user(session, "mitglied@example.org", organisation=organisation)
    assert login(client, member.email).status_code == 302
    send_invitation(client, organisation.id, member.email, role="space_manager")
    for mail in outbox:
        path = urlsplit(link_in(mail)).path
        page = client.get(path)
        if page.status_code == 200:
            client.post(path, data={"csrf_token": csrf_of(page)})
    assert session.get(User, member.id).role == Role.MEMBER


def test_joining_as_member_does_not_make_a_space_manager_manage_the_new_organisation(client, session, organisation):
    from factories import create_space

    from spaces.booking.rules import can_manage

    space_of_b = create_space(session, organisation=organisation)
    inviter = make_user(session, "vorstand@example.org", organisation=organisation)
    manager = make_user(session, "verwaltung@example.org", organisation=make_org(session, "Wohnungsgesellschaft"),
                        role=Role.SPACE_MANAGER)
    token = accounts.invite(session, organisation, manager.email, inviter, Role.MEMBER)
    assert not can_manage(session, manager, space_of_b)
    assert login(client, manager.email).status_code == 302
    page = client.get(f"/einladung/{token}")
    assert client.post(f"/einladung/{token}", data={"csrf_token": csrf_of(page)}).status_code == 302
    manager = session.get(User, manager.id)
    assert organisation in manager.organisations
    assert not can_manage(session, manager, space_of_b)


# ----------------------------------------------------------------------------- rate limits


def test_eleventh_login_attempt_in_a_minute_is_refused_in_german(client, member):
    token = form_token(client, "/anmelden")
    data = {"csrf_token": token, "email": member.email, "password": "falsches-passwort"}
    statuses = [client.post("/anmelden", data=data).status_code for _ in range(10)]
    assert statuses == [422] * 10
    refused = client.post("/anmelden", data={**data, "password": PASSWORD})  # even the right password
    assert refused.status_code == 429
    assert TOO_MANY in refused.get_data(as_text=True)
    assert TOO_MANY.startswith("Zu viele Versuche")
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    assert not is_logged_in(client)
    # another address is not affected; GET of the form is not limited
    assert client.get("/anmelden").status_code == 200
    other = new_client(client.application)
    assert login(other, member.email).status_code == 302


def test_login_limit_is_shared_by_two_worker_processes(new_app):
    worker_a, worker_b = new_app(), new_app()
    assert worker_a.extensions[EXTENSION_KEY][0] is not worker_b.extensions[EXTENSION_KEY][0]
    address = _new_address()
    clients = []
    for worker in (worker_a, worker_b):
        c = new_client(worker, address)
        clients.append((c, form_token(c, "/anmelden")))

    def attempt(which):
        c, token = clients[which]
        return c.post("/anmelden", data={"csrf_token": token, "email": "niemand@example.org",
                                         "password": "falsches-passwort"}).status_code

    assert [attempt(0) for _ in range(6)] == [422] * 6
    assert [attempt(1) for _ in range(4)] == [422] * 4
    assert attempt(1) == 429  # the 11th attempt, on the other worker
    assert attempt(0) == 429


def test_registration_is_rate_limited(client, session):
    token = form_token(client, "/registrieren")
    data = {"csrf_token": token, "email": "neu@example.org", "display_name": "Neu", "password": PASSWORD,
            "confirm": "etwas-anderes"}
    assert [client.post("/registrieren", data=data).status_code for _ in range(5)] == [422] * 5
    refused = client.post("/registrieren", data={**data, "confirm": PASSWORD})
    assert refused.status_code == 429 and TOO_MANY in refused.get_data(as_text=True)
    assert session.scalar(select(User).where(User.email == "neu@example.org")) is None


def test_reset_request_is_rate_limited(client, member, outbox):
    token = form_token(client, "/passwort-vergessen")
    data = {"csrf_token": token, "email": "niemand@example.org"}
    assert [client.post("/passwort-vergessen", data=data).status_code for _ in range(5)] == [302] * 5
    refused = client.post("/passwort-vergessen", data={**data, "email": member.email})
    assert refused.status_code == 429 and TOO_MANY in refused.get_data(as_text=True)
    assert outbox == []


# ---------------------------------------------------------------------- production cookies


def test_production_config_sends_secure_cookies(new_app):
    app = new_app(PRODUCTION=True, BASE_URL="https://localhost")  # production answers only its own host
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    assert new_app().config.get("SESSION_COOKIE_SECURE") is False
    with app.app_context():
        accounts.register(db.session, email="prod@example.org", display_name="Prod", password=PASSWORD)
        db.session.commit()
    c = new_client(app)
    # the test client follows PREFERRED_URL_SCHEME (https): Flask-WTF then also checks the Referer
    token = form_token(c, "/anmelden")
    data = {"csrf_token": token, "email": "prod@example.org", "password": PASSWORD, "remember": "y"}
    assert c.post("/anmelden", data=data, headers={"Referer": "https://evil.example/"}).status_code == 400
    response = c.post("/anmelden", data=data, headers={"Referer": "https://localhost/anmelden"})
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        (header,) = set_cookies(response, name)
        flags = [part.strip().lower() for part in header.split(";")[1:]]
        assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags, header


# ------------------------------------------------------------------------------ API tokens


def test_bearer_token_authenticates_the_api_without_csrf(client, session, member):
    token = accounts.create_api_token(session, member, "Skript")
    bearer = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/bookings", headers=bearer)
    assert response.status_code == 200 and response.get_json() == {"bookings": []}

    # a POST with the token needs no CSRF token (404: it got past CSRF and the login check)
    assert client.post("/api/bookings/999999999/cancel", headers=bearer, json={}).status_code == 404
    # nor does the token give a session cookie
    assert cookie(client) is None or "_user_id" not in session_data(client.application, cookie(client))


def test_api_token_use_is_recorded(client, session, member):
    token = accounts.create_api_token(session, member, "Skript")
    assert client.get("/api/bookings", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert session.scalar(select(ApiToken).where(ApiToken.user_id == member.id)).last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer rf_falsch", "Bearer ", "Bearer", "Basic Zm9vOmJhcg==", None])
def test_missing_or_wrong_token_is_401(client, member, session, header):
    accounts.create_api_token(session, member, "Skript")
    response = client.get("/api/bookings", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.is_json and "error" in response.get_json()


def test_api_token_only_from_a_logged_in_session(client, app, session, member):
    token = accounts.create_api_token(session, member, "Skript")
    refused = client.post("/api/tokens", headers={"Authorization": f"Bearer {token}"}, json={"name": "mehr"})
    assert refused.status_code == 403
    assert session.scalar(select(func.count()).where(ApiToken.user_id == member.id)) == 1

    assert login(client, member.email).status_code == 302
    csrf = csrf_of(client.get("/meine-buchungen"))
    assert client.post("/api/tokens", json={"name": "Kalender"}).status_code == 400  # no X-CSRFToken
    created = client.post("/api/tokens", json={"name": "Kalender"}, headers={"X-CSRFToken": csrf})
    assert created.status_code == 201
    new_token = created.get_json()["token"]
    assert new_token.startswith("rf_") and len(new_token) > 30

    row = session.scalar(select(ApiToken).where(ApiToken.user_id == member.id, ApiToken.name == "Kalender"))
    assert row.token_hash == hashlib.sha256(new_token.encode()).hexdigest()
    stored = [str(v) for v in (row.name, row.token_hash)]
    assert all(new_token not in v and new_token[3:] not in v for v in stored)
    # shown once: a second call gives another token, the first is not shown again
    again = client.post("/api/tokens", json={"name": "Kalender"}, headers={"X-CSRFToken": csrf})
    assert again.status_code == 201 and again.get_json()["token"] != new_token
    # and it works
    assert new_client(app).get("/api/bookings", headers={"Authorization": f"Bearer {new_token}"}).status_code == 200


def test_api_tokens_are_named_listed_and_revocable(client, app, session, member):
    assert login(client, member.email).status_code == 302
    csrf = {"X-CSRFToken": csrf_of(client.get("/meine-buchungen"))}
    created = client.post("/api/tokens", json={"name": "Kalender-Skript"}, headers=csrf).get_json()
    assert created["name"] == "Kalender-Skript" and created["last_used_at"] is None
    other = client.post("/api/tokens", json={"name": "Zweiter"}, headers=csrf).get_json()
    bearer = {"Authorization": f"Bearer {created['token']}"}
    script = new_client(app)

    listed = script.get("/api/tokens", headers=bearer).get_json()["tokens"]
    assert [t["name"] for t in listed] == ["Zweiter", "Kalender-Skript"]  # newest first
    assert all("token" not in t for t in listed), "a listed token never shows the secret again"
    assert listed[1]["expires_at"].startswith(str(now_utc().year + 1))

    # someone else cannot see or revoke them
    stranger = accounts.register(session, email="fremd@example.org", display_name="Fremd", password=PASSWORD)
    stranger_bearer = {"Authorization": f"Bearer {accounts.create_api_token(session, stranger, 'x')}"}
    assert [t["name"] for t in script.get("/api/tokens", headers=stranger_bearer).get_json()["tokens"]] == ["x"]
    assert script.delete(f"/api/tokens/{created['id']}", headers=stranger_bearer).status_code == 404
    assert script.get("/api/bookings", headers=bearer).status_code == 200

    # revoked from the browser session (with CSRF), it stops working at once
    assert client.delete(f"/api/tokens/{created['id']}").status_code == 400  # no X-CSRFToken
    revoked = client.delete(f"/api/tokens/{created['id']}", headers=csrf)
    assert revoked.status_code == 200 and revoked.get_json()["revoked"]["name"] == "Kalender-Skript"
    assert script.get("/api/bookings", headers=bearer).status_code == 401
    assert client.delete(f"/api/tokens/{created['id']}", headers=csrf).status_code == 404
    # a token may revoke itself
    own = {"Authorization": f"Bearer {other['token']}"}
    assert script.delete(f"/api/tokens/{other['id']}", headers=own).status_code == 200
    assert script.get("/api/tokens", headers=own).status_code == 401


def test_api_tokens_expire_after_a_year(client, session, member, clock):
    token = accounts.create_api_token(session, member, "Skript")
    bearer = {"Authorization": f"Bearer {token}"}
    clock.advance(timedelta(days=364))
    assert client.get("/api/bookings", headers=bearer).status_code == 200
    clock.advance(timedelta(days=1, seconds=1))
    assert client.get("/api/bookings", headers=bearer).status_code == 401
    assert accounts.api_tokens(session, member) == []


def test_wrong_bearer_token_does_not_fall_back_to_the_cookie_without_csrf(client, session, member):
    assert login(client, member.email).status_code == 302
    response = client.post("/api/tokens", headers={"Authorization": "Bearer rf_falsch"}, json={"name": "x"})
    assert response.status_code in (400, 401, 403)
    assert session.scalar(select(func.count()).where(ApiToken.user_id == member.id)) == 0


# --------------------------------------------------------------------------- request size


def test_request_body_over_the_limit_is_413(client, app, session, member):
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    token = form_token(client, "/anmelden")
    big = "x" * (2 * 1024 * 1024 + 1)
    response = client.post("/anmelden", data={"csrf_token": token, "email": member.email, "password": big})
    assert response.status_code == 413
    assert not is_logged_in(client)
    bearer = {"Authorization": f"Bearer {accounts.create_api_token(session, member, 'Skript')}"}
    response = client.post("/api/bookings", headers=bearer, data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                           content_type="application/json")
    assert response.status_code == 413
    # just under the limit is parsed (and refused for other reasons)
    small = client.post("/anmelden", data={"csrf_token": token, "email": member.email, "password": "x" * 1000})
    assert small.status_code == 422



def test_behind_a_proxy_the_client_address_counts_for_rate_limits(own_database_url):
    """With RAUMFINDER_PROXY_HOPS=1 two clients behind one proxy have their own login budgets."""
    app = make_app(own_database_url, PROXY_HOPS=1)
    proxied = app.test_client()

    def attempt(address):
        page = proxied.get("/anmelden", environ_base={"REMOTE_ADDR": "10.9.9.9"},
                           headers={"X-Forwarded-For": address})
        return proxied.post("/anmelden", data={"csrf_token": csrf_of(page), "email": "x@example.org",
                                               "password": "falsch-falsch"},
                            environ_base={"REMOTE_ADDR": "10.9.9.9"}, headers={"X-Forwarded-For": address})

    assert [attempt("203.0.113.7").status_code for _ in range(11)][-1] == 429
    assert attempt("203.0.113.8").status_code == 422  # another client behind the same proxy is not blocked
    with app.app_context():
        db.engine.dispose()


def test_forty_wrong_passwords_for_one_account_from_four_addresses_are_stopped(client, session, member):
    """The per-address limit alone would let 4 addresses try 40 times; the per-account limit stops it."""
    statuses = []
    for _ in range(4):
        browser = new_client(client.application)
        token = form_token(browser, "/anmelden")
        statuses += [browser.post("/anmelden", data={"csrf_token": token, "email": member.email,
                                                     "password": "falsches-passwort"}).status_code
                     for _ in range(10)]
    assert statuses[:20] == [422] * 20 and set(statuses[20:]) == {429}
    # Another account is not affected.
    accounts.register(session, email="andere@example.org", display_name="Andere", password=PASSWORD)
    session.commit()
    assert login(new_client(client.application), "andere@example.org").status_code == 302


# ------------------------------------------------------------------------------ housekeeping


def test_logins_do_not_grow_the_session_table(session, member, clock):
    """Each login drops the account's expired sessions and keeps at most MAX_LIVE_SESSIONS live ones."""
    first = accounts.open_session(session, member)
    for _ in range(accounts.MAX_LIVE_SESSIONS + 5):
        accounts.open_session(session, member)
    rows = session.scalar(select(func.count()).where(UserSession.user_id == member.id))
    assert rows == accounts.MAX_LIVE_SESSIONS
    assert accounts.user_for_session(session, first) is None, "the oldest live session ended"

    clock.advance(accounts.SESSION_LIFETIME + timedelta(minutes=1))
    last = accounts.open_session(session, member)
    assert session.scalar(select(func.count()).where(UserSession.user_id == member.id)) == 1
    assert accounts.user_for_session(session, last) is member


def test_prune_deletes_only_what_can_no_longer_be_used(app, session, member, clock):
    org = make_org(session, "Alte Einladungen e.V.")
    live_session = accounts.open_session(session, member)
    _, live_token = accounts.issue_api_token(session, member, "lebt")
    confirmed = accounts.sign_up(session, email="bestaetigt@example.org", display_name="B", password=PASSWORD).user
    accounts.confirm_email(confirmed)
    session.flush()

    clock.advance(timedelta(days=20))
    accounts.open_session(session, member)  # a login then (its cleanup touches nothing live)
    fresh_invite = accounts.invite(session, org, "frisch@example.org", member)
    stale = accounts.sign_up(session, email="nie@example.org", display_name="Nie", password=PASSWORD).user
    stale.created_at = now_utc() - accounts.UNVERIFIED_LIFETIME - timedelta(days=1)
    accounts.sign_up(session, email="gerade@example.org", display_name="Gerade", password=PASSWORD)
    session.add(UserSession(user_id=member.id, token_hash="x" * 64, expires_at=now_utc() - timedelta(seconds=1)))
    session.add(ApiToken(user_id=member.id, name="alt", token_hash="y" * 64, created_at=now_utc() - timedelta(days=400),
                         expires_at=now_utc() - timedelta(days=35)))
    session.add(Invitation(organisation_id=org.id, email="alt@example.org", role=Role.MEMBER, token_hash="z" * 64,
                           invited_by_id=member.id, expires_at=now_utc() - accounts.INVITATION_LIFETIME
                           - timedelta(days=1)))
    session.flush()

    result = app.test_cli_runner().invoke(args=["users", "prune"])
    assert result.exit_code == 0, result.output
    assert result.output == ("Gelöscht: 1 abgelaufene Anmeldungen, 1 abgelaufene API-Tokens, 1 alte Einladungen, "
                             "1 unbestätigte Konten.\n")
    session.expire_all()
    assert accounts.user_for_session(session, live_session) is not None
    assert accounts.user_for_api_token(session, live_token) is not None
    assert accounts.find_invitation(session, fresh_invite) is not None
    emails = set(session.scalars(select(User.email)))
    assert {"bestaetigt@example.org", "gerade@example.org", member.email} <= emails
    assert "nie@example.org" not in emails
    again = app.test_cli_runner().invoke(args=["users", "prune"])
    assert "Gelöscht: 0 abgelaufene Anmeldungen, 0 abgelaufene API-Tokens" in again.output
