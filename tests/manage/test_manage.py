"""Managing spaces in the browser (spaces/manage/) on real PostGIS, through the HTTP routes with real CSRF tokens.

Who may: space managers for their organisations' spaces, QM admins for all; anybody else gets 404 for a
space (nothing leaks) and 403 for the list. Every wrong input is a German form error (422) and leaves the
database as it was. Plus one test in headless Chromium: a click on the map fills the lat/lon inputs.
"""

from __future__ import annotations

import re
import uuid
from datetime import time, timedelta

import pytest
from conftest import wait_until
from factories import create_booking, create_organisation, csrf_of, make_manager
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from spaces.accounts import service as accounts
from spaces.clock import today_local
from spaces.core.availability import BERLIN, wall_time_to_utc
from spaces.manage import service as manage
from spaces.models import AuditEntry, Closure, OpeningHours, Organisation, Role, Site, Space, User

pytestmark = pytest.mark.usefixtures("fast_password_hashes")  # scrypt is for test_accounts

PASSWORD = "raeume-verwalten-2026"
WEEKDAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


# --------------------------------------------------------------------------------- helpers


def get(client, url: str):
    return client.get(url)


def post(client, url: str, data: dict):
    return client.post(url, data=data)


def page_token(client, url: str) -> str:
    response = get(client, url)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_of(response)


def make_user(session, email: str, *, manages=(), member_of=(), qm_admin: bool = False) -> User:
    """An account that manages the spaces of `manages` and is a plain member of `member_of`."""
    user = accounts.register(session, email=email, display_name=email.split("@")[0], password=PASSWORD)
    user.organisations.extend(member_of)
    for organisation in manages:
        make_manager(session, user, organisation)
    if qm_admin:
        user.role = Role.QM_ADMIN
    session.flush()
    return user


def login(client, user: User) -> None:
    token = page_token(client, "/anmelden")
    response = post(client, "/anmelden", {"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def org(session, key: str) -> Organisation:
    return session.scalars(select(Organisation).filter_by(key=key)).one()


OFFICE_HOURS = {**{f"opens_{d}": "09:00" for d in range(5)}, **{f"closes_{d}": "21:00" for d in range(5)}}


def space_form(organisation: Organisation, **changes) -> dict:
    """A complete, valid form; a change to None leaves the field out (an unticked checkbox)."""
    data = {
        "organisation": str(organisation.id),
        "address": "Lister Meile 33, 30161 Hannover",
        "lat": "52,3831",
        "lon": "9,7468",
        "name": "Stadtteilraum Lister Meile",
        "kind": "room",
        "capacity": "25",
        "area_m2": "48,5",
        "floor": "EG",
        "step_free": "y",
        "accessible_wc": "y",
        "equipment": ["wifi", "chairs"],
        "booking_mode": "instant",
        "cost_eur": "",
        "house_rules": "Bitte aufräumen.",
        "available_from": "",
        "available_until": "",
        "bookable_by": "everyone",
        "max_days_in_advance": "90",
        **OFFICE_HOURS,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def submit(client, url: str, data: dict):
    """POST a form with the CSRF token of the page it is on."""
    return post(client, url, {**data, "csrf_token": page_token(client, url)})


def hours_of(session, space_id: int) -> list[tuple[int, time, time]]:
    return [(h.weekday, h.opens, h.closes) for h in session.scalars(
        select(OpeningHours).where(OpeningHours.space_id == space_id).order_by(OpeningHours.weekday))]


def audit_actions(session, object_type: str, object_id) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id)).order_by(AuditEntry.id)))


def committed(session) -> None:
    """Read afresh: every request runs in a session of its own that ends with the request (rolling back
    whatever it did not commit), so what the test sees now is what the requests saved."""
    session.expire_all()


@pytest.fixture
def win(session, demo):
    return org(session, "win")


@pytest.fixture
def manager(session, win):
    return make_user(session, "verwaltung@win.example.org", manages=[win])


@pytest.fixture
def win_space(session, win) -> Space:
    return session.scalars(select(Space).filter_by(name="Quartierstreff Kronsberg-Süd")).one()


# --------------------------------------------------------------------------------- create and edit


def test_create_a_space_end_to_end(client, session, win, manager):
    login(client, manager)
    spaces_before = session.scalar(select(func.count()).select_from(Space))

    response = submit(client, "/verwaltung/raeume/neu", space_form(win))
    assert response.status_code == 302, response.get_data(as_text=True)
    space = session.scalars(select(Space).filter_by(name="Stadtteilraum Lister Meile")).one()
    assert response.headers["Location"].endswith(f"/verwaltung/raeume/{space.id}/bearbeiten")
    assert session.scalar(select(func.count()).select_from(Space)) == spaces_before + 1

    assert (space.kind, space.capacity, str(space.area_m2), space.floor) == ("room", 25, "48.5", "EG")
    assert (space.step_free, space.accessible_wc, space.lift, space.hearing_loop) == (True, True, False, False)
    assert sorted(space.equipment) == ["chairs", "wifi"]
    assert (space.booking_mode, space.cost_eur, space.max_days_in_advance) == ("instant", None, 90)
    assert (space.bookable_by, space.house_rules) == ("everyone", "Bitte aufräumen.")
    point = to_shape(space.location)
    assert (round(point.x, 6), round(point.y, 6)) == (9.7468, 52.3831)
    assert (space.site.organisation_id, space.site.address) == (win.id, "Lister Meile 33, 30161 Hannover")
    assert hours_of(session, space.id) == [(d, time(9), time(21)) for d in range(5)]

    # the finder knows it: on the map at the chosen point, and with a page of its own
    features = get(client, "/api/spaces").get_json()["features"]
    feature = next(f for f in features if f["properties"]["name"] == "Stadtteilraum Lister Meile")
    assert feature["geometry"]["coordinates"] == [9.7468, 52.3831]
    assert feature["properties"]["organisation"] == win.name
    page = get(client, f"/raeume/{space.id}")
    assert page.status_code == 200
    assert "Stadtteilraum Lister Meile" in page.get_data(as_text=True)
    listing = get(client, "/verwaltung/raeume").get_data(as_text=True)
    assert "Stadtteilraum Lister Meile" in listing and f"/verwaltung/raeume/{space.id}/bearbeiten" in listing

    entry = session.scalars(select(AuditEntry).filter_by(action="space.created", object_id=str(space.id))).one()
    assert entry.actor_id == manager.id and entry.object_type == "spaces"
    assert entry.details["changed"]["capacity"] == [None, 25]

    # a second room at the same address (spelt a little differently) is in the same house
    response = submit(client, "/verwaltung/raeume/neu", space_form(
        win, name="Kleiner Raum", address="lister meile 33,  30161 Hannover", capacity="8"))
    assert response.status_code == 302
    small = session.scalars(select(Space).filter_by(name="Kleiner Raum")).one()
    assert small.site_id == space.site_id


def test_the_new_form_offers_only_my_organisations(client, session, win, manager):
    login(client, manager)
    page = get(client, "/verwaltung/raeume/neu").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="organisation".*?</select>', page, re.S).group(0)
    assert win.name in select_html and "hanova" not in select_html
    assert "js/pick-location.js" in page and 'id="lat"' in page and 'id="lon"' in page
    assert "user-scalable=no" not in page  # folium's viewport would forbid zooming the page
    for name in WEEKDAY_NAMES:
        assert name in page

    english = get(client, "/verwaltung/raeume/neu?lang=en")
    assert english.status_code == 200 and '<html lang="en">' in english.get_data(as_text=True)
    get(client, "/?lang=de")

    # and refuses another organisation's id sent anyway
    hanova = org(session, "hanova")
    spaces_before = session.scalar(select(func.count()).select_from(Space))
    response = submit(client, "/verwaltung/raeume/neu", space_form(hanova))
    assert response.status_code == 422
    committed(session)
    assert session.scalar(select(func.count()).select_from(Space)) == spaces_before


def test_edit_capacity_and_opening_hours(client, session, win, manager, win_space):
    login(client, manager)
    url = f"/verwaltung/raeume/{win_space.id}/bearbeiten"
    form = get(client, url).get_data(as_text=True)
    # the demo data gives it Tu,Th 15:00-21:00; Sa 10:00-14:00
    assert 'value="Quartierstreff Kronsberg-Süd"' in form and 'value="15:00"' in form

    hours = {f"opens_{d}": "" for d in range(7)} | {f"closes_{d}": "" for d in range(7)}
    hours |= {"opens_0": "18:00", "closes_0": "02:00",  # Monday evening into Tuesday night
              "opens_2": "09:00", "closes_2": "12:30",
              "opens_6": "00:00", "closes_6": "00:00"}  # Sunday: round the clock
    point = to_shape(win_space.location)
    data = space_form(win, name=win_space.name, address=win_space.site.address, lat=str(point.y), lon=str(point.x),
                      capacity="55", **hours)
    response = submit(client, url, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Gespeichert." in get(client, url).get_data(as_text=True)

    session.expire_all()
    space = session.get(Space, win_space.id)
    assert space.capacity == 55
    assert hours_of(session, space.id) == [(0, time(18), time(2)), (2, time(9), time(12, 30)), (6, time(0), time(0))]
    page = get(client, f"/raeume/{space.id}").get_data(as_text=True)
    assert "Montag: 18:00–02:00 (bis zum nächsten Tag)" in page
    assert "Sonntag: 00:00–24:00" in page

    entry = session.scalars(select(AuditEntry).filter_by(action="space.updated", object_id=str(space.id))).one()
    assert entry.actor_id == manager.id
    assert entry.details["changed"]["capacity"] == [40, 55]
    assert "opening_hours" in entry.details["changed"] and "name" not in entry.details["changed"]


BAD_INPUT = [
    pytest.param({"capacity": "0"}, ["Bitte eine Zahl von 1 bis 10.000 (Personen)."], id="capacity-0"),
    pytest.param({"lat": "9,7468", "lon": "52,3831"}, ["vertauscht"], id="lat-lon-swapped"),
    pytest.param({"available_from": "2027-05-01", "available_until": "2027-04-30"},
                 ["„Verfügbar bis“ darf nicht vor „Verfügbar ab“ liegen."], id="until-before-from"),
    pytest.param({"opens_2": "10:00", "closes_2": ""},
                 ["Mittwoch: bitte „von“ und „bis“ angeben – oder beide leer lassen (geschlossen)."],
                 id="opening-with-one-time"),
    pytest.param({"capacity": "0", "lat": "9,7468", "lon": "52,3831", "available_from": "2027-05-01",
                  "available_until": "2027-04-30", "opens_2": "", "closes_2": "18:00", "cost_eur": "-1"},
                 ["Bitte eine Zahl von 1 bis 10.000", "vertauscht", "darf nicht vor", "Mittwoch: bitte",
                  "Bitte 0 (kostenlos) bis 100.000 Euro"], id="all-at-once"),
    pytest.param({"lat": "nan", "lon": "9,7"}, ["Bitte eine Zahl angeben"], id="lat-nan"),
    pytest.param({"area_m2": "0,01"}, ["mindestens 0,1 m²"], id="area-rounds-to-zero"),
    pytest.param({"name": "Raum\x00"}, ["Steuerzeichen"], id="nul-in-name"),
    pytest.param({"name": "   "}, ["Bitte ausfüllen."], id="name-blank"),
]


@pytest.mark.parametrize(("changes", "messages"), BAD_INPUT)
def test_wrong_input_is_a_german_form_error_and_changes_nothing(client, session, win, manager, win_space,
                                                                changes, messages):
    login(client, manager)
    url = f"/verwaltung/raeume/{win_space.id}/bearbeiten"
    before = (win_space.capacity, win_space.available_from, win_space.available_until, win_space.name,
              hours_of(session, win_space.id), to_shape(win_space.location).wkt)
    counts = (session.scalar(select(func.count()).select_from(Space)),
              session.scalar(select(func.count()).select_from(Site)))

    response = submit(client, url, space_form(win, **{"name": win_space.name, "address": win_space.site.address,
                                                      **changes}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Es wurde nichts gespeichert" in page
    for message in messages:
        assert message in page, message

    committed(session)
    space = session.get(Space, win_space.id)
    assert (space.capacity, space.available_from, space.available_until, space.name,
            hours_of(session, space.id), to_shape(space.location).wkt) == before
    assert (session.scalar(select(func.count()).select_from(Space)),
            session.scalar(select(func.count()).select_from(Site))) == counts
    assert audit_actions(session, "spaces", win_space.id) == []

    # the same mistakes on a new space: nothing is created
    response = submit(client, "/verwaltung/raeume/neu", space_form(win, **changes))
    assert response.status_code == 422
    committed(session)
    assert (session.scalar(select(func.count()).select_from(Space)),
            session.scalar(select(func.count()).select_from(Site))) == counts


def test_a_name_twice_in_one_house_is_a_form_error(client, session, win, manager, win_space):
    login(client, manager)
    other = session.scalars(select(Space).filter_by(name="Quartiersplatz (Treffpunkt im Freien)")).one()
    response = submit(client, "/verwaltung/raeume/neu",
                      space_form(win, name=other.name.upper(), address=other.site.address))
    assert response.status_code == 422
    assert "An dieser Adresse gibt es schon einen Raum mit diesem Namen." in response.get_data(as_text=True)


def test_a_database_refusal_is_rolled_back_and_shown_on_the_form(client, session, win, manager, win_space,
                                                                 monkeypatch):
    """Should a check miss something, the constraint's refusal becomes a form error, and nothing is half-saved."""
    login(client, manager)
    other = session.scalars(select(Space).filter_by(name="Quartiersplatz (Treffpunkt im Freien)")).one()
    monkeypatch.setattr(manage, "_name_taken", lambda *args: False)
    counts = session.scalar(select(func.count()).select_from(Space))
    response = submit(client, "/verwaltung/raeume/neu", space_form(win, name=other.name, address=other.site.address))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Es wurde nichts gespeichert" in page and "Die Angaben passen nicht zu den gespeicherten Daten" in page
    committed(session)
    assert session.scalar(select(func.count()).select_from(Space)) == counts
    assert session.scalar(select(func.count()).select_from(AuditEntry).filter_by(action="space.created")) == 0


# --------------------------------------------------------------------------------- who may


def test_another_organisations_manager_gets_404_and_changes_nothing(client, session, win, win_space):
    hanova = org(session, "hanova")
    # manages hanova's spaces, and is a plain member of win: a manager there, not here
    stranger = make_user(session, "verwaltung@hanova.example.org", manages=[hanova], member_of=[win])
    closure = Closure(space_id=win_space.id, reason="Ferien", during=_range(today_local() + timedelta(days=3), 1))
    session.add(closure)
    login(client, stranger)
    url = f"/verwaltung/raeume/{win_space.id}/bearbeiten"
    token = page_token(client, "/verwaltung/raeume")

    assert get(client, url).status_code == 404
    assert post(client, url, space_form(win, name="Ohne Token")).status_code == 400  # CSRF first
    response = post(client, url, {**space_form(hanova, name="Übernommen", capacity="1"), "csrf_token": token})
    assert response.status_code == 404
    assert post(client, f"/verwaltung/raeume/{win_space.id}/schliesszeiten",
                {"csrf_token": token, "closure-start_day": "2030-01-01", "closure-end_day": "2030-01-02"}
                ).status_code == 404
    assert post(client, f"/verwaltung/raeume/{win_space.id}/schliesszeiten/{closure.id}/entfernen",
                {"csrf_token": token}).status_code == 404
    assert get(client, "/verwaltung/raeume/999999999/bearbeiten").status_code == 404
    listing = get(client, "/verwaltung/raeume").get_data(as_text=True)
    assert "Quartierstreff Kronsberg-Süd" not in listing and "Gemeinschaftsraum Baufeld 3" in listing

    committed(session)
    space = session.get(Space, win_space.id)
    assert (space.name, space.capacity) == ("Quartierstreff Kronsberg-Süd", 40)
    assert session.get(Closure, closure.id) is not None
    assert session.scalar(select(func.count()).select_from(Closure).filter_by(space_id=win_space.id)) == 1
    assert audit_actions(session, "spaces", win_space.id) == []


def test_a_plain_member_gets_403_on_the_list_and_404_on_a_space(client, session, win, win_space):
    member = make_user(session, "mitglied@win.example.org", member_of=[win])
    login(client, member)
    assert get(client, "/verwaltung/raeume").status_code == 403
    assert get(client, "/verwaltung/raeume/neu").status_code == 403
    assert get(client, f"/verwaltung/raeume/{win_space.id}/bearbeiten").status_code == 404


def test_logged_out_visitors_are_sent_to_the_login(client, session, win_space):
    for url in ("/verwaltung/raeume", "/verwaltung/raeume/neu", f"/verwaltung/raeume/{win_space.id}/bearbeiten"):
        response = get(client, url)
        assert response.status_code == 302 and "/anmelden" in response.headers["Location"]


def test_a_qm_admin_manages_every_space(client, session, win_space):
    admin = make_user(session, "qm@example.org", qm_admin=True)
    login(client, admin)
    listing = get(client, "/verwaltung/raeume").get_data(as_text=True)
    assert "Quartierstreff Kronsberg-Süd" in listing and "Die Übersee" in listing
    assert get(client, f"/verwaltung/raeume/{win_space.id}/bearbeiten").status_code == 200


def test_a_manager_of_another_organisation_may_not_move_a_space_there(client, session, win, manager, win_space):
    """The organisation list offers mine only; a space stays with an organisation I manage."""
    other = create_organisation(session, name="Fremder Verein")
    login(client, manager)
    url = f"/verwaltung/raeume/{win_space.id}/bearbeiten"
    response = submit(client, url, space_form(other, name=win_space.name, address=win_space.site.address))
    assert response.status_code == 422
    committed(session)
    assert session.get(Space, win_space.id).site.organisation_id == win.id


# --------------------------------------------------------------------------------- closures


def _range(first_day, days: int):
    from sqlalchemy.dialects.postgresql import Range

    return Range(wall_time_to_utc(first_day, time(0), BERLIN),
                 wall_time_to_utc(first_day + timedelta(days=days), time(0), BERLIN), bounds="[)")


def _day_in_week_view(html: str, day) -> str:
    found = re.search(rf"<h3>{WEEKDAY_NAMES[day.weekday()]}, {day:%d.%m.%Y}</h3>\s*<ul>(.*?)</ul>", html, re.S)
    assert found, day
    return found.group(1)


def test_closures_are_added_shown_as_closed_and_removed(client, session, win, manager, win_space):
    login(client, manager)
    url = f"/verwaltung/raeume/{win_space.id}/bearbeiten"
    tuesday = today_local() + timedelta(days=14)
    while tuesday.weekday() != 1:  # open Tu, Th, Sa (demo data)
        tuesday += timedelta(days=1)
    week_url = f"/raeume/{win_space.id}?woche={tuesday.isoformat()}"
    assert "frei" in _day_in_week_view(get(client, week_url).get_data(as_text=True), tuesday)

    response = post(client, f"/verwaltung/raeume/{win_space.id}/schliesszeiten", {
        "closure-csrf_token": page_token(client, url), "closure-start_day": tuesday.isoformat(),
        "closure-start_time": "",
        "closure-end_day": tuesday.isoformat(), "closure-end_time": "", "closure-reason": "Renovierung"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url}#schliesszeiten")

    closure = session.scalars(select(Closure).filter_by(space_id=win_space.id)).one()
    closure_id = closure.id
    assert closure.reason == "Renovierung"
    assert closure.during.lower == wall_time_to_utc(tuesday, time(0), BERLIN)
    assert closure.during.upper == wall_time_to_utc(tuesday + timedelta(days=1), time(0), BERLIN)
    edit_page = get(client, url).get_data(as_text=True)
    assert f"Dienstag, {tuesday:%d.%m.%Y} 00:00 – Dienstag, {tuesday:%d.%m.%Y} 24:00: Renovierung" in edit_page

    day = _day_in_week_view(get(client, week_url).get_data(as_text=True), tuesday)
    assert "Renovierung" in day and "frei" not in day
    thursday = _day_in_week_view(get(client, week_url).get_data(as_text=True), tuesday + timedelta(days=2))
    assert "frei" in thursday

    # an evening closure in local time (Berlin), end before start refused
    response = post(client, f"/verwaltung/raeume/{win_space.id}/schliesszeiten", {
        "closure-csrf_token": page_token(client, url), "closure-start_day": tuesday.isoformat(),
        "closure-start_time": "18:00", "closure-end_day": tuesday.isoformat(), "closure-end_time": "17:00"})
    assert response.status_code == 422
    assert "Das Ende muss nach dem Anfang liegen." in response.get_data(as_text=True)
    committed(session)
    assert session.scalar(select(func.count()).select_from(Closure).filter_by(space_id=win_space.id)) == 1

    response = post(client, f"/verwaltung/raeume/{win_space.id}/schliesszeiten/{closure_id}/entfernen",
                    {"csrf_token": page_token(client, url)})
    assert response.status_code == 302
    committed(session)
    assert session.scalar(select(func.count()).select_from(Closure).filter_by(space_id=win_space.id)) == 0
    assert "frei" in _day_in_week_view(get(client, week_url).get_data(as_text=True), tuesday)

    assert audit_actions(session, "closures", closure_id) == ["closure.added", "closure.removed"]
    added = session.scalars(select(AuditEntry).filter_by(action="closure.added", object_id=str(closure_id))).one()
    assert added.actor_id == manager.id and added.details["reason"] == "Renovierung"
    assert added.details["space_id"] == win_space.id


def test_closure_with_times_is_stored_in_utc_and_warns_of_bookings(client, session, win, manager, win_space):
    day = today_local() + timedelta(days=20)
    create_booking(session, win_space, wall_time_to_utc(day, time(19), BERLIN), organisation_id=win.id)
    login(client, manager)
    url = f"/verwaltung/raeume/{win_space.id}/bearbeiten"
    response = post(client, f"/verwaltung/raeume/{win_space.id}/schliesszeiten", {
        "closure-csrf_token": page_token(client, url), "closure-start_day": day.isoformat(),
        "closure-start_time": "18:00", "closure-end_day": (day + timedelta(days=1)).isoformat(),
        "closure-end_time": "08:30", "closure-reason": ""})
    assert response.status_code == 302
    closure = session.scalars(select(Closure).filter_by(space_id=win_space.id)).one()
    assert closure.during.lower == wall_time_to_utc(day, time(18), BERLIN)
    assert closure.during.upper == wall_time_to_utc(day + timedelta(days=1), time(8, 30), BERLIN)
    assert closure.reason == ""
    page = get(client, url).get_data(as_text=True)
    assert "Achtung: In dieser Zeit liegt 1 Buchung oder Anfrage." in page
    assert f"{WEEKDAY_NAMES[day.weekday()]}, {day:%d.%m.%Y} 18:00 – " in page


# --------------------------------------------------------------------------------- in a browser


@pytest.mark.browser
def test_a_click_on_the_map_fills_latitude_and_longitude(live_server, browser, artifacts_dir):
    from spaces.db import db as live_db

    email = f"karte-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        win = live_db.session.scalars(select(Organisation).filter_by(key="win")).one()
        make_user(live_db.session, email, manages=[win])
        live_db.session.commit()

    def logged_in_page(viewport):
        context = browser.new_context(locale="de-DE", viewport=viewport)
        page = context.new_page()
        errors, requests = [], []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(live_server.url + "/anmelden")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        page.goto(live_server.url + "/verwaltung/raeume/neu")
        page.wait_for_selector(".folium-map[data-ready='1']", timeout=15_000)
        wait_until(page, "Object.keys(window).some(k => /^map_[0-9a-f]+$/.test(k) && window[k] && window[k]._loaded)",
                   timeout=15)
        return context, page, errors, requests

    context, page, errors, requests = logged_in_page({"width": 1280, "height": 900})
    try:
        assert page.input_value("#lat") == "" and page.input_value("#lon") == ""
        page.locator(".folium-map").click(position={"x": 200, "y": 120})
        wait_until(page, "document.getElementById('lat').value !== ''")
        lat, lon = float(page.input_value("#lat")), float(page.input_value("#lon"))
        assert 52.2 < lat < 52.6 and 9.5 < lon < 10.0, (lat, lon)
        assert page.locator(".leaflet-overlay-pane path").count() == 1  # the marker
        # a second click moves the point (and the one marker)
        first = page.input_value("#lon")
        page.locator(".folium-map").click(position={"x": 300, "y": 200})
        wait_until(page, f"document.getElementById('lon').value !== '{first}'")
        assert float(page.input_value("#lon")) > lon and float(page.input_value("#lat")) < lat
        assert page.locator(".leaflet-overlay-pane path").count() == 1
        page.screenshot(path=f"{artifacts_dir}/manage-new-space.png", full_page=True)
        assert errors == []
        assert [u for u in requests if not u.startswith(live_server.url)] == []
    finally:
        context.close()

    # usable on a phone: nothing wider than the screen
    context, page, errors, _ = logged_in_page({"width": 375, "height": 800})
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=f"{artifacts_dir}/manage-new-space-375px.png", full_page=True)
        assert errors == []
    finally:
        context.close()


def test_a_closure_in_an_implausible_year_is_refused(client, session, manager, win_space):
    login(client, manager)
    url = f"/verwaltung/raeume/{win_space.id}/bearbeiten"
    response = post(client, f"/verwaltung/raeume/{win_space.id}/schliesszeiten", {
        "closure-csrf_token": page_token(client, url), "closure-start_day": "1999-12-31", "closure-start_time": "",
        "closure-end_day": "9999-01-01", "closure-end_time": "", "closure-reason": ""})
    assert response.status_code == 422
    assert response.get_data(as_text=True).count("Bitte ein Datum zwischen 01.01.2000 und 31.12.2099.") == 2
    committed(session)
    assert session.scalar(select(func.count()).select_from(Closure).filter_by(space_id=win_space.id)) == 0


def test_closures_are_shown_in_the_visitors_language(client, session, manager, win_space):
    """Weekday and date through spaces.formatting; an end at midnight is 24:00 of the day before."""
    day = today_local() + timedelta(days=9)
    session.add(Closure(space_id=win_space.id, during=_range(day, 2), reason="Ferien"))
    session.flush()
    login(client, manager)
    url = f"/verwaltung/raeume/{win_space.id}/bearbeiten"
    last = day + timedelta(days=1)
    german = get(client, url).get_data(as_text=True)
    assert (f"{WEEKDAY_NAMES[day.weekday()]}, {day:%d.%m.%Y} 00:00 – "
            f"{WEEKDAY_NAMES[last.weekday()]}, {last:%d.%m.%Y} 24:00: Ferien") in german
    english = get(client, url + "?lang=en").get_data(as_text=True)
    assert f"{day:%A}, " in english and f"{last:%A}, " in english and " 24:00: Ferien" in english
    assert WEEKDAY_NAMES[day.weekday()] not in english
