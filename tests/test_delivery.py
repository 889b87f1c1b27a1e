"""How answers travel: versioned static URLs cached for a year, compression where no secret rides along,
the map frame without the assets it does not use, and what a phone downloads on its first and next visit."""

import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest
from factories import create_space, login_as

from spaces.accounts import service as accounts
from spaces.delivery import file_version

STATIC = Path(__file__).resolve().parents[1] / "static"


def _static_urls(html: str) -> list[str]:
    return [u.replace("&amp;", "&") for u in re.findall(r'(?:src|href)="(/static/[^"]+)"', html)]


def test_static_urls_carry_the_content_hash_and_are_kept_for_a_year(client, session):
    urls = _static_urls(client.get("/").get_data(as_text=True))
    assert any("map.js" in u for u in urls) and any("leaflet.js" in u for u in urls)
    for url in urls:
        path, version = re.fullmatch(r"/static/([^?]+)\?v=([0-9a-f]{12})", url).groups()
        assert version == hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12], url
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.cache_control.max_age == 365 * 24 * 3600 and answer.cache_control.immutable
        assert answer.cache_control.public
    unversioned = client.get("/static/js/map.js")
    assert unversioned.cache_control.no_cache and not unversioned.cache_control.immutable


def test_a_changed_file_gets_a_new_version(tmp_path):
    (tmp_path / "a.css").write_text("body { color: red; }")
    first = file_version(str(tmp_path), "a.css")
    (tmp_path / "a.css").write_text("body { color: blue; }")
    assert file_version(str(tmp_path), "a.css") not in (None, first)
    assert file_version(str(tmp_path), "missing.css") is None
    assert file_version(str(tmp_path), "../" + tmp_path.name) is None, "a folder has no version"


@pytest.mark.parametrize(("encoding", "decode"), [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_static_files_and_public_map_data_are_compressed(client, session, encoding, decode):
    for i in range(12):
        create_space(session, name=f"Saal {i}", lon=9.60 + i * 0.03)
    script = client.get("/static/js/map.js", headers={"Accept-Encoding": encoding})
    assert script.headers["Content-Encoding"] == encoding and "Accept-Encoding" in script.headers["Vary"]
    assert decode(script.get_data()) == (STATIC / "js/map.js").read_bytes()
    for path in ("/api/spaces", "/api/openapi.json", "/api/spaces/clusters?zoom=12"):
        plain = client.get(path).get_data()
        answer = client.get(path, headers={"Accept-Encoding": encoding})
        assert answer.status_code == 200 and len(plain) >= 500, path
        assert answer.headers["Content-Encoding"] == encoding, path
        assert decode(answer.get_data()) == plain
    page = client.get("/", headers={"Accept-Encoding": encoding})
    assert page.headers["Content-Encoding"] == encoding, "a visitor without an account gets a compressed page"
    assert b"Raumfinder" in decode(page.get_data())


def test_nothing_with_a_personal_secret_is_compressed(client, session):
    """BREACH: a logged-in person's pages (their CSRF token) and the booking API (tokens) travel uncompressed."""
    user = login_as(client, session, "member")
    for path in ("/", "/meine-buchungen"):
        answer = client.get(path, headers={"Accept-Encoding": "br, gzip"})
        assert answer.status_code == 200 and "Content-Encoding" not in answer.headers, path
    _, token = accounts.issue_api_token(session, user, "x")
    for path in ("/api/tokens", "/api/bookings"):
        answer = client.get(path, headers={"Accept-Encoding": "br, gzip", "Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and "Content-Encoding" not in answer.headers, path


def test_the_map_frame_loads_leaflet_and_its_plugins_only(client, session):
    html = client.get("/").get_data(as_text=True)
    for unused in ("jquery", "bootstrap", "fontawesome", "awesome-markers", "glyphicons"):
        assert unused not in html, unused


# ------------------------------------------------------------------------------- in Chromium


def _transferred(page, url: str) -> tuple[int, int]:
    """Bytes over the network (headers and compressed bodies) while `url` loads, and the number of requests."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url)
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=15_000)
    page.wait_for_load_state("networkidle")
    cdp.detach()
    return sum(sizes.values()), sum(1 for n in sizes.values() if n > 0)


@pytest.mark.browser
def test_a_phone_downloads_under_250_kb_first_and_under_20_kb_next_time(live_server, browser, demo_clock):
    context = browser.new_context(locale="de-DE", viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        first, first_requests = _transferred(page, live_server.url + "/")
        again, again_requests = _transferred(page, live_server.url + "/")
    finally:
        context.close()
    print(f"page weight of /: first visit {first} bytes in {first_requests} requests, "
          f"next visit {again} bytes in {again_requests} requests")
    assert first < 250_000
    assert again < 20_000, "the next visit fetches only the page and the map data: the files are cached"
    assert again_requests < first_requests


def test_a_new_worker_warms_up_on_every_common_page_and_writes_nothing(app, session, demo, demo_clock):
    from sqlalchemy import text

    from spaces.warmup import PATHS, warm_up

    tables = [t for (t,) in session.execute(text(
        "SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY relname"))]
    before = {t: session.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    answers = warm_up(app)
    assert set(PATHS) < set(answers) and any(p.startswith("/raeume/") for p in answers)
    assert set(answers.values()) == {200}, answers
    assert {t: session.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables} == before
