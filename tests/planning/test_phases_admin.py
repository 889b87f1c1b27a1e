"""Construction phases in the browser (spaces/phases_admin.py) on real PostGIS, with real CSRF tokens.

QM admins only (everybody else: 403 on every view and POST). An upload stores all phases or none: every
refused file answers 422 with the parser's German message and leaves the table as it was; uploading the same
names again updates instead of duplicating. The form validates its drawn geometry with the same parser.
Plus one test in headless Chromium: drawing a polygon with Leaflet.draw fills the form.
"""

from __future__ import annotations

import html
import io
import json
import re
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import wait_until
from factories import create_organisation, csrf_of, make_manager
from geoalchemy2.shape import to_shape
from sqlalchemy import delete, func, select

from geo.phase_upload import parse_phase_upload
from spaces.accounts import service as accounts
from spaces.models import AuditEntry, ConstructionPhase, Role, User

pytestmark = pytest.mark.usefixtures("fast_password_hashes")  # scrypt is for test_accounts

PASSWORD = "bauabschnitte-2026"
DEMO = Path(__file__).resolve().parents[2] / "data" / "hannover-demo.geojson"
LIST = "/verwaltung/bauabschnitte"
UPLOAD = "/verwaltung/bauabschnitte/hochladen"
NEW = "/verwaltung/bauabschnitte/neu"

# A small square in Kronsberg, and a bow tie (crossing itself at 9.805, 52.335).
SQUARE = {"type": "Polygon", "coordinates": [[[9.80, 52.33], [9.81, 52.33], [9.81, 52.34], [9.80, 52.34],
                                              [9.80, 52.33]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[9.80, 52.33], [9.81, 52.34], [9.81, 52.33], [9.80, 52.34],
                                              [9.80, 52.33]]]}


# --------------------------------------------------------------------------------- helpers


def make_user(session, email: str, *, role: str = "member", manages=()) -> User:
    user = accounts.register(session, email=email, display_name=email.split("@")[0], password=PASSWORD)
    for organisation in manages:
        make_manager(session, user, organisation)
    if role == "qm_admin":
        user.role = Role.QM_ADMIN
    session.flush()
    return user


def login(client, user: User) -> None:
    token = csrf_of(client.get("/anmelden"))
    response = client.post("/anmelden", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def token(client, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_of(response)


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def kronsrode() -> dict:
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    features = [f for f in doc["features"] if f["properties"].get("type") == "construction_phase"]
    assert len(features) == 4
    return {"type": "FeatureCollection", "features": features}


def upload_file(client, content: bytes, filename: str = "phasen.geojson"):
    return client.post(UPLOAD, data={"csrf_token": token(client, UPLOAD), "file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def upload_text(client, text: str):
    return client.post(UPLOAD, data={"csrf_token": token(client, UPLOAD), "geojson": text})


def phase_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(ConstructionPhase))


def phase(session, name: str) -> ConstructionPhase:
    session.expire_all()
    return session.scalars(select(ConstructionPhase).filter_by(name=name)).one()


def actions(session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)))


def phase_form(**changes) -> dict:
    data = {"name": "Kronsberg Baufeld Test", "quartier": "Kronsberg", "status": "planned",
            "move_in": "2028-04-01", "homes": "300", "persons_per_home": "2,2", "expected_residents": "",
            "geometry": json.dumps(SQUARE)}
    data.update(changes)
    return data


def submit(client, url: str, data: dict):
    return client.post(url, data={**data, "csrf_token": token(client, url)})


@pytest.fixture
def admin(session):
    return make_user(session, f"qm-{uuid.uuid4().hex[:6]}@example.org", role="qm_admin")


@pytest.fixture
def logged_in(client, admin):
    login(client, admin)
    return client


# --------------------------------------------------------------------------------- upload


def test_upload_the_kronsrode_phases_then_again_updates(logged_in, session, admin):
    client = logged_in
    assert phase_count(session) == 0
    page = client.get(UPLOAD)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(as_text=True)

    response = upload_file(client, json.dumps(kronsrode()).encode())
    assert response.status_code == 302, text_of(response)
    assert response.headers["Location"].endswith(LIST)
    assert phase_count(session) == 4
    first = phase(session, "Kronsrode Baufeld 3")
    assert (first.status, first.move_in, first.homes, first.persons_per_home) == (
        "building", date(2027, 6, 1), 900, Decimal("2.30"))
    assert first.quartier == "Kronsberg-Süd (Kronsrode)"
    assert first.expected_residents is None
    assert to_shape(first.geom).geom_type == "MultiPolygon" and to_shape(first.geom).is_valid
    entries = actions(session, "phase.uploaded")
    assert len(entries) == 4 and all(e.actor_id == admin.id and e.details["created"] for e in entries)
    assert {e.object_type for e in entries} == {"construction_phases"}

    listing = client.get(LIST)
    assert listing.status_code == 200
    body = text_of(listing)
    for n in range(1, 5):
        assert f"Kronsrode Baufeld {n}" in body
    assert "im Bau" in body and "bewohnt" in body and "geplant" in body
    assert "01.06.2027" in body and "2.070" in body  # 900 × 2.3 residents, computed
    assert f"/verwaltung/bauabschnitte/{first.id}/bearbeiten" in body

    # again, with changes to one phase: updated in place, nothing duplicated
    doc = kronsrode()
    doc["features"][2]["properties"].update(status="occupied", homes=950, expected_residents=2000)
    doc["features"][2]["geometry"] = SQUARE
    response = upload_text(client, json.dumps(doc))
    assert response.status_code == 302, text_of(response)
    assert phase_count(session) == 4
    again = phase(session, "Kronsrode Baufeld 3")
    assert again.id == first.id
    assert (again.status, again.homes, again.expected_residents) == ("occupied", 950, 2000)
    assert list(to_shape(again.geom).geoms[0].exterior.coords) == [tuple(p) for p in SQUARE["coordinates"][0]]
    updates = actions(session, "phase.uploaded")[4:]
    assert len(updates) == 4 and not any(e.details["created"] for e in updates)
    changed = next(e for e in updates if e.object_id == str(first.id)).details["changed"]
    assert changed["status"] == ["building", "occupied"] and changed["homes"] == [900, 950]
    assert changed["geometry"] is True


def bad_uploads() -> list[tuple[str, bytes, str]]:
    """(what, file content, a fragment the message must contain)."""
    closed = lambda ring: {"type": "Feature", "properties": {"name": "Kaputt"},  # noqa: E731
                           "geometry": {"type": "Polygon", "coordinates": [ring]}}
    swapped = [[lat, lon] for lon, lat in SQUARE["coordinates"][0]]
    metres = [[550000, 5800000], [550100, 5800000], [550100, 5800100], [550000, 5800100], [550000, 5800000]]
    unclosed = SQUARE["coordinates"][0][:-1] + [[9.805, 52.331]]
    nan = json.dumps(closed(SQUARE["coordinates"][0])).replace("52.34", "NaN", 1)
    return [
        ("self-intersecting", json.dumps(closed(BOWTIE["coordinates"][0])).encode(), "9.80500, Breite 52.33500"),
        ("swapped", json.dumps(closed(swapped)).encode(), "vertauscht"),
        ("unclosed", json.dumps(closed(unclosed)).encode(), "geschlossen"),
        ("metres without crs", json.dumps(closed(metres)).encode(), "crs"),
        ("NaN", nan.encode(), "NaN"),
        ("empty", b"", "leer"),
    ]


@pytest.mark.parametrize("what,content,fragment", bad_uploads(), ids=[b[0] for b in bad_uploads()])
def test_a_bad_upload_is_refused_and_nothing_stored(logged_in, session, what, content, fragment):
    client = logged_in
    # an existing phase of the same name and one more in the file: neither may change
    doc = kronsrode()
    assert upload_file(client, json.dumps(doc).encode()).status_code == 302
    before = phase(session, "Kronsrode Baufeld 1")
    snapshot = (to_shape(before.geom).wkb_hex, before.homes, before.status)
    audits = len(actions(session, "phase.uploaded"))

    if content:
        # a valid first feature (an update of Baufeld 1) before the bad one: all or nothing
        good = dict(doc["features"][0])
        good["properties"] = {**good["properties"], "homes": 1}
        content = ('{"type": "FeatureCollection", "features": [' + json.dumps(good) + ", "
                   + content.decode() + "]}").encode()
    with pytest.raises(Exception) as expected:
        parse_phase_upload(content)
    message = str(expected.value)
    assert fragment in message, message

    response = upload_file(client, content)
    assert response.status_code == 422
    body = text_of(response)
    assert message in body and "Es wurde nichts gespeichert." in body
    assert phase_count(session) == 4
    after = phase(session, "Kronsrode Baufeld 1")
    assert (to_shape(after.geom).wkb_hex, after.homes, after.status) == snapshot
    assert len(actions(session, "phase.uploaded")) == audits


def test_an_upload_without_anything_is_refused(logged_in, session):
    response = logged_in.post(UPLOAD, data={"csrf_token": token(logged_in, UPLOAD), "geojson": "  "})
    assert response.status_code == 422
    assert "Es wurde keine Datei hochgeladen." in text_of(response)
    response = upload_text(logged_in, "{kein json")
    assert response.status_code == 422 and "JSON" in text_of(response)
    assert phase_count(session) == 0


def test_a_self_intersecting_polygon_names_its_point(logged_in, session):
    response = upload_text(logged_in, json.dumps({"type": "Feature", "properties": {"name": "Schleife"},
                                                  "geometry": BOWTIE}))
    assert response.status_code == 422
    assert "schneidet sich selbst bei Länge 9.80500, Breite 52.33500" in text_of(response)
    assert phase_count(session) == 0


# --------------------------------------------------------------------------------- the form


def test_create_and_edit_a_phase_through_the_form(logged_in, session, admin):
    client = logged_in
    page = client.get(NEW)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "js/draw-phase.js" in body and "leaflet.draw" in body and 'name="geometry"' in body
    assert "RaumfinderDrawPhase.attach" in body and "user-scalable=no" not in body
    assert "https://cdnjs" not in body  # vendored assets only
    for url in (LIST, UPLOAD, NEW):  # the English pages render too (texts translated later)
        english = client.get(url + "?lang=en")
        assert english.status_code == 200 and '<html lang="en">' in english.get_data(as_text=True)
    client.get("/?lang=de")
    assert '<option selected value="planned">geplant</option>' in body or 'value="planned"' in body

    response = submit(client, NEW, phase_form())
    assert response.status_code == 302, text_of(response)
    created = phase(session, "Kronsberg Baufeld Test")
    assert (created.quartier, created.status, created.move_in, created.homes, created.persons_per_home,
            created.expected_residents) == ("Kronsberg", "planned", date(2028, 4, 1), 300, Decimal("2.20"), None)
    assert to_shape(created.geom).geom_type == "MultiPolygon"
    entry = actions(session, "phase.created")[-1]
    assert entry.actor_id == admin.id and entry.object_id == str(created.id)
    assert entry.details["changed"]["homes"] == [None, 300]

    edit_url = f"/verwaltung/bauabschnitte/{created.id}/bearbeiten"
    page = client.get(edit_url)
    assert page.status_code == 200
    body = text_of(page)
    assert "Kronsberg Baufeld Test" in body and "660" in body  # 300 × 2.2 as the hint
    assert '"Polygon"' in body  # the stored area in the textarea, for the map

    response = submit(client, edit_url, phase_form(status="building", homes="320", expected_residents="700"))
    assert response.status_code == 302, text_of(response)
    edited = phase(session, "Kronsberg Baufeld Test")
    assert (edited.id, edited.status, edited.homes, edited.expected_residents) == (created.id, "building", 320, 700)
    entry = actions(session, "phase.updated")[-1]
    assert entry.details["changed"] == {"status": ["planned", "building"], "homes": [300, 320],
                                        "expected_residents": [None, 700]}
    assert phase_count(session) == 1


@pytest.mark.parametrize("geometry,fragment", [
    (json.dumps(BOWTIE), "schneidet sich selbst bei Länge 9.80500, Breite 52.33500"),
    (json.dumps({"type": "Polygon", "coordinates": [[[52.33, 9.80], [52.33, 9.81], [52.34, 9.81], [52.33, 9.80]]]}),
     "vertauscht"),
    (json.dumps({"type": "Polygon", "coordinates": [[[9.80, 52.33], [9.81, 52.33], [9.81, 52.34]]]}), "Ring"),
    ('{"type": "Polygon", "coordinates": [[[9.80, NaN], [9.81, 52.33], [9.81, 52.34], [9.80, 52.33]]]}', "NaN"),
    (json.dumps({"type": "Point", "coordinates": [9.8, 52.3]}), "Point"),
    ("", "Bitte die Fläche auf der Karte einzeichnen"),
    ("{kaputt", "kein lesbares GeoJSON"),
])
def test_a_bad_geometry_in_the_form_is_refused(logged_in, session, geometry, fragment):
    response = submit(logged_in, NEW, phase_form(geometry=geometry))
    assert response.status_code == 422
    body = text_of(response)
    assert fragment in body, body[body.find('role="alert"'):][:2000]
    assert "Es wurde nichts gespeichert" in body
    assert phase_count(session) == 0
    assert actions(session, "phase.created") == []


def test_bad_numbers_and_a_taken_name_in_the_form(logged_in, session):
    assert submit(logged_in, NEW, phase_form(name="Erster")).status_code == 302
    for changes, fragment in [
        ({"name": "erster"}, "schon einen Bauabschnitt"),
        ({"name": ""}, "Bitte ausfüllen."),
        ({"homes": "-1"}, "0 bis 1.000.000"),
        ({"persons_per_home": "0"}, "über 0 und höchstens 10"),
        ({"persons_per_home": "11"}, "über 0 und höchstens 10"),
        ({"persons_per_home": "NaN"}, "Bitte eine Zahl"),
        ({"status": "gone"}, "Not a valid choice"),
        ({"move_in": "9999-01-01"}, "zwischen 01.01.2000 und 31.12.2099"),
    ]:
        response = submit(logged_in, NEW, phase_form(name=changes.pop("name", "Zweiter"), **changes))
        assert response.status_code == 422, changes
        assert fragment in text_of(response) or fragment == "Not a valid choice", (changes, fragment)
    assert phase_count(session) == 1


def test_delete_a_phase(logged_in, session, admin):
    assert submit(logged_in, NEW, phase_form()).status_code == 302
    phase_id = phase(session, "Kronsberg Baufeld Test").id
    edit_url = f"/verwaltung/bauabschnitte/{phase_id}/bearbeiten"
    assert f"/verwaltung/bauabschnitte/{phase_id}/loeschen" in logged_in.get(edit_url).get_data(as_text=True)

    # without a CSRF token: refused
    assert logged_in.post(f"/verwaltung/bauabschnitte/{phase_id}/loeschen").status_code == 400
    assert phase_count(session) == 1

    response = logged_in.post(f"/verwaltung/bauabschnitte/{phase_id}/loeschen",
                              data={"csrf_token": token(logged_in, edit_url)})
    assert response.status_code == 302 and response.headers["Location"].endswith(LIST)
    assert phase_count(session) == 0
    entry = actions(session, "phase.deleted")[-1]
    assert entry.actor_id == admin.id and entry.object_id == str(phase_id)
    assert entry.details["name"] == "Kronsberg Baufeld Test" and "Polygon" in entry.details["geojson"]
    assert logged_in.get(edit_url).status_code == 404
    assert logged_in.post(f"/verwaltung/bauabschnitte/{phase_id}/loeschen",
                          data={"csrf_token": token(logged_in)}).status_code == 404


# --------------------------------------------------------------------------------- who may


@pytest.mark.parametrize("role", ["member", "space_manager"])
def test_only_qm_admins_may(client, session, role):
    existing = ConstructionPhase(name="Bestand", geom=_geom(SQUARE), homes=10)
    session.add(existing)
    session.flush()
    manages = [create_organisation(session)] if role == "space_manager" else []
    user = make_user(session, f"{role}-{uuid.uuid4().hex[:6]}@example.org", manages=manages)
    assert user.role == role
    login(client, user)
    csrf = token(client)
    edit_url = f"/verwaltung/bauabschnitte/{existing.id}/bearbeiten"
    for url in (LIST, UPLOAD, NEW, edit_url):
        assert client.get(url).status_code == 403, url
    assert client.post(UPLOAD, data={"csrf_token": csrf, "file": (io.BytesIO(json.dumps(kronsrode()).encode()),
                                                                   "x.geojson")},
                       content_type="multipart/form-data").status_code == 403
    assert client.post(NEW, data={**phase_form(), "csrf_token": csrf}).status_code == 403
    assert client.post(edit_url, data={**phase_form(name="Bestand", homes="0"), "csrf_token": csrf}).status_code == 403
    assert client.post(f"/verwaltung/bauabschnitte/{existing.id}/loeschen",
                       data={"csrf_token": csrf}).status_code == 403
    assert phase_count(session) == 1 and phase(session, "Bestand").homes == 10
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.like("phase.%"))) == 0


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in (LIST, UPLOAD, NEW):
        response = client.get(url)
        assert response.status_code in (302, 401), url
        if response.status_code == 302:
            assert "/anmelden" in response.headers["Location"]


def _geom(geometry: dict):
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon, shape

    return from_shape(MultiPolygon([shape(geometry)]), srid=4326)


# --------------------------------------------------------------------------------- in a browser


@pytest.mark.browser
def test_draw_a_phase_on_the_map(live_server, browser, artifacts_dir):
    from spaces.db import db as live_db

    email = f"zeichnen-{uuid.uuid4().hex[:8]}@example.org"
    name = f"Gezeichnet {uuid.uuid4().hex[:6]}"
    with live_server.app.app_context():
        user = accounts.register(live_db.session, email=email, display_name="QM", password=PASSWORD)
        user.role = "qm_admin"
        live_db.session.commit()

    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors, requests = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(live_server.url + "/anmelden")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        page.goto(live_server.url + NEW)
        page.wait_for_selector(".folium-map[data-ready='1']", timeout=15_000)
        assert page.input_value("#geometry") == ""

        page.click(".leaflet-draw-draw-polygon")
        box = page.locator(".folium-map").bounding_box()
        corners = [(200, 120), (360, 120), (360, 260), (200, 260)]
        for x, y in corners:
            page.mouse.click(box["x"] + x, box["y"] + y)
            page.wait_for_timeout(150)
        page.mouse.click(box["x"] + corners[0][0], box["y"] + corners[0][1])  # close the ring
        wait_until(page, "document.getElementById('geometry').value !== ''")
        geometry = json.loads(page.input_value("#geometry"))
        assert geometry["type"] == "Polygon"
        ring = geometry["coordinates"][0]
        assert len(ring) == 5 and ring[0] == ring[-1]
        assert all(9.5 < lon < 10.0 and 52.2 < lat < 52.6 for lon, lat in ring), ring

        page.fill("#name", name)
        page.fill("#homes", "120")
        wait_until(page, "document.getElementById('residents-computed').textContent.includes('= 240.')")
        page.screenshot(path=f"{artifacts_dir}/phases-draw.png", full_page=True)
        page.click("form.form button[type=submit]")
        page.wait_for_url(live_server.url + LIST)
        assert name in page.content()
        page.screenshot(path=f"{artifacts_dir}/phases-list.png", full_page=True)

        # the edit page shows the stored area on the map
        page.click(f"text={name}")
        page.wait_for_selector(".folium-map[data-ready='1']", timeout=15_000)
        assert page.locator(".leaflet-overlay-pane path").count() == 1
        assert errors == []
        assert [u for u in requests if not u.startswith(live_server.url)] == []
    finally:
        context.close()
        # The live server's demo data is shared by every browser test: leave it as it was.
        with live_server.app.app_context():
            live_db.session.execute(delete(ConstructionPhase).where(ConstructionPhase.name == name))
            live_db.session.commit()

    # usable on a phone: nothing wider than the screen
    context = browser.new_context(locale="de-DE", viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/anmelden")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        for url in (LIST, NEW, UPLOAD):
            page.goto(live_server.url + url)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, url
        page.goto(live_server.url + LIST)
        page.screenshot(path=f"{artifacts_dir}/phases-list-375px.png", full_page=True)
    finally:
        context.close()


# --------------------------------------------------------------------------------- residents: one rule

# (homes, persons per home as typed, residents): persons are stored to the cent, then whole people, half up.
RESIDENTS = [
    ("10", "2,345", "24"),  # 2.35 × 10 = 23.5 → 24 (from the typed 2.345: 23.45 → 23)
    ("5", "2,5", "13"),
    ("7", "2,344", "16"),  # 2.34 × 7 = 16.38
    ("900", "2,3", "2.070"),
]


@pytest.mark.parametrize(("homes", "persons", "expected"), RESIDENTS)
def test_the_form_hint_and_the_list_count_residents_alike(logged_in, session, homes, persons, expected):
    """spaces.core.gaps.residents_when_full for both, from persons per home as stored."""
    client = logged_in
    name = f"Einwohner {uuid.uuid4().hex[:6]}"
    refused = submit(client, NEW, phase_form(name=name, homes=homes, persons_per_home=persons, geometry=""))
    assert refused.status_code == 422
    assert f"Wohnungen × Personen je Wohnung = {expected}." in text_of(refused)

    assert submit(client, NEW, phase_form(name=name, homes=homes, persons_per_home=persons)).status_code == 302
    row = re.search(rf"{re.escape(name)}.*?</tr>", text_of(client.get(LIST)), re.S).group(0)
    assert re.search(rf'class="num">{re.escape(expected)} <small>\(berechnet\)</small>', row), row


def test_the_hint_is_unknown_without_usable_numbers(logged_in):
    for changes in ({"homes": ""}, {"homes": "-3"}, {"persons_per_home": "abc"}, {"persons_per_home": "0"},
                    {"persons_per_home": "1e30"}):
        page = text_of(submit(logged_in, NEW, phase_form(geometry="", **changes)))
        assert "Leer lassen: Wohnungen × Personen je Wohnung.</p>" in page, changes


@pytest.mark.browser
@pytest.mark.parametrize(("homes", "persons", "expected"), RESIDENTS + [("3", "1.5", "5"), ("1.5", "2", None)])
def test_the_hint_in_the_browser_follows_the_same_rule(page, homes, persons, expected):
    """static/js/draw-phase.js updates the hint as homes and persons are typed, as the server would count."""
    script = (Path(__file__).resolve().parents[2] / "static" / "js" / "draw-phase.js").read_text(encoding="utf-8")
    page.set_content(
        '<html lang="de"><body><input id="homes"><input id="persons_per_home">'
        '<p id="residents-computed" data-text="= {n}." data-unknown="?"></p>'
        f"<script>{script}</script></body></html>")
    page.fill("#persons_per_home", persons)
    page.fill("#homes", homes)
    assert page.text_content("#residents-computed") == (f"= {expected}." if expected else "?")
