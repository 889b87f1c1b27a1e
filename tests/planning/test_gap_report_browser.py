"""The gap report in a real headless Chromium at phone size: readable axis labels, no table cut off, a time
selector, and a PDF a funder can read (the map on page one, numbered pages, no heading alone at a page foot)."""

import re
import zlib

import pytest
from conftest import log_in_through_the_form, wait_until

from spaces.db import db

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_clock")]  # demo data's dates

OVERLAPS = """() => {
    const boxes = [...document.querySelectorAll('svg.gap-chart')].map(svg =>
        [...svg.querySelectorAll('text.axis-label')].map(t => t.getBoundingClientRect()));
    const bad = [];
    boxes.forEach((labels, chart) => labels.forEach((a, i) => labels.slice(i + 1).forEach(b => {
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) bad.push([chart, i]);
    })));
    const outside = boxes.flat().filter((r, _) => r.width === 0).length;
    return {bad, counts: boxes.map(l => l.length), outside};
}"""

CUT_OFF = """() => {
    const width = document.documentElement.clientWidth;
    const cut = [...document.querySelectorAll('.report table.gaps td, .report table.gaps th')]
        .filter(c => c.getClientRects().length && c.getBoundingClientRect().right > width + 0.5)
        .map(c => c.textContent.trim());
    return {cut, scroll: document.documentElement.scrollWidth, width};
}"""


# --- a small reader for the PDF Chromium writes (no PDF library in the project) ----------------------------


def _objects(pdf: bytes) -> dict:
    return {int(m[1]): m[2] for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}


def _stream(body: bytes) -> bytes:
    m = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
    data = m[1] if m else b""
    return zlib.decompress(data) if b"FlateDecode" in body[:m.start() if m else 0] else data


def _cmap(data: bytes) -> dict:
    """A ToUnicode CMap: glyph code (hex) -> text."""
    out = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(start + i)
    return out


def pdf_pages(pdf: bytes) -> list[dict]:
    """Per page, in order: its text without any white space (glyphs decoded through the fonts' ToUnicode maps;
    Chromium places words and even letters one by one) and how many images or forms it draws."""
    objects = _objects(pdf)

    def ref(body: bytes, key: bytes):
        m = re.search(rb"/" + key + rb"\s+(\d+) 0 R", body)
        return int(m[1]) if m else None

    def inline_or_ref(body: bytes, key: bytes) -> bytes:
        number = ref(body, key)
        if number is not None:
            return objects[number]
        m = re.search(rb"/" + key + rb"\s*<<", body)
        if not m:
            return b""
        depth, i = 1, m.end()
        while depth:  # the dictionary up to its own ">>", nested ones included
            if body.startswith(b"<<", i):
                depth, i = depth + 1, i + 2
            elif body.startswith(b">>", i):
                depth, i = depth - 1, i + 2
            else:
                i += 1
        return body[m.end():i - 2]

    pages_root = next(n for n, b in objects.items() if re.search(rb"/Type\s*/Pages\b", b))
    order: list[int] = []

    def walk(number: int) -> None:
        body = objects[number]
        if re.search(rb"/Type\s*/Page\b", body):
            order.append(number)
            return
        kids = re.search(rb"/Kids\s*\[(.*?)\]", body, re.S)
        for kid in re.findall(rb"(\d+) 0 R", kids[1]):
            walk(int(kid))

    walk(pages_root)
    pages = []
    for number in order:
        body = objects[number]
        resources = inline_or_ref(body, b"Resources")
        fonts_body = inline_or_ref(resources, b"Font")
        fonts = {name.decode(): _cmap(_stream(objects[int(obj)])) if (tu := ref(objects[int(obj)], b"ToUnicode"))
                 is None else _cmap(_stream(objects[tu]))
                 for name, obj in re.findall(rb"/([\w.+-]+)\s+(\d+) 0 R", fonts_body)}
        contents = re.search(rb"/Contents\s*(\[.*?\]|\d+ 0 R)", body, re.S)[1]
        content = b"".join(_stream(objects[int(n)]) for n in re.findall(rb"(\d+) 0 R", contents))
        text, font = [], {}
        for token in re.finditer(rb"/([\w.+-]+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f\s]*)>\s*Tj|\[(.*?)\]\s*TJ", content, re.S):
            if token[1]:
                font = fonts.get(token[1].decode(), {})
                continue
            for hexes in re.findall(rb"<([0-9A-Fa-f\s]*)>", token[2] and b"<" + token[2] + b">" or token[3]):
                codes = re.sub(rb"\s", b"", hexes)
                width = 4 if len(codes) % 4 == 0 else 2
                text.append("".join(font.get(int(codes[i:i + width], 16), "?") for i in range(0, len(codes), width)))
        xobjects = inline_or_ref(resources, b"XObject")
        pages.append({"text": re.sub(r"\s+", "", "".join(text)), "xobjects": len(re.findall(rb"\d+ 0 R", xobjects))})
    return pages


# --- the test ---------------------------------------------------------------------------------------------


def test_gap_report_on_a_phone_and_as_pdf(live_server, page, artifacts_dir):
    from spaces.accounts import service as accounts

    with live_server.app.app_context():
        user = accounts.register(db.session, email="qm-druck@example.org", display_name="QM",
                                 password="ein-langes-passwort")
        user.role = "qm_admin"
        db.session.commit()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 375, "height": 812})
    log_in_through_the_form(page, live_server.url, "qm-druck@example.org")

    page.goto(live_server.url + "/bedarf")
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=15_000)
    # Axis labels: some on every chart, none touching another.
    labels = page.evaluate(OVERLAPS)
    assert labels["bad"] == [] and labels["outside"] == 0
    assert len(labels["counts"]) == 4 and all(n >= 1 for n in labels["counts"]), labels
    # No cell of any table reaches past the phone's right edge; the page does not scroll sideways.
    cut = page.evaluate(CUT_OFF)
    assert cut["cut"] == [] and cut["scroll"] <= cut["width"], cut
    # The map names every phase on it, and the time selector changes what it shows.
    assert int(page.get_attribute(".folium-map", "data-spaces")) >= 1  # the spaces in reach, as markers
    names = page.locator(".leaflet-tooltip.phase-label").all_text_contents()
    assert sorted(names) == [f"Kronsrode Baufeld {i}" for i in range(1, 5)]
    first = page.get_attribute(".folium-map", "data-quarter")
    last = int(page.get_attribute("#gap-when", "max"))
    page.locator("#gap-when").fill(str(last))
    wait_until(page, f"document.querySelector('.folium-map').dataset.quarter !== '{first}'")
    assert page.locator("#gap-when-text").text_content().endswith(page.get_attribute(".folium-map",
                                                                                      "data-quarter")[:4])
    page.screenshot(path=f"{artifacts_dir}/gap-report-phone.png", full_page=True)

    # Paper: the print view as a PDF.
    page.goto(live_server.url + "/bedarf/druck")
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=15_000)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 688, "height": 1000})  # A4 less the page margins (182 mm at 96 dpi)
    page.wait_for_timeout(300)  # the map lays itself out for the paper width
    cut = page.evaluate(CUT_OFF)
    assert cut["cut"] == [], cut  # every column on the paper
    pdf = page.pdf(format="A4", print_background=True)
    with open(f"{artifacts_dir}/gap-report.pdf", "wb") as out:
        out.write(pdf)
    pages = pdf_pages(pdf)
    n = len(pages)
    assert 2 <= n <= 8, [p["text"][:80] for p in pages]
    one = pages[0]["text"]
    assert squeeze("Raumbedarf je Bauabschnitt") in one and squeeze("Karte: Bauabschnitte und Räume in Gehweite") in one
    assert squeeze("Kronsrode Baufeld 1") in one and pages[0]["xobjects"] >= 1  # the labels drawn on the map
    for i, p in enumerate(pages, start=1):
        assert squeeze(f"Seite {i} von {n}") in p["text"], (i, p["text"][-200:])
    # No heading left alone at the foot of a page: "Im Lauf der Zeit" shares its page with a phase's chart.
    over_time = next(p["text"] for p in pages if squeeze("Im Lauf der Zeit") in p["text"])
    assert re.search(squeeze("Im Lauf der Zeit") + ".*" + squeeze("Kronsrode Baufeld") + r"\d", over_time)
    # No half-empty page in the middle: each carries at least 40 % of the text of the fullest one.
    fullest = max(len(p["text"]) for p in pages)
    assert all(len(p["text"]) >= 0.4 * fullest for p in pages[1:-1]), [len(p["text"]) for p in pages]
    assert errors == []


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)
