"""The open-data page in a real headless Chromium on a phone (375×812): no axe violations, and "GeoJSON
herunterladen" saves the file with every space the page counts."""

import json
import re
from pathlib import Path

from test_axe import PHONE, describe, violations_on


def test_the_download_button_saves_the_geojson(live_server, browser, artifacts_dir):
    # bypass_csp: axe is injected as an inline script, which the page's policy (rightly) forbids
    context = browser.new_context(locale="de-DE", viewport=PHONE, bypass_csp=True, accept_downloads=True)
    try:
        page = context.new_page()
        found = violations_on(page, live_server.url + "/offene-daten", None)
        assert not found, describe("/offene-daten", found)
        count = int(re.search(r"Zurzeit (\d+) Räume", page.inner_text("main")).group(1))
        with page.expect_download() as download:
            page.get_by_role("link", name="GeoJSON herunterladen").click()
        saved = download.value
        assert saved.suggested_filename == "raumfinder-raeume.geojson"
        document = json.loads(Path(saved.path()).read_text(encoding="utf-8"))
        assert document["type"] == "FeatureCollection" and document["licence"] == "dl-de/by-2-0"
        assert len(document["features"]) == count > 0
        page.screenshot(path=str(Path(artifacts_dir) / "open_data_phone.png"), full_page=True)
    finally:
        context.close()
