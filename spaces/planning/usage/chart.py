"""Server-drawn SVG charts of the usage report (no JavaScript, nothing loaded from elsewhere, prints well):
the heat grid of weekday × hour and the utilisation bars."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from spaces.core.usage import HeatGrid
from spaces.formatting import percent

SHORT_DAYS = (_l("Mo"), _l("Di"), _l("Mi"), _l("Do"), _l("Fr"), _l("Sa"), _l("So"))
# Booked share of open time: the upper bound of each step and its colour (light to dark blue, readable in grey).
STEPS = ((0.0, "#ffffff"), (0.25, "#c6dbef"), (0.5, "#6baed6"), (0.75, "#2171b5"), (1.0, "#08306b"))
CLOSED = "#d9d9d9"
FONT = 13
LEFT, TOP, CELL_W, CELL_H = 34, 22, 21, 20
WIDTH = LEFT + 24 * CELL_W + 6


def colour(share: float | None) -> str:
    """The fill of a cell: grey where never open, else the step its booked share falls in."""
    if share is None:
        return CLOSED
    for bound, fill in STEPS:
        if share <= bound + 1e-9:
            return fill
    return STEPS[-1][1]


def _step_text(i: int) -> str:
    if i == 0:
        return gettext("nicht gebucht")
    return gettext("bis %(p)s", p=percent(STEPS[i][0]))


def heat_svg(title: str, grid: HeatGrid) -> Markup:
    """The booked share of the open time per weekday (rows) and wall-clock hour (columns), with a legend."""
    legend_y = TOP + 7 * CELL_H + 14
    height = legend_y + 2 * (FONT + 8) + 6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'class="usage-heat" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for hour in range(0, 24, 3):
        parts.append(f'<text x="{LEFT + hour * CELL_W + 1}" y="{TOP - 7}" font-size="{FONT}">{hour}</text>')
    for wd, row in enumerate(grid.rows()):
        y = TOP + wd * CELL_H
        parts.append(f'<text x="{LEFT - 6}" y="{y + CELL_H - 6}" text-anchor="end" font-size="{FONT}">'
                     f"{escape(str(SHORT_DAYS[wd]))}</text>")
        for hour, share in enumerate(row):
            words = (gettext("%(day)s %(h)s–%(h2)s Uhr: geschlossen", day=SHORT_DAYS[wd], h=hour, h2=hour + 1)
                     if share is None else
                     gettext("%(day)s %(h)s–%(h2)s Uhr: %(p)s der Öffnungszeit gebucht", day=SHORT_DAYS[wd], h=hour,
                             h2=hour + 1, p=percent(share)))
            parts.append(f'<rect x="{LEFT + hour * CELL_W}" y="{y}" width="{CELL_W}" height="{CELL_H}" '
                         f'fill="{colour(share)}" stroke="#888" stroke-width="0.5"><title>{escape(words)}</title>'
                         f"</rect>")
    swatches = [(CLOSED, gettext("geschlossen"))] + [(fill, _step_text(i)) for i, (_, fill) in enumerate(STEPS)]
    x, y = LEFT, legend_y
    for fill, words in swatches:
        width = 14 + 6 + len(words) * FONT * 0.55 + 14
        if x + width > WIDTH:
            x, y = LEFT, y + FONT + 8
        parts.append(f'<rect x="{x}" y="{y}" width="14" height="14" fill="{fill}" stroke="#888" stroke-width="0.5"/>')
        parts.append(f'<text x="{x + 20}" y="{y + 12}" font-size="{FONT}">{escape(words)}</text>')
        x += width
    parts.append("</svg>")
    return Markup("".join(parts))


def bars_svg(title: str, rows: list[tuple[str, float | None]]) -> Markup:
    """One horizontal bar per named row: its utilisation (0 to 100 %), the value written beside it."""
    label_w, bar_w, row_h = 170, 180, 24
    height = 8 + row_h * max(1, len(rows))
    width = label_w + bar_w + 70
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'class="usage-bars" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (name, share) in enumerate(rows):
        y = 4 + i * row_h
        short = name if len(name) <= 22 else name[:21] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="{FONT}">'
                     f"{escape(short)}<title>{escape(name)}</title></text>")
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 8}" fill="#f0f0f0"/>')
        if share:
            parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w * min(1.0, share):.1f}" '
                         f'height="{row_h - 8}" fill="#2171b5"/>')
        text = percent(share) if share is not None else gettext("nie geöffnet")
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 16}" font-size="{FONT}">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
