"""The search map in headless Chromium on a phone (375x812): with a street network loaded it draws the area
reached on foot (the isochrone from /api/isochrone, an SVG path) around the place searched near, not the circle
of the straight-line rule."""

from pathlib import Path

import pytest
from conftest import LiveServer, migrated_app, wait_until
from factories import create_space

from spaces.db import db
from spaces.walking.streets import import_streets

pytestmark = pytest.mark.browser
STREETS = Path(__file__).parent.parent / "data" / "streets_river.osm"
HERE = "lat=52.3714&lon=9.735&walk=10"


@pytest.fixture(scope="module")
def river_server():
    """The app over HTTP on a database of its own: two spaces by the river and its street network."""
    with migrated_app("raumfinder_walk") as app:
        with app.app_context():
            create_space(db.session, name="Treff Nordufer", lon=9.74, lat=52.3714)
            create_space(db.session, name="Treff Südufer", lon=9.735, lat=52.36995)
            import_streets(db.session, STREETS)
            db.session.commit()
        with LiveServer(app) as server:
            yield server


def test_the_search_map_draws_the_walking_isochrone(river_server, page, artifacts_dir):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(river_server.url + "/?" + HERE)
    wait_until(page, "document.querySelector('.folium-map') && "
                     "document.querySelector('.folium-map').getAttribute('data-walk-area') !== null", timeout=10)
    assert page.evaluate("document.querySelector('.folium-map').getAttribute('data-walk-area')") == "isochrone"
    path = page.evaluate("(document.querySelector('path.rf-isochrone') || {getAttribute: () => ''})"
                         ".getAttribute('d')")
    assert path and path.count("L") >= 3  # a polygon, not a circle marker
    assert "Gehzeit auf dem Fußwegenetz" in page.content()
    page.screenshot(path=str(Path(artifacts_dir) / "walking_isochrone_phone.png"))
    assert errors == []
