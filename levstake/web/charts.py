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
    "mark today": 'fill="#1d4ed8" stroke="#ffffff" stroke-width="1.5"',
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


# A label's box before a browser lays it out, from DejaVu Sans (Debian's system-ui, wider than most): bold
# characters ~0.62 em wide, regular ~0.47 em, the box ~0.96 em above the baseline and ~0.26 em below; rounded
# up so a narrower font only leaves more room.
BOLD_EM, REGULAR_EM, ASCENT_EM, DESCENT_EM = 0.66, 0.52, 1.0, 0.3
MARK_FONT = 11.5
Box = tuple[float, float, float, float]  # left, top, right, bottom
Segment = tuple[float, float, float, float]  # x1, y1, x2, y2


def text_box(x: float, y: float, text: str, size: float, anchor: str = "start", bold: bool = False) -> Box:
    """The box a label drawn at (x, y) (baseline) covers, estimated conservatively."""
    width = len(text) * size * (BOLD_EM if bold else REGULAR_EM)
    left = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
    return (left, y - size * ASCENT_EM, left + width, y + size * DESCENT_EM)


def boxes_overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def crosses(segment: Segment, box: Box) -> bool:
    """Whether the segment passes through the box (Liang-Barsky clipping)."""
    x1, y1, x2, y2 = segment
    dx, dy = x2 - x1, y2 - y1
    low, high = 0.0, 1.0
    for p, q in ((-dx, x1 - box[0]), (dx, box[2] - x1), (-dy, y1 - box[1]), (dy, box[3] - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return False
    return True


def place_label(
    x: float, y: float, text: str, area: Box, segments: Sequence[Segment], taken: Sequence[Box]
) -> tuple[float, float, str, Box]:
    """Where a mark's label goes: the nearest spot around its dot (above first, toward the plot's middle
    first) whose box stays inside `area` and is crossed by no line and overlaps no other text or dot. Where
    none is free, the spot with the fewest conflicts."""
    toward = "start" if x < (area[0] + area[2]) / 2 else "end"
    away = "end" if toward == "start" else "start"
    side = {"start": 8, "end": -8}
    best: tuple[int, float, float, str, Box] | None = None
    for gap in (8, 14, 22, 32, 44, 58, 74):
        above, below, beside = y - gap, y + gap + MARK_FONT * 0.75, y + MARK_FONT * 0.35
        spots = [
            (toward, above, side[toward]), (away, above, side[away]),
            (toward, below, side[toward]), (away, below, side[away]),
            (toward, beside, side[toward] * gap / 8), (away, beside, side[away] * gap / 8),
            ("middle", above, 0), ("middle", below, 0),
        ]  # fmt: skip
        for anchor, label_y, dx in spots:
            box = text_box(x + dx, label_y, text, MARK_FONT, anchor, bold=True)
            if not (area[0] <= box[0] and box[2] <= area[2] and area[1] <= box[1] and box[3] <= area[3]):
                continue
            conflicts = sum(crosses(s, box) for s in segments) + sum(boxes_overlap(box, t) for t in taken)
            if conflicts == 0:
                return x + dx, label_y, anchor, box
            if best is None or conflicts < best[0]:
                best = (conflicts, x + dx, label_y, anchor, box)
    if best is None:  # no spot inside the plot at all (a chart far too small): beside the dot
        anchor = toward
        dx = 8 if anchor == "start" else -8
        return x + dx, y - 8, anchor, text_box(x + dx, y - 8, text, MARK_FONT, anchor, bold=True)
    return best[1], best[2], best[3], best[4]


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
    y0, y1 = y_ticks[0], y_ticks[-1]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        # One moment only (an equity picture at the open's own block): the points in the middle, one tick at
        # that moment, not a made-up axis from it to one unit later.
        x_ticks = [x0]
        x0, x1 = x0 - 1, x1 + 1
    else:
        x_ticks = nice_ticks(x0, x1)
    if y1 == y0:
        y1 = y0 + 1

    def px(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * (w - LEFT - RIGHT)

    def py(y: float) -> float:
        y = min(max(y, y0), y1)
        return h - BOTTOM - (y - y0) / (y1 - y0) * (h - TOP - BOTTOM)

    # What a mark's label must keep clear of: every line drawn over the plot, and every other text and dot.
    segments: list[Segment] = []
    taken: list[Box] = [text_box(LEFT, 15, chart.title, 13, bold=True)]
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
            segments.append((LEFT, y, w - RIGHT, y))
            taken.append(text_box(w - RIGHT - 4, y - 4, label, 11, "end"))
    for value, label in chart.vlines:
        x = px(value)
        parts.append(_line(x, TOP, x, h - BOTTOM, "vline"))
        parts.append(_text(x + 3, TOP + 10, label, "hline-label"))
        segments.append((x, TOP, x, h - BOTTOM))
        taken.append(text_box(x + 3, TOP + 10, label, 11))
    legend_x = LEFT + 8
    for series in chart.series:
        runs: list[list[tuple[float, float]]] = [[]]
        for x, y in series.points:
            if y is None or not math.isfinite(y):
                runs.append([])
                continue
            runs[-1].append((px(x), py(y)))
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{points}" {_style(f"line {series.css}")}/>')
                segments += [(a[0], a[1], b[0], b[1]) for a, b in zip(run, run[1:], strict=False)]
            elif len(run) == 1:
                x, y = run[0]
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" {_style(f"dot {series.css}")}/>')
                taken.append((x - 2, y - 2, x + 2, y + 2))
        parts.append(_line(legend_x, LEGEND_Y - 4, legend_x + 18, LEGEND_Y - 4, f"line {series.css}"))
        parts.append(_text(legend_x + 22, LEGEND_Y, series.label, "legend"))
        taken.append((legend_x, LEGEND_Y - 11 * ASCENT_EM, legend_x + 22, LEGEND_Y))
        taken.append(text_box(legend_x + 22, LEGEND_Y, series.label, 11))
        legend_x += 30 + 6.2 * len(series.label)
    marks = [(mark, px(mark.x), py(mark.y)) for mark in chart.marks if math.isfinite(mark.y)]
    taken += [(x - 4.5, y - 4.5, x + 4.5, y + 4.5) for _, x, y in marks]
    area = (LEFT + 2, LEGEND_Y + 4, w - 4, h - BOTTOM - 2)
    labels = []
    for mark, x, y in marks:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" {_style(mark.css)}/>')
        label_x, label_y, anchor, box = place_label(x, y, mark.label, area, segments, taken)
        taken.append(box)
        labels.append(_text(label_x, label_y, mark.label, "mark-label", anchor))
    parts += labels
    parts.append("</svg>")
    return Markup("".join(parts))
