"""The map in a real headless Chromium: markers from the API, filters, popups, nothing loaded from elsewhere."""

import pytest
from conftest import wait_until
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, or_, select

from spaces.clock import today_local
from spaces.db import db
from spaces.models import OpeningHours, Site, Space

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_clock")]  # demo data's dates

OPEN_POPUP = """(name) => new Promise((resolve, reject) => {
    const {spaces, cluster} = window.Raumfinder.layers;
    const layer = spaces.getLayers().find(l => l.feature.properties.name === name);
    if (!layer) return reject(new Error("no marker named " + name));
    setTimeout(() => reject(new Error("popup did not open")), 5000);
    cluster.zoomToShowLayer(layer, () => { layer.openPopup(); resolve(true); });
})"""


def _watch(page, live_server):
    seen = {"requests": [], "errors": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    return seen


@pytest.fixture
def wide_page(browser):
    """A desktop-sized page: at zoom 12 its map shows all of Hannover, so every demo space is in the bbox."""
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _log_in(page, live_server, email: str, password: str = "ein-langes-passwort") -> None:
    """Log in through the form, as a person would."""
    page.goto(live_server.url + "/anmelden")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form.form button[type=submit]")
    page.wait_for_url(live_server.url + "/")


def _loaded(page):
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=15_000)
    return int(page.get_attribute(".folium-map", "data-spaces"))


def test_map_shows_markers_and_a_popup_with_the_next_free_slot(live_server, wide_page, artifacts_dir):
    page = wide_page
    seen = _watch(page, live_server)
    page.goto(live_server.url + "/")
    with live_server.app.app_context():  # other browser tests may have added spaces to the shared server
        open_now = db.session.scalar(select(func.count()).select_from(Space).where(
            or_(Space.available_until.is_(None), Space.available_until >= today_local())))
    assert open_now >= 25  # 29 demo spaces, less the four whose period ended in 2020, and what tests added
    assert _loaded(page) == open_now
    markers = page.locator(".leaflet-marker-pane .rf-marker, .leaflet-marker-pane .marker-cluster")
    assert markers.count() >= 3  # some single markers, some clusters
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 4  # the Kronsrode phases

    page.evaluate(OPEN_POPUP, "Die Übersee")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    assert "Die Übersee" in popup.inner_text()
    assert "bis 60 Personen" in popup.inner_text()
    wait_until(page, "!document.querySelector('.rf-next').textContent.includes('geladen')")
    assert popup.locator(".rf-next").inner_text().startswith(("Nächste freie Zeit", "In den nächsten"))
    assert popup.locator("a").get_attribute("href").startswith("/raeume/")
    page.screenshot(path=f"{artifacts_dir}/map-popup.png", full_page=False)

    assert seen["errors"] == []
    assert [u for u in seen["requests"] if not u.startswith(live_server.url)] == []


def test_filter_form_narrows_map_and_list(live_server, wide_page, artifacts_dir):
    page = wide_page
    seen = _watch(page, live_server)
    page.goto(live_server.url + "/")
    _loaded(page)
    page.fill("input[name=capacity]", "50")
    page.check("input[name=step_free]")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**capacity=50**")
    assert _loaded(page) == 3
    listed = set(page.locator("ul.spaces li strong").all_inner_texts())
    assert listed == {"Die Übersee", "Quartiersplatz (Treffpunkt im Freien)", "Veranstaltungsraum mit Bühne"}
    assert page.locator("input[name=step_free]").is_checked()  # the form keeps the search
    page.screenshot(path=f"{artifacts_dir}/map-filtered.png", full_page=True)
    assert seen["errors"] == []


def test_hostile_space_name_shows_as_text_and_runs_nothing(live_server, wide_page):
    page = wide_page
    hostile = '<img src=x onerror="window.__xss=1">${window.__xss=2}`\\'
    app = live_server.app
    with app.app_context():
        site = db.session.scalars(select(Site)).first()
        space = Space(site_id=site.id, name=hostile, kind="room", capacity=7,
                      location=from_shape(Point(9.80, 52.40), srid=4326),
                      opening_hours=[OpeningHours(weekday=d, opens=__import__("datetime").time(0),
                                                  closes=__import__("datetime").time(0)) for d in range(7)])
        db.session.add(space)
        db.session.commit()
        space_id = space.id
    try:
        seen = _watch(page, live_server)
        page.goto(live_server.url + "/?capacity=7")
        _loaded(page)
        page.evaluate(OPEN_POPUP, hostile)
        popup = page.locator(".leaflet-popup-content h3")
        popup.wait_for(timeout=5_000)
        assert popup.inner_text() == hostile
        page.goto(f"{live_server.url}/raeume/{space_id}")
        assert page.locator("h1").inner_text() == hostile
        assert page.evaluate("window.__xss") is None
        assert seen["errors"] == []
    finally:
        with app.app_context():
            db.session.delete(db.session.get(Space, space_id))
            db.session.commit()


def test_phone_width_map_loads_what_is_in_view(live_server, page, artifacts_dir):
    """On a 375 px phone the page fits the screen and the map asks only for the spaces in its view."""
    seen = _watch(page, live_server)
    page.goto(live_server.url + "/")
    shown = _loaded(page)
    west, south, east, north = page.evaluate(
        "(() => { const b = window.Raumfinder.layers.map.getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
    with live_server.app.app_context():  # the spaces open today or later (other tests add some), in view or not
        open_today = or_(Space.available_until.is_(None), Space.available_until >= today_local())
        every = db.session.scalar(select(func.count()).select_from(Space).where(open_today))
        in_view = db.session.scalar(select(func.count()).select_from(Space).where(
            open_today, Space.location.intersects(func.ST_MakeEnvelope(west, south, east, north, 4326))))
    assert 0 < shown == in_view < every, "the map shows what is in its view, not every space"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=f"{artifacts_dir}/map-375px.png", full_page=True)
    assert any("bbox=" in u for u in seen["requests"] if "/api/spaces" in u)
    assert seen["errors"] == []


def test_log_in_book_a_weekly_series_and_see_it_in_the_calendar(live_server, wide_page, artifacts_dir):
    from datetime import timedelta

    from spaces.accounts import service as accounts

    page = wide_page
    with live_server.app.app_context():
        accounts.register(db.session, email="browser@example.org", display_name="Browser",
                          password="ein-langes-passwort", organisation_name="Nachbarschaftschor")
        space_id = db.session.scalars(select(Space.id).filter_by(name="Die Übersee")).one()
        db.session.commit()
    seen = _watch(page, live_server)

    _log_in(page, live_server, "browser@example.org")
    assert page.locator("nav.account").inner_text().count("Abmelden") == 1

    page.goto(f"{live_server.url}/raeume/{space_id}")
    page.click("a.button")  # "Jetzt buchen"
    first = today_local() + timedelta(days=7)
    while first.weekday() != 1:  # a Tuesday
        first += timedelta(days=1)
    page.fill("input[name=day]", first.isoformat())
    page.fill("input[name=starts]", "18:00")
    page.fill("input[name=ends]", "20:00")
    page.select_option("select[name=frequency]", "weekly")
    page.fill("input[name=until]", (first + timedelta(weeks=3)).isoformat())
    page.fill("input[name=attendees]", "25")
    page.fill("input[name=purpose]", "Chorprobe")
    page.click("form.form button[type=submit]")

    page.wait_for_url(live_server.url + "/meine-buchungen")
    assert "4 Termine angefragt" in page.locator(".flash").inner_text()
    entries = page.locator(".calendar .booking")
    assert entries.count() == 4
    # one series, its dates folded under it (text_content: also what a closed <details> holds)
    assert "4 Termine" in page.locator(".series-entry h3").inner_text()
    texts = entries.all_text_contents()
    assert all("18:00–20:00" in t and "Die Übersee" in t and "Chorprobe" in t and "angefragt" in t for t in texts)
    # the dates in time order, each on its own row
    assert [(first + timedelta(weeks=i)).strftime("%d.%m.%Y") in t for i, t in enumerate(texts)] == [True] * 4
    page.screenshot(path=f"{artifacts_dir}/booking-series.png", full_page=True)
    assert seen["errors"] == []


def test_keyboard_reaches_the_content_the_search_and_the_markers(live_server, wide_page):
    page = wide_page
    page.goto(live_server.url + "/")
    _loaded(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"  # "Zum Inhalt springen" comes first
    assert page.locator(".leaflet-marker-pane [tabindex='0']").count() > 0  # markers and clusters are focusable
    page.focus("input[name=capacity]")
    page.keyboard.type("50")
    page.keyboard.press("Enter")  # the search form submits from the keyboard
    page.wait_for_url("**capacity=50**")
    assert _loaded(page) == 3  # Die Übersee (60), Quartiersplatz (80), Veranstaltungsraum mit Bühne (120)


def test_qm_sees_the_kronsrode_gap_report_with_map_and_charts(live_server, wide_page, artifacts_dir):
    from spaces.accounts import service as accounts

    page = wide_page
    with live_server.app.app_context():
        user = accounts.register(db.session, email="qm-browser@example.org", display_name="QM",
                                 password="ein-langes-passwort")
        user.role = "qm_admin"
        db.session.commit()
    seen = _watch(page, live_server)
    _log_in(page, live_server, "qm-browser@example.org")
    page.click("nav.account >> text=Raumbedarf")
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=15_000)
    assert page.get_attribute(".folium-map", "data-phases") == "4"
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 4
    assert page.locator("svg.gap-chart").count() == 4
    assert page.locator("table.gaps tbody tr[data-phase]").count() == 4
    page.screenshot(path=f"{artifacts_dir}/gap-report.png", full_page=True)
    assert seen["errors"] == []
    assert [u for u in seen["requests"] if not u.startswith(live_server.url)] == []


def test_describe_a_need_see_proposals_and_request_the_first(live_server, wide_page, artifacts_dir):
    from datetime import timedelta

    from spaces.accounts import service as accounts

    page = wide_page
    with live_server.app.app_context():
        accounts.register(db.session, email="need-browser@example.org", display_name="Tanzgruppe",
                          password="ein-langes-passwort", organisation_name="Tanzgruppe Linden")
        db.session.commit()
    seen = _watch(page, live_server)
    _log_in(page, live_server, "need-browser@example.org")
    page.click("nav.account >> text=Raum suchen lassen")
    page.click("a.button")  # "Neuen Raumbedarf beschreiben"
    first = today_local() + timedelta(weeks=3)
    first += timedelta(days=(3 - first.weekday()) % 7)  # a Thursday
    page.fill("input[name=title]", "Tanzabend")
    page.fill("input[name=group_size]", "30")
    page.fill("input[name=duration]", "90")
    page.check("input[name=weekdays][value='3']")
    page.fill("input[name=window_from]", "18:00")
    page.fill("input[name=window_to]", "21:00")
    page.fill("input[name=first_day]", first.isoformat())
    page.fill("input[name=last_day]", (first + timedelta(weeks=2)).isoformat())
    page.check("input[name=step_free]")
    page.select_option("select[name=quartier]", "Linden-Mitte")
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/vorschlaege")
    proposals = page.locator("li.proposal")
    assert proposals.count() >= 2
    first_title = proposals.first.locator("h2").inner_text()
    assert "Donnerstag 18:00–19:30" in first_title
    assert "3 von 3 Terminen frei" in proposals.first.inner_text()
    page.screenshot(path=f"{artifacts_dir}/need-proposals.png", full_page=True)
    proposals.first.locator("button[type=submit]").click()
    page.wait_for_url(live_server.url + "/meine-buchungen")
    assert page.locator(".calendar .booking").count() == 3
    assert all("Tanzabend" in t and "angefragt" in t for t in page.locator(".calendar .booking").all_text_contents())
    assert seen["errors"] == []


def test_keyboard_only_opens_a_clustered_markers_popup(live_server, wide_page):
    """Enter on a cluster zooms into it; Enter on the space's marker then opens its popup, without a mouse."""
    page = wide_page
    page.goto(live_server.url + "/")
    _loaded(page)
    zoom = page.evaluate("window.Raumfinder.layers.map.getZoom()")
    for _ in range(8):
        if page.locator(".leaflet-marker-pane .rf-marker").count():
            break
        page.focus(".leaflet-marker-pane .marker-cluster")
        page.keyboard.press("Enter")
        wait_until(page, f"window.Raumfinder.layers.map.getZoom() > {zoom}")
        zoom = page.evaluate("window.Raumfinder.layers.map.getZoom()")
        wait_until(page, "document.querySelector('.folium-map').dataset.loaded === '1'")
        page.wait_for_timeout(400)  # the cluster animation
    marker = page.locator(".leaflet-marker-pane .leaflet-marker-icon:has(.rf-marker)").first
    marker.focus()
    page.keyboard.press("Enter")
    wait_until(page, "document.querySelector('.leaflet-popup .rf-popup') !== null")
    assert page.locator(".leaflet-popup .rf-popup h3").inner_text()
