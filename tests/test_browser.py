"""The map in a real headless Chromium: markers from the API, popups, nothing loaded from elsewhere."""

import pytest

pytestmark = pytest.mark.browser


def test_map_shows_spaces_and_phases_and_a_popup(live_server, page, artifacts_dir):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(live_server.url + "/")
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=15_000)
    shown = int(page.get_attribute(".folium-map", "data-spaces"))
    assert shown == 25  # 29 demo spaces, less the four whose period ended in 2020
    # Phases and markers are SVG paths in Leaflet's overlay pane.
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() >= shown + 4

    page.evaluate("""() => {
        const el = document.querySelector('.folium-map');
        const map = Object.values(window).find(v => v && v._container === el);
        map.eachLayer(l => { if (l.feature && l.feature.properties.name === 'Die Übersee') l.openPopup(); });
    }""")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    assert "Die Übersee" in popup.inner_text()
    assert popup.locator("a").get_attribute("href").startswith("/raeume/")
    page.screenshot(path=f"{artifacts_dir}/map-375px.png", full_page=True)

    assert errors == []
    assert [u for u in requests if not u.startswith(live_server.url)] == []
