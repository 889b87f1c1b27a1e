"""A search that finds nothing offers the single changes that would find something, each with the number of
spaces its link then lists; a search for a past day is refused with its reason."""

import re
from html import unescape

import pytest

from spaces.finder.relax import MOST

NORDSTADT_STEP_FREE = "/?date=2026-12-08&from=18:00&to=20:00&capacity=15&step_free=1&quartier=Nordstadt&walk=15"


def _total(html: str) -> int:
    found = re.search(r'id="result-count"[^>]*>\s*([\d.]+) R', html)
    return int(found.group(1).replace(".", "")) if found else 0


def _changes(html: str) -> list[tuple[str, str, int]]:
    block = re.search(r'<div class="relax">(.*?)</div>', html, re.S)
    if not block:
        return []
    return [(unescape(href), unescape(text), int(n.replace(".", "")))
            for href, text, n in re.findall(r'<a href="([^"]+)">([^<]+)</a>:\s*([\d.]+) R', block.group(1))]


@pytest.mark.parametrize("query", [
    NORDSTADT_STEP_FREE,
    "/?date=2026-12-08&from=18:00&to=20:00&capacity=200",
    "/?capacity=15&equipment=kitchen&kind=hall&free=1",
    "/?lat=52.3338&lon=9.8385&walk=5&accessible_wc=1",
])
def test_nothing_found_offers_the_changes_that_find_something(client, demo, demo_clock, query):
    page = client.get(query).get_data(as_text=True)
    assert _total(page) == 0 and "Kein Raum erfüllt alle Wünsche." in page
    changes = _changes(page)
    assert 0 < len(changes) <= MOST, page
    for href, text, count in changes:
        assert href.endswith("#treffer")
        assert _total(client.get(href).get_data(as_text=True)) == count, (text, href)


def test_when_no_single_change_helps_the_page_says_so(client, demo, demo_clock):
    page = client.get("/?capacity=15&equipment=kitchen,projector&kind=hall&free=1").get_data(as_text=True)
    assert _total(page) == 0 and _changes(page) == []
    assert "auch nicht mit einer einzelnen Änderung" in page


def test_the_resident_of_the_review_learns_what_blocks(client, demo, demo_clock):
    """No step-free room for 15 in Nordstadt within 15 minutes (the UX review): the page says which change helps."""
    texts = [text for _, text, _ in _changes(client.get(NORDSTADT_STEP_FREE).get_data(as_text=True))]
    assert "ohne „stufenlos“" in texts or "mit 30 Minuten Fußweg" in texts, texts


def test_a_search_that_finds_something_offers_no_changes(client, demo, demo_clock):
    page = client.get("/?capacity=5").get_data(as_text=True)
    assert _total(page) > 0 and _changes(page) == [] and "Kein Raum erfüllt" not in page


def test_the_search_form_lands_on_the_results(client, demo):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<form class="filters" id="filters" method="get" action="/#treffer"', page)
    assert 'id="treffer" tabindex="-1"' in page and 'id="liste" tabindex="-1"' in page
