"""Provider organisations with admins: the members page (/organisationen/<id>/mitglieder), who may use it,
the last admin who stays, invitations with rights, the audit log, and registration that keeps its context
(the booking form or the invitation it started from).

HTTP through the real routes with real CSRF tokens and login sessions (test_accounts' Browser: each request
in an app context of its own); one Chromium test at phone size on the live server.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import log_in_through_the_form, reset_rate_limits
from factories import create_booking, create_space, csrf_of, make_manager
from sqlalchemy import func, select
from test_accounts import (
    PASSWORD,
    confirm,
    confirmation_link,
    form_token,
    link_in,
    login,
    make_org,
    make_user,
    new_client,
)

from spaces.clock import now_utc
from spaces.db import db
from spaces.models import AuditEntry, Booking, Invitation, Organisation, Role, User, memberships


@pytest.fixture
def browser_for(app, session, fast_password_hashes):
    """A logged-in client of its own for a user (rate limits reset once per test)."""
    reset_rate_limits()

    def make(user: User | None = None):
        client = new_client(app)
        if user is not None:
            assert login(client, user.email).status_code == 302
        return client

    return make


def rights(session, organisation: Organisation, user: User) -> tuple[bool, bool] | None:
    """(is_manager, is_admin) of the user in the organisation, None when not a member."""
    row = session.execute(select(memberships.c.is_manager, memberships.c.is_admin).where(
        memberships.c.organisation_id == organisation.id, memberships.c.user_id == user.id)).one_or_none()
    return None if row is None else (row.is_manager, row.is_admin)


def make_admin(session, user: User, organisation: Organisation) -> None:
    if organisation not in user.organisations:
        user.organisations.append(organisation)
        session.flush()
    session.execute(memberships.update().where(memberships.c.user_id == user.id,
                                               memberships.c.organisation_id == organisation.id)
                    .values(is_admin=True))
    session.flush()


def audits(session, organisation: Organisation) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "organisations", AuditEntry.object_id == str(organisation.id))
        .order_by(AuditEntry.id)))


def members_path(organisation: Organisation) -> str:
    return f"/organisationen/{organisation.id}/mitglieder"


def change_right(client, organisation, user, right: str, grant: bool):
    token = form_token(client, members_path(organisation))
    return client.post(f"{members_path(organisation)}/{user.id}/rechte",
                       data={"csrf_token": token, "right": right, "grant": "1" if grant else "0"})


def remove(client, organisation, user):
    token = form_token(client, members_path(organisation))
    return client.post(f"{members_path(organisation)}/{user.id}/entfernen", data={"csrf_token": token})


@pytest.fixture
def provider(session):
    """A provider with one admin and one plain member."""
    organisation = make_org(session, "Stadtteilverein Linden")
    admin = make_user(session, "vorstand@example.org", display_name="Vera Vorstand", organisation=organisation)
    make_admin(session, admin, organisation)
    member = make_user(session, "lena@example.org", display_name="Lena", organisation=organisation)
    return organisation, admin, member


# ------------------------------------------------------------------------------ appointing


def test_admin_appoints_a_manager_who_then_decides_requests(session, browser_for, provider):
    organisation, admin, member = provider
    space = create_space(session, organisation=organisation)
    group = make_org(session, "Chor Nordstadt")
    request = create_booking(session, space, now_utc() + timedelta(days=3), status="requested",
                             organisation_id=group.id)
    lena = browser_for(member)
    token = form_token(lena, "/meine-buchungen")
    assert lena.post(f"/buchungen/{request.id}/ablehnen", data={"csrf_token": token}).status_code == 404

    vera = browser_for(admin)
    page = vera.get(members_path(organisation))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Lena" in html and "lena@example.org" in html and "Zur Raumverwaltung machen" in html
    response = change_right(vera, organisation, member, "manager", True)
    assert response.status_code == 302 and response.headers["Location"] == members_path(organisation)
    assert "Lena verwaltet jetzt die Räume" in vera.get(members_path(organisation)).get_data(as_text=True)
    assert rights(session, organisation, member) == (True, False)
    assert session.get(User, member.id).role == Role.SPACE_MANAGER  # the navigation offers the managers' pages
    (entry,) = audits(session, organisation)
    assert (entry.action, entry.actor_id) == ("membership.right_given", admin.id)
    assert entry.details == {"member_id": member.id, "member": "lena@example.org", "right": "manager"}

    inbox = lena.get("/verwaltung/anfragen")
    assert inbox.status_code == 200
    assert "Chor Nordstadt" in inbox.get_data(as_text=True)
    response = lena.post(f"/buchungen/{request.id}/ablehnen",
                         data={"csrf_token": csrf_of(inbox), "note": "Da ist schon Chorprobe."})
    assert response.status_code == 302
    decided = session.get(Booking, request.id)
    assert (decided.status, decided.decided_by_id) == ("declined", member.id)


def test_taking_the_right_and_removing_a_member_end_what_they_could_do(session, browser_for, provider):
    organisation, admin, member = provider
    make_manager(session, member, organisation)
    vera = browser_for(admin)
    page = vera.get(members_path(organisation)).get_data(as_text=True)
    # destructive buttons ask first and look destructive
    assert re.search(r'class="danger" data-confirm="Lena das Recht „Raumverwaltung“ entziehen\?"', page)
    assert re.search(r'class="danger" data-confirm="Lena aus „Stadtteilverein Linden“ entfernen\?', page)

    assert change_right(vera, organisation, member, "manager", False).status_code == 302
    assert rights(session, organisation, member) == (False, False)
    assert session.get(User, member.id).role == Role.MEMBER
    assert change_right(vera, organisation, member, "manager", False).status_code == 302  # already so
    assert remove(vera, organisation, member).status_code == 302
    assert rights(session, organisation, member) is None
    assert [(e.action, e.details.get("right"), e.details.get("was_manager")) for e in audits(session, organisation)] \
        == [("membership.right_taken", "manager", None), ("membership.removed", None, False)]
    assert browser_for(member).get("/verwaltung/raeume").status_code == 403


@pytest.mark.parametrize("who", ["plain member", "manager of the organisation", "admin of another organisation",
                                 "manager of another organisation"])
def test_only_admins_and_qm_admins_may_change_members(session, browser_for, provider, who):
    organisation, admin, member = provider
    other = make_org(session, "Wohnungsgesellschaft")
    outsider = make_user(session, "aussen@example.org")
    actor = {"plain member": member, "manager of the organisation": outsider,
             "admin of another organisation": outsider, "manager of another organisation": outsider}[who]
    if who == "manager of the organisation":
        make_manager(session, outsider, organisation)
    elif who == "admin of another organisation":
        make_admin(session, outsider, other)
    elif who == "manager of another organisation":
        make_manager(session, outsider, other)
    client = browser_for(actor)
    page = client.get(members_path(organisation))
    assert page.status_code == 403
    assert "nur ihre Admins" in page.get_data(as_text=True)
    csrf = form_token(client, "/meine-buchungen")
    assert client.post(f"{members_path(organisation)}/{member.id}/rechte",
                       data={"csrf_token": csrf, "right": "admin", "grant": "1"}).status_code == 403
    assert client.post(f"{members_path(organisation)}/{admin.id}/entfernen",
                       data={"csrf_token": csrf}).status_code == 403
    assert rights(session, organisation, member) == (False, False)
    assert rights(session, organisation, admin) == (False, True)
    assert audits(session, organisation) == []
    if who != "admin of another organisation":
        assert client.get("/organisationen").status_code == 403
        assert "Organisationen</a>" not in client.get("/meine-buchungen").get_data(as_text=True)


def test_changes_need_a_login_and_a_csrf_token(session, browser_for, provider):
    organisation, admin, member = provider
    anonymous = browser_for()
    response = anonymous.get(members_path(organisation))
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/anmelden"
    vera = browser_for(admin)
    assert vera.post(f"{members_path(organisation)}/{member.id}/rechte",
                     data={"right": "manager", "grant": "1"}).status_code == 400
    assert vera.post(f"{members_path(organisation)}/{member.id}/entfernen").status_code == 400
    token = form_token(vera, members_path(organisation))
    for right, grant in (("owner", "1"), ("a\x00b", "1"), ("x" * 10_000, "1"), ("manager", "2"), ("manager", "")):
        bad = vera.post(f"{members_path(organisation)}/{member.id}/rechte",
                        data={"csrf_token": token, "right": right, "grant": grant})
        assert bad.status_code == 422
        assert "Es wurde nichts geändert." in bad.get_data(as_text=True)
    stranger = make_user(session, "fremd@example.org")
    assert change_right(vera, organisation, stranger, "manager", True).status_code == 404
    assert rights(session, organisation, member) == (False, False) and rights(session, organisation, stranger) is None
    assert vera.get("/organisationen/999999999/mitglieder").status_code == 404


# ------------------------------------------------------------------------------ the last admin


def test_the_last_admin_can_neither_lose_the_right_nor_be_removed(session, browser_for, provider):
    organisation, admin, member = provider
    vera = browser_for(admin)
    page = vera.get(members_path(organisation)).get_data(as_text=True)
    assert "einziger Admin" in page and "Admin-Recht entziehen" not in page

    for response in (change_right(vera, organisation, admin, "admin", False), remove(vera, organisation, admin)):
        assert response.status_code == 409
        html = response.get_data(as_text=True)
        assert "Es wurde nichts geändert." in html
        assert "Stadtteilverein Linden braucht mindestens einen Admin." in html
    assert rights(session, organisation, admin) == (False, True)
    assert audits(session, organisation) == []

    # with a second admin the first may step down (and is then sent away from a page no longer theirs)
    assert change_right(vera, organisation, member, "admin", True).status_code == 302
    response = remove(vera, organisation, admin)
    assert response.status_code == 302 and response.headers["Location"] == "/meine-buchungen"
    assert rights(session, organisation, admin) is None
    assert vera.get(members_path(organisation)).status_code == 403
    assert [e.action for e in audits(session, organisation)] == ["membership.right_given", "membership.removed"]


# ------------------------------------------------------------------------------ the QM admin


def test_qm_admin_finds_any_organisation_and_appoints_its_first_admin(session, browser_for):
    organisation = make_org(session, "wasmitherz e.V.")
    founder = make_user(session, "gruenderin@example.org", display_name="Gründerin", organisation=organisation)
    qm = make_user(session, "qm@example.org", role=Role.QM_ADMIN)
    client = browser_for(qm)
    listing = client.get("/organisationen", query_string={"q": "mitherz"})
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "wasmitherz e.V." in html and "ohne Admin" in html and members_path(organisation) in html
    assert "Organisationen</a>" in html  # in the navigation
    assert "Diese Organisation hat noch keinen Admin" in client.get(members_path(organisation)).get_data(
        as_text=True)

    assert change_right(client, organisation, founder, "admin", True).status_code == 302
    assert change_right(client, organisation, founder, "manager", True).status_code == 302
    assert rights(session, organisation, founder) == (True, True)
    assert [(e.action, e.actor_id) for e in audits(session, organisation)] == [
        ("membership.right_given", qm.id), ("membership.right_given", qm.id)]

    # the new admin finds the page from the navigation, and only her own organisation there
    gruenderin = browser_for(founder)
    start = gruenderin.get("/meine-buchungen").get_data(as_text=True)
    assert 'href="/organisationen">Organisationen</a>' in start
    own = gruenderin.get("/organisationen").get_data(as_text=True)
    assert "wasmitherz e.V." in own and "Stadtteilverein" not in own
    assert gruenderin.get(members_path(organisation)).status_code == 200


def test_qm_admin_invites_into_any_organisation_with_any_right(session, browser_for, outbox):
    organisation = make_org(session, "Kirchengemeinde")
    qm = make_user(session, "qm@example.org", role=Role.QM_ADMIN)
    client = browser_for(qm)
    token = form_token(client, members_path(organisation))
    response = client.post(f"/organisationen/{organisation.id}/einladen", data={
        "csrf_token": token, "email": "pfarrerin@example.org", "role": "space_manager", "is_admin": "y"})
    assert response.status_code == 302 and response.headers["Location"] == members_path(organisation)
    (invitation,) = session.scalars(select(Invitation).where(Invitation.organisation_id == organisation.id))
    assert (invitation.role, invitation.is_admin) == ("space_manager", True)
    assert "pfarrerin@example.org" in client.get(members_path(organisation)).get_data(as_text=True)


# ------------------------------------------------------------------------------ invitations with rights


def test_invitation_with_rights_from_the_members_page_through_registration(app, session, browser_for, provider,
                                                                          outbox):
    organisation, admin, member = provider
    vera = browser_for(admin)
    token = form_token(vera, members_path(organisation))
    response = vera.post(f"/organisationen/{organisation.id}/einladen", data={
        "csrf_token": token, "email": "Tom@Example.org", "role": "space_manager", "is_admin": "y"})
    assert response.status_code == 302 and response.headers["Location"] == members_path(organisation)
    (mail,) = outbox
    body = mail.get_content()
    assert "Raumverwaltung" in body and "Admin" in body  # the mail says which rights are offered
    path = urlsplit(link_in(mail)).path
    (entry,) = audits(session, organisation)
    assert entry.action == "membership.invited" and entry.details == {
        "email": "Tom@Example.org", "role": "space_manager", "admin": True}

    # Tom has no account: the invitation's page offers registering, which comes back to it
    tom = browser_for()
    offer = tom.get(path)
    assert offer.status_code == 200
    html = offer.get_data(as_text=True)
    assert "Raumverwaltung und als Admin" in html
    register_path = re.search(r'href="(/registrieren\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(register_path).query) == {"next": [path], "email": ["tom@example.org"]}
    form = tom.get(register_path)
    assert 'value="tom@example.org"' in form.get_data(as_text=True)  # prefilled
    registered = tom.post(register_path, data={
        "csrf_token": csrf_of(form), "email": "tom@example.org", "display_name": "Tom", "organisation": "",
        "password": PASSWORD, "confirm": PASSWORD})
    assert registered.status_code == 302
    assert parse_qs(urlsplit(registered.headers["Location"]).query) == {"next": [path]}
    confirmed = confirm(tom, confirmation_link(outbox, "tom@example.org"))
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == path
    page = tom.get(path)
    joined = tom.post(path, data={"csrf_token": csrf_of(page)})
    assert joined.status_code == 302 and joined.headers["Location"] == members_path(organisation)  # its context
    user = session.scalar(select(User).where(User.email == "tom@example.org"))
    assert rights(session, organisation, user) == (True, True) and user.role == Role.SPACE_MANAGER
    assert [e.action for e in audits(session, organisation)] == ["membership.invited", "membership.joined"]
    assert tom.get(members_path(organisation)).status_code == 200


def test_a_manager_who_is_no_admin_cannot_invite_admins(session, browser_for, provider, outbox):
    organisation, admin, member = provider
    make_manager(session, member, organisation)
    lena = browser_for(member)
    token = form_token(lena, f"/organisationen/{organisation.id}/einladen")
    response = lena.post(f"/organisationen/{organisation.id}/einladen", data={
        "csrf_token": token, "email": "freund@example.org", "role": "member", "is_admin": "y"})
    assert response.status_code == 422
    assert "Als Admin einladen kann nur ein Admin der Organisation." in response.get_data(as_text=True)
    assert outbox == [] and audits(session, organisation) == []
    assert session.scalars(select(Invitation).where(Invitation.organisation_id == organisation.id)).all() == []


def test_the_founder_of_an_initiative_is_its_admin(session, browser_for, outbox):
    client = browser_for()
    token = form_token(client, "/registrieren")
    client.post("/registrieren", data={"csrf_token": token, "email": "gruender@example.org", "display_name": "G",
                                       "organisation": "Repair-Café Linden", "password": PASSWORD,
                                       "confirm": PASSWORD})
    assert confirm(client, confirmation_link(outbox, "gruender@example.org")).status_code == 302
    user = session.scalar(select(User).where(User.email == "gruender@example.org"))
    (organisation,) = user.organisations
    assert rights(session, organisation, user) == (False, True)
    assert client.get(members_path(organisation)).status_code == 200


def test_demo_providers_have_an_admin_who_logs_in_only_with_the_demo_password(session, browser_for, monkeypatch):
    from spaces.dev.demo import load

    monkeypatch.delenv("RAUMFINDER_DEMO_PASSWORD", raising=False)
    load(session)
    (wasmitherz,) = session.scalars(select(Organisation).filter_by(key="wasmitherz"))
    admin = session.scalar(select(User).where(User.email == "verwaltung@wasmitherz.demo.invalid"))
    assert rights(session, wasmitherz, admin) == (True, True)
    assert session.scalar(select(func.count()).select_from(memberships).where(memberships.c.is_admin)) == 5
    assert login(browser_for(), admin.email, "!no-login").status_code == 422  # no guessable login

    monkeypatch.setenv("RAUMFINDER_DEMO_PASSWORD", "demo-passwort-2026")
    load(session)  # twice: the same accounts, now with the password
    assert session.scalar(select(func.count()).select_from(memberships).where(memberships.c.is_admin)) == 5
    client = browser_for()
    assert login(client, admin.email, "demo-passwort-2026").status_code == 302
    assert client.get(members_path(wasmitherz)).status_code == 200


# ------------------------------------------------------------------------------ registration keeps its context


def test_registration_from_the_booking_path_lands_on_the_booking_form(session, browser_for, outbox):
    space = create_space(session, organisation=make_org(session, "Träger"), name="Gemeinschaftsraum Süd")
    booking_path = f"/raeume/{space.id}/buchen"
    client = browser_for()
    to_login = client.get(booking_path)
    assert to_login.status_code == 302
    login_page = client.get(to_login.headers["Location"]).get_data(as_text=True)
    register_path = re.search(r'href="(/registrieren\?next=[^"]+)"', login_page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(register_path).query) == {"next": [booking_path]}
    registered = client.post(register_path, data={
        "csrf_token": form_token(client, register_path), "email": "chor@example.org", "display_name": "Chor",
        "organisation": "Nachbarschaftschor", "password": PASSWORD, "confirm": PASSWORD})
    assert registered.status_code == 302
    assert parse_qs(urlsplit(registered.headers["Location"]).query) == {"next": [booking_path]}
    confirmed = confirm(client, confirmation_link(outbox, "chor@example.org"))
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == booking_path
    form = client.get(booking_path)
    assert form.status_code == 200 and "Gemeinschaftsraum Süd" in form.get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/raeume/1/buchen", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_registration_refuses_an_external_next(session, browser_for, outbox, target):
    client = browser_for()
    path = "/registrieren?" + "next=" + target.replace("/", "%2F").replace(":", "%3A").replace("\\", "%5C")
    registered = client.post(path, data={
        "csrf_token": form_token(client, path), "email": "weg@example.org", "display_name": "Weg",
        "organisation": "", "password": PASSWORD, "confirm": PASSWORD})
    assert registered.status_code == 302
    assert "evil" not in registered.headers["Location"] and "javascript" not in registered.headers["Location"]
    assert registered.headers["Location"] == "/anmelden"
    confirmed = confirm(client, confirmation_link(outbox, "weg@example.org"))
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/"


# ------------------------------------------------------------------------------ in the browser, at phone size


def test_admin_appoints_a_space_manager_on_a_phone(live_server, page, artifacts_dir):
    from spaces.accounts import service as accounts

    with live_server.app.app_context():
        organisation = Organisation(key="chromium-admins", name="Bürgerverein Chromium", kind="association")
        db.session.add(organisation)
        admin = accounts.register(db.session, email="admin-phone@example.org", display_name="Ada Admin",
                                  password="ein-langes-passwort")
        member = accounts.register(db.session, email="mitglied-phone@example.org", display_name="Max Mitglied",
                                   password="ein-langes-passwort")
        admin.organisations.append(organisation)
        member.organisations.append(organisation)
        db.session.flush()
        make_admin(db.session, admin, organisation)
        db.session.commit()
        organisation_id, member_id = organisation.id, member.id
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 375, "height": 812})

    log_in_through_the_form(page, live_server.url, "admin-phone@example.org")
    page.click("nav.account >> text=Organisationen")
    page.click("text=Bürgerverein Chromium")
    page.wait_for_url(f"{live_server.url}/organisationen/{organisation_id}/mitglieder")
    row = page.locator(f"#mitglied-{member_id}")
    row.locator("button", has_text="Zur Raumverwaltung machen").click()
    page.wait_for_selector(".flash")
    assert "Max Mitglied verwaltet jetzt die Räume von „Bürgerverein Chromium“." in page.locator(".flash").inner_text()
    assert "Raumverwaltung" in row.locator(".tag").all_inner_texts()

    # taking the right away asks first; saying no changes nothing
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    row.locator("button.danger", has_text="Raumverwaltung entziehen").click()
    assert asked == ["Max Mitglied das Recht „Raumverwaltung“ entziehen?"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=f"{artifacts_dir}/provider-admin-members-phone.png", full_page=True)
    with live_server.app.app_context():
        assert db.session.execute(select(memberships.c.is_manager).where(
            memberships.c.organisation_id == organisation_id, memberships.c.user_id == member_id)).scalar_one()
    assert errors == []
