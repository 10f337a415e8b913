"""
Server-rendered SVG line charts: the page's pictures are drawn here from numbers `levstake.previews` and the
reads give; this module only places them (scales, ticks, labels). No script, no library: an <svg> a browser
shows as it is, offline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Series:
    label: str
    css: str  # a class of style.css: line colour and dash
    points: Sequence[tuple[float, float | None]]


@dataclass(frozen=True)
class Mark:
    """A labelled dot (the user's point, where health crosses 1)."""

    x: float
    y: float
    label: str
    css: str = "mark"


@dataclass(frozen=True)
class Chart:
    title: str
    x_label: str
    y_label: str
    series: Sequence[Series]
    x_format: Callable[[float], str]
    y_format: Callable[[float], str]
    marks: Sequence[Mark] = ()
    hlines: Sequence[tuple[float, str]] = ()  # (y, label)
    vlines: Sequence[tuple[float, str]] = ()  # (x, label)
    y_floor: float | None = None
    y_ceiling: float | None = None
    width: int = 560
    height: int = 230
    notes: Sequence[str] = field(default_factory=tuple)


LEFT, RIGHT, TOP, BOTTOM = 62, 16, 44, 40
LEGEND_Y = 31
# Presentation attributes, not a stylesheet: the same SVG draws alike inline and as an <img>.
STYLE = {
    "grid": 'stroke="#e7eaf0"',
    "axis": 'fill="#667085" font-size="11"',
    "axis-label": 'fill="#475467" font-size="11"',
    "chart-title": 'fill="#14171f" font-size="13" font-weight="600"',
    "legend": 'fill="#475467" font-size="11"',
    "hline": 'stroke="#b42318" stroke-dasharray="3 3"',
    "vline": 'stroke="#667085" stroke-dasharray="2 3"',
    "hline-label": 'fill="#b42318" font-size="11"',
    "mark-label": 'fill="#14171f" font-size="11.5" font-weight="600"',
    "mark": 'fill="#d97706" stroke="#ffffff" stroke-width="1.5"',
    "mark danger": 'fill="#b42318" stroke="#ffffff" stroke-width="1.5"',
    "line today": 'fill="none" stroke="#1d4ed8" stroke-width="2.2"',
    "line after": 'fill="none" stroke="#d97706" stroke-width="2.2" stroke-dasharray="6 4"',
    "line health": 'fill="none" stroke="#0f766e" stroke-width="2.2"',
    "dot today": 'fill="#1d4ed8"',
    "dot after": 'fill="#d97706"',
    "dot health": 'fill="#0f766e"',
}
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"'


def _style(css: str) -> str:
    return f'class="{css}" {STYLE.get(css, "")}'


def _text(x: float, y: float, text: str, css: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {_style(css)}{extra}>{escape(text)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, css: str) -> str:
    return f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y1:.1f}" y2="{y2:.1f}" {_style(css)}/>'


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, value = [first], first
    while value < high - step * 1e-9:
        value += step
        ticks.append(round(value, 12))
    return ticks


def render(chart: Chart) -> Markup:
    xs = [x for s in chart.series for x, y in s.points if y is not None and math.isfinite(y)]
    ys = [y for s in chart.series for _, y in s.points if y is not None and math.isfinite(y)]
    ys += [m.y for m in chart.marks if math.isfinite(m.y)] + [y for y, _ in chart.hlines]
    xs += [m.x for m in chart.marks] + [x for x, _ in chart.vlines]
    w, h = chart.width, chart.height
    title = escape(chart.title)
    if not xs or not ys:
        return Markup(
            f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}" {FONT} '
            f'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
            + _text(w / 2, h / 2, "nothing to draw yet", "axis", "middle")
            + "</svg>"
        )
    y_low = min(ys) if chart.y_floor is None else max(min(ys), chart.y_floor)
    y_high = max(ys) if chart.y_ceiling is None else min(max(ys), chart.y_ceiling)
    y_ticks = nice_ticks(y_low, y_high)
    x_ticks = nice_ticks(min(xs), max(xs))
    y0, y1 = y_ticks[0], y_ticks[-1]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1

    def px(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * (w - LEFT - RIGHT)

    def py(y: float) -> float:
        y = min(max(y, y0), y1)
        return h - BOTTOM - (y - y0) / (y1 - y0) * (h - TOP - BOTTOM)

    parts = [
        f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}" {FONT} '
        f'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>',
        _text(LEFT, 15, chart.title, "chart-title"),
    ]
    for tick in y_ticks:
        y = py(tick)
        parts.append(_line(LEFT, y, w - RIGHT, y, "grid"))
        parts.append(_text(LEFT - 6, y + 4, chart.y_format(tick), "axis", "end"))
    for tick in x_ticks:
        if not x0 <= tick <= x1:
            continue
        x = px(tick)
        parts.append(_text(x, h - BOTTOM + 16, chart.x_format(tick), "axis", "middle"))
    parts.append(_text((LEFT + w - RIGHT) / 2, h - 6, chart.x_label, "axis-label", "middle"))
    middle = (TOP + h - BOTTOM) / 2
    rotate = f' transform="rotate(-90 14 {middle:.1f})"'
    parts.append(_text(14, middle, chart.y_label, "axis-label", "middle", rotate))
    for value, label in chart.hlines:
        if y0 <= value <= y1:
            y = py(value)
            parts.append(_line(LEFT, y, w - RIGHT, y, "hline"))
            parts.append(_text(w - RIGHT - 4, y - 4, label, "hline-label", "end"))
    for value, label in chart.vlines:
        x = px(value)
        parts.append(_line(x, TOP, x, h - BOTTOM, "vline"))
        parts.append(_text(x + 3, TOP + 10, label, "hline-label"))
    legend_x = LEFT + 8
    for series in chart.series:
        runs: list[list[str]] = [[]]
        for x, y in series.points:
            if y is None or not math.isfinite(y):
                runs.append([])
                continue
            runs[-1].append(f"{px(x):.1f},{py(y):.1f}")
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(run)}" {_style(f"line {series.css}")}/>')
            elif len(run) == 1:
                x, y = run[0].split(",")
                parts.append(f'<circle cx="{x}" cy="{y}" r="2" {_style(f"dot {series.css}")}/>')
        parts.append(_line(legend_x, LEGEND_Y - 4, legend_x + 18, LEGEND_Y - 4, f"line {series.css}"))
        parts.append(_text(legend_x + 22, LEGEND_Y, series.label, "legend"))
        legend_x += 30 + 6.2 * len(series.label)
    for mark in chart.marks:
        if not math.isfinite(mark.y):
            continue
        x, y = px(mark.x), py(mark.y)
        anchor = "end" if x > w * 0.7 else "start"
        dx = -8 if anchor == "end" else 8
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" {_style(mark.css)}/>')
        # Above the dot, unless that would run into the legend (a mark at the plot's top): then below it.
        label_y = y - 8 if y - 8 >= TOP + 6 else y + 17
        parts.append(_text(x + dx, label_y, mark.label, "mark-label", anchor))
    parts.append("</svg>")
    return Markup("".join(parts))
