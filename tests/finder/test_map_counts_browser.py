"""The whole city on the map in headless Chromium: on a synthetic city of 10,000 spaces, zoomed out the map
shows counts of every matching space in view (never a sample), zoomed into a district the spaces themselves,
and the numbers add up to what the database holds in that view."""

import re
import time
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import LiveServer, migrated_app, wait_until
from sqlalchemy import text

from spaces.clock import today_local
from spaces.db import db
from spaces.dev.synthetic import generate_city

pytestmark = pytest.mark.browser
SPACES = 10_000


@pytest.fixture(scope="module")
def city_server():
    """The app over HTTP on a database of its own holding a synthetic city of 10,000 spaces."""
    with migrated_app("raumfinder_city") as app:
        with app.app_context():
            generate_city(db.session.connection(), spaces=SPACES, bookings=0, seed=5, start=date(2026, 11, 1))
            db.session.commit()
            rows = db.session.execute(text(
                "SELECT id, ST_X(location), ST_Y(location), capacity, available_until FROM spaces")).all()
        with LiveServer(app) as server:
            server.app, server.rows = app, rows
            yield server


@pytest.fixture
def city_page(browser):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def _expected(server, bbox_url: str, min_capacity: int = 0) -> int:
    """Spaces in the view the page asked for, counted here from the rows themselves (not by the service's SQL)."""
    west, south, east, north = map(float, parse_qs(urlsplit(bbox_url).query)["bbox"][0].split(","))
    today = today_local()
    return sum(1 for _, lon, lat, capacity, until in server.rows
               if west <= lon <= east and south <= lat <= north and capacity >= min_capacity
               and (until is None or until >= today))


def _settled(page, before: int) -> dict:
    """Wait until the map asked for counts after request number `before` and then shows an answer; what it shows,
    read at one moment: the view whose answer it is (`asked`, its URL), the total, the mode and the counts drawn."""
    deadline = time.monotonic() + 30
    while not [u for u in page.requests[before:] if "/api/spaces/clusters" in u]:
        assert time.monotonic() < deadline, page.requests[before:]
        page.wait_for_timeout(50)
    wait_until(page, "document.querySelector('.folium-map').getAttribute('data-loaded') === '1'", timeout=30)
    return page.evaluate("""() => {
        const map = document.querySelector('.folium-map');
        return {asked: map.dataset.asked, total: Number(map.dataset.total), mode: map.dataset.mode,
                counts: [...document.querySelectorAll('.leaflet-marker-pane .rf-count')]
                    .map(n => Number(n.dataset.count)),
                spaces: window.Raumfinder.layers.cluster.getLayers().length};
    }""")


@pytest.mark.parametrize("filters, min_capacity", [("", 0), ("?capacity=50", 50)])
def test_zooming_from_the_city_into_a_district_counts_every_space(city_server, city_page, artifacts_dir, filters,
                                                                  min_capacity):
    page = city_page
    page.goto(city_server.url + "/" + filters)
    shown = _settled(page, 0)
    expected = _expected(city_server, shown["asked"], min_capacity)
    assert expected > 500, "zoomed out over the city: more than the map shows one by one"
    assert shown["mode"] == "clusters"
    assert shown["total"] == expected == sum(shown["counts"])
    assert page.locator(".leaflet-marker-pane .rf-marker").count() == 0, "no sample of single spaces"
    asked = [u for u in page.requests if "/api/spaces/clusters" in u]
    assert len(asked) == 1, f"the first view is asked once, not again after the map settles: {asked}"
    page.screenshot(path=f"{artifacts_dir}/city-counts{min_capacity or ''}.png")

    # into a district, step by step: at every zoom the numbers are the spaces in view
    for zoom in (14, 16):
        before = len(page.requests)
        page.evaluate(f"window.Raumfinder.layers.map.setView([52.3745, 9.7386], {zoom}, {{animate: false}})")
        wait_until(page, f"window.Raumfinder.layers.map.getZoom() === {zoom}")
        shown = _settled(page, before)
        expected = _expected(city_server, shown["asked"], min_capacity)
        assert shown["total"] == expected
        if shown["mode"] == "clusters":
            assert sum(shown["counts"]) == expected
        else:  # few enough: the spaces themselves, every one (Leaflet.markercluster groups them on the screen)
            assert expected <= 500
            assert shown["spaces"] == expected
            assert shown["counts"] == []
    assert shown["mode"] == "spaces", "zoomed into a district: single spaces"
    page.screenshot(path=f"{artifacts_dir}/city-district{min_capacity or ''}.png")
    assert page.errors == []


def test_a_count_is_reached_by_keyboard_and_enter_zooms_in(city_server, city_page):
    page = city_page
    page.goto(city_server.url + "/")
    _settled(page, 0)
    zoom = page.evaluate("window.Raumfinder.layers.map.getZoom()")
    count = page.locator(".leaflet-marker-pane .rf-count-icon").first
    assert count.get_attribute("tabindex") == "0"
    assert re.fullmatch(r"\d+ Räume hier – vergrößern", count.get_attribute("title"))
    count.focus()
    page.keyboard.press("Enter")
    wait_until(page, f"window.Raumfinder.layers.map.getZoom() === {zoom + 2}")
    assert page.errors == []
