"""A server-rendered SVG timeline of demand and supply for one phase (no JavaScript, prints well)."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 560, 220, 52, 12, 16, 40


def timeline_svg(title: str, quarters: list[str], demand: list[float], supply: list[float], unit: str = "m²") -> Markup:
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
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11">'
                     f"{value:,.0f}</text>".replace(",", "."))
        parts.append(f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{WIDTH - RIGHT}" y2="{y(value):.1f}" '
                     f'stroke="#ddd"/>')
    step = max(1, n // 8)
    for i in range(0, n, step):
        parts.append(f'<text x="{x(i):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" font-size="11">'
                     f"{escape(quarters[i])}</text>")
    if n:
        parts.append(f'<polyline fill="none" stroke="#c0392b" stroke-width="2.5" stroke-dasharray="6 4" '
                     f'points="{line(demand)}"><title>Bedarf</title></polyline>')
        parts.append(f'<polyline fill="none" stroke="#1e7b34" stroke-width="2.5" points="{line(supply)}">'
                     f"<title>Angebot</title></polyline>")
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 4}" font-size="11" fill="#c0392b">– – Bedarf ({escape(unit)})</text>')
    parts.append(f'<text x="{LEFT + 150}" y="{HEIGHT - 4}" font-size="11" fill="#1e7b34">'
                 f'— Angebot ({escape(unit)})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
