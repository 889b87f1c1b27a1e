"""A server-rendered SVG timeline of demand and supply for one phase (no JavaScript, prints well)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext
from markupsafe import Markup, escape

from spaces.formatting import number

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 560, 230, 60, 24, 16, 48
FONT = 14  # px in the viewBox; the chart shrinks to about 60 % on a phone
LABEL_PAD = 12  # px kept free between two axis labels


def _extent(x: float, text: str, anchor: str) -> tuple[float, float]:
    width = len(text) * FONT * 0.62  # generous for digits and the narrow letters of "Quartal"
    return (x, x + width) if anchor == "start" else (x - width / 2, x + width / 2)


def axis_labels(quarters: list[date], x) -> list[tuple[int, str, str]]:
    """Which quarters get a label under the axis, with text and anchor: the first quarter of each year as the
    year, left out where it would touch its neighbour; the first quarter by name when there is room for it
    (or no year starts within the timeline)."""
    picked: list[tuple[int, str, str]] = []
    right_edge = float("-inf")
    for i, day in enumerate(quarters):
        if day.month == 1:
            left, right = _extent(x(i), str(day.year), "middle")
            if left >= right_edge + LABEL_PAD:
                picked.append((i, str(day.year), "middle"))
                right_edge = right
    if quarters and (not picked or picked[0][0] != 0):
        first = (0, short_quarter(quarters[0]), "start" if len(quarters) > 1 else "middle")
        end = _extent(x(0), first[1], first[2])[1]
        if not picked or end + LABEL_PAD <= _extent(x(picked[0][0]), picked[0][1], "middle")[0]:
            picked.insert(0, first)
    return picked


def short_quarter(day: date) -> str:
    """A quarter for an axis: 'Q2 2027' in both languages."""
    return gettext("Q%(q)s %(y)s", q=(day.month - 1) // 3 + 1, y=day.year)


def timeline_svg(title: str, quarters: list[date], demand: list[float], supply: list[float],
                 unit: str = "m²") -> Markup:
    """Two lines over the quarters: demand (dashed red) and supply (green), with axes and a legend."""
    n = len(quarters)
    top_value = max([*demand, *supply, 1.0]) * 1.1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top_value)

    def line(values: list[float]) -> str:
        return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="gap-chart" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#555"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#555"/>',
    ]
    for fraction in (0, 0.5, 1):
        value = top_value / 1.1 * fraction
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="{FONT}">'
                     f"{escape(number(value))}</text>")
        parts.append(f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{WIDTH - RIGHT}" y2="{y(value):.1f}" '
                     f'stroke="#ddd"/>')
    for i, text, anchor in axis_labels(quarters, x):
        parts.append(f'<line x1="{x(i):.1f}" y1="{TOP + plot_h}" x2="{x(i):.1f}" y2="{TOP + plot_h + 5}" '
                     f'stroke="#555"/>')
        parts.append(f'<text class="axis-label" x="{x(i):.1f}" y="{TOP + plot_h + 20}" text-anchor="{anchor}" '
                     f'font-size="{FONT}">{escape(text)}</text>')
    if n:
        parts.append(f'<polyline fill="none" stroke="#c0392b" stroke-width="2.5" stroke-dasharray="6 4" '
                     f'points="{line(demand)}"><title>{escape(gettext("Bedarf"))}</title></polyline>')
        parts.append(f'<polyline fill="none" stroke="#1e7b34" stroke-width="2.5" points="{line(supply)}">'
                     f"<title>{escape(gettext('Angebot'))}</title></polyline>")
    demand_text = gettext("– – Bedarf (%(unit)s)", unit=unit)
    supply_text = gettext("— Angebot (%(unit)s)", unit=unit)
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 4}" font-size="{FONT}" fill="#c0392b">{escape(demand_text)}</text>')
    parts.append(f'<text x="{LEFT + 200}" y="{HEIGHT - 4}" font-size="{FONT}" fill="#1e7b34">'
                 f"{escape(supply_text)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
