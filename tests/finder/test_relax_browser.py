"""On a phone, "Suchen" lands on the result count, and a search that finds nothing shows what would help
(headless Chromium, 375 px wide)."""

import re

from conftest import wait_until


def _in_view(page, selector: str) -> bool:
    return page.evaluate(f"""(() => {{
        const r = document.querySelector({selector!r}).getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight;
    }})()""")


def test_a_phone_search_lands_on_the_count_and_offers_what_would_help(live_server, page, artifacts_dir):
    page.goto(live_server.url + "/")
    assert not _in_view(page, "#result-count")  # the form and the map come first on a phone
    page.fill("input[name=capacity]", "15")
    page.check("input[name=step_free]")
    page.select_option("select[name=quartier]", "Nordstadt")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("load")
    wait_until(page, "location.hash === '#liste'")
    assert _in_view(page, "#result-count"), page.url
    assert page.text_content("#result-count").strip() == "Kein Raum erfüllt alle Wünsche."
    links = page.locator(".relax a")
    assert links.count() >= 1
    first = links.first.text_content()
    page.screenshot(path=f"{artifacts_dir}/relax-phone.png")
    links.first.click()
    page.wait_for_load_state("load")
    assert _in_view(page, "#result-count")
    assert re.fullmatch(r"\d+ (Raum|Räume)", page.text_content("#result-count").strip()), first
