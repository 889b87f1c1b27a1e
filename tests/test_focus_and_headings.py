"""What the eye needs to find its way, in Chromium: the focus ring stands out from the page (contrast at
least 3:1, WCAG 2.2 "focus appearance"), and a page's title is larger than its section headings."""

import pytest

pytestmark = pytest.mark.browser


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgb(css: str) -> tuple[int, int, int]:
    r, g, b = (int(float(v)) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3])
    return r, g, b


@pytest.mark.parametrize("path, selector", [("/", "button.filter-toggle"), ("/", "a"),
                                            ("/anmelden", "input[name=email]")])
def test_the_focus_ring_has_at_least_3_to_1_against_the_page(live_server, page, path, selector):
    page.goto(live_server.url + path)
    page.focus(selector)
    outline = page.evaluate("""(() => {
        const el = document.activeElement, s = getComputedStyle(el);
        return [s.outlineStyle, s.outlineWidth, s.outlineColor, getComputedStyle(document.body).backgroundColor];
    })()""")
    style, width, colour, background = outline
    assert style == "solid" and float(width.rstrip("px")) >= 2
    assert _contrast(_rgb(colour), _rgb(background)) >= 3, outline


@pytest.mark.parametrize("path", ["/", "/anmelden", "/registrieren"])
def test_the_title_is_larger_than_the_section_headings(live_server, page, path):
    page.goto(live_server.url + path)
    sizes = page.evaluate("""(() => {
        const px = (sel) => [...document.querySelectorAll(sel)].map(e => parseFloat(getComputedStyle(e).fontSize));
        return {h1: px('main h1'), h2: px('main h2')};
    })()""")
    assert sizes["h1"], sizes
    assert all(h2 < sizes["h1"][0] for h2 in sizes["h2"]), sizes
