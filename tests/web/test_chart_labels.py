"""Chart labels never overlap the legend: a mark at the top of the plot (an equity chart's first point is
often its highest) is labelled below its dot, any other mark above it where no line runs; and no line
crosses a mark's label."""

import math
import re
from types import SimpleNamespace

from levstake import fmt
from levstake.projections import AprPoint
from levstake.web.chain import EquityPoint
from levstake.web.charts import LEFT, LEGEND_Y, TOP, Chart, Mark, Series, render
from levstake.web.views import DAY, apr_chart, equity_chart, health_chart


def label_y(svg: str, label: str) -> float:
    found = re.search(r'<text x="[\d.]+" y="([\d.]+)"[^>]*>' + re.escape(label) + "</text>", svg)
    assert found, f"no label {label!r} in the chart"
    return float(found.group(1))


def dot_y(svg: str) -> float:
    return float(re.search(r'<circle cx="[\d.]+" cy="([\d.]+)" r="4.5"', svg).group(1))


def chart(mark_y: float) -> str:
    return str(
        render(
            Chart(
                title="Equity",
                x_label="minutes",
                y_label="X",
                series=[Series("at exit value", "today", [(0, 9.0), (1, 10.0), (2, 9.5)])],
                x_format=str,
                y_format=str,
                marks=[Mark(0.0, mark_y, "opened")],
            )
        )
    )


def test_a_mark_at_the_top_is_labelled_below_its_dot_clear_of_the_legend() -> None:
    svg = chart(10.0)
    assert dot_y(svg) == TOP
    assert label_y(svg, "opened") > dot_y(svg) > LEGEND_Y + 6


def test_a_mark_lower_down_is_labelled_above_its_dot() -> None:
    svg = chart(9.25)
    assert TOP < label_y(svg, "opened") < dot_y(svg)


Quad = tuple[float, float, float, float]


# A bold 11.5 px label as Chromium lays it out here (DejaVu Sans, measured): 7.2 px a character, 11.5 px above
# the baseline and 3.2 px below.
def drawn_label_box(svg: str, label: str) -> Quad:
    found = re.search(
        r'<text x="([\d.]+)" y="([\d.]+)" text-anchor="(\w+)"[^>]*>' + re.escape(label) + "</text>", svg
    )
    assert found, f"no label {label!r} in the chart"
    x, y, anchor = float(found.group(1)), float(found.group(2)), found.group(3)
    width = 7.2 * len(label)
    left = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
    return left, y - 11.5, left + width, y + 3.2


def drawn_lines(svg: str) -> list[Quad]:
    """Each segment of the series' polylines and of the dashed lines across the plot (not the grid's)."""
    segments = []
    for points in re.findall(r'<polyline points="([^"]+)"', svg):
        pairs = [tuple(map(float, point.split(","))) for point in points.split()]
        segments += [(*a, *b) for a, b in zip(pairs, pairs[1:], strict=False)]
    for x1, x2, y1, y2 in re.findall(
        r'<line x1="([\d.]+)" x2="([\d.]+)" y1="([\d.]+)" y2="([\d.]+)" class="[hv]line"', svg
    ):
        segments.append((float(x1), float(y1), float(x2), float(y2)))
    return segments


def crossed_by(segments: list[Quad], box: Quad) -> int:
    """How many segments pass through the box, found by walking each in 0.25 px steps."""
    left, top, right, bottom = box
    count = 0
    for x1, y1, x2, y2 in segments:
        steps = max(int(math.hypot(x2 - x1, y2 - y1) * 4), 1)
        for i in range(steps + 1):
            x, y = x1 + (x2 - x1) * i / steps, y1 + (y2 - y1) * i / steps
            if left <= x <= right and top <= y <= bottom:
                count += 1
                break
    return count


def test_the_you_label_on_the_net_apr_chart_is_crossed_by_no_line() -> None:
    """The open preview at 50x: "you" sits at the right end of the curve after the open, a little under the
    one at today's rates, both rising to the right; the label goes where neither line runs."""
    staking, borrow, after_borrow = 0.0618, 0.0052, 0.0060
    curve = [
        AprPoint(lev, lev * staking - (lev - 1) * borrow, lev * staking - (lev - 1) * after_borrow)
        for lev in [1 + 49 * i / 48 for i in range(49)]
    ]
    you = curve[-1].after_own_effect
    label = f"you: 50.00x, {you * 100:.2f}%"
    svg = str(apr_chart(curve, 50.0, you))
    box = drawn_label_box(svg, label)
    assert crossed_by(drawn_lines(svg), box) == 0, (label, box)
    assert LEFT <= box[0] and box[2] <= 560 and LEGEND_Y < box[1] and box[3] <= 230 - 40, box


def test_a_mark_on_a_falling_line_is_labelled_clear_of_it_and_of_the_liquidation_line() -> None:
    """Health falling to 1 within the year: the mark sits on both the health line and the dashed line at 1."""
    path = [(day * DAY, 1.08 - 0.1 * day / 365) for day in range(0, 366, 5)]
    ttl = next(t for t, health in path if health <= 1.0)
    svg = str(health_chart(path, float(ttl)))
    label = next(text for text in re.findall(r'class="mark-label"[^>]*>([^<]+)</text>', svg))
    assert label.startswith("health 1 in")
    box = drawn_label_box(svg, label)
    assert crossed_by(drawn_lines(svg), box) == 0, (label, box)


def test_the_equity_picture_at_the_opens_own_block_labels_both_equities_on_no_made_up_axis() -> None:
    """Right after an open the picture has one block: not a lone dot at the left of a 0-to-1-minute axis but
    the two equities as labelled points, in the position card's digits (`fmt.amount`), at that block."""
    info = SimpleNamespace(decimals=18, symbol="WNAT")
    chain = SimpleNamespace(info=info)
    point = EquityPoint(31, 1_800_000_000, 9_342_512_345_678_901_234, 10 * 10**18)
    svg = str(equity_chart(chain, [point], [SimpleNamespace(block=31, kind="OPENED")], point.timestamp))
    labels = re.findall(r'class="mark-label"[^>]*>([^<]+)</text>', svg)
    assert labels == ["opened: 10.0000 WNAT at book value", "9.3425 WNAT if closed now"], labels
    assert fmt.amount(point.equity_exit, 18, "WNAT") == "9.3425 WNAT"
    ticks = re.findall(r'text-anchor="middle" class="axis"[^>]*>([^<]+)</text>', svg)
    assert ticks == ["block 31"], ticks  # one moment: no 0.2, 0.4, ... 1 minutes after it
    dots = [float(x) for x in re.findall(r'<circle cx="([\d.]+)" cy="[\d.]+" r="4.5"', svg)]
    assert len(dots) == 2 and all(abs(x - (LEFT + 560 - 16) / 2) < 1 for x in dots), dots  # in the middle
    for label in labels:
        box = drawn_label_box(svg, label)
        assert LEFT <= box[0] and box[2] <= 560 and LEGEND_Y < box[1] and box[3] <= 230 - 40, (label, box)
    first, second = (drawn_label_box(svg, label) for label in labels)
    assert first[3] <= second[1] or second[3] <= first[1]  # one above the other, not overlapping


def test_the_equity_picture_of_blocks_in_one_second_is_a_line_from_the_open_to_now() -> None:
    """The open's block and the devnet upkeep's next one share a second: on a time axis both points stood on
    one x (a lone vertical bar); drawn by block, each line runs from the open, left, to now, right."""
    chain = SimpleNamespace(info=SimpleNamespace(decimals=18, symbol="WNAT"))
    opened = EquityPoint(31, 1_800_000_000, 9_342_500_000_000_000_000, 10 * 10**18)
    now = EquityPoint(32, 1_800_000_000, 8_951_600_000_000_000_000, 10 * 10**18)
    svg = str(equity_chart(chain, [opened, now], [SimpleNamespace(block=31, kind="OPENED")], now.timestamp))
    lines = re.findall(r'<polyline points="([^"]+)"', svg)
    assert len(lines) == 2, svg  # at exit value, at book value
    for points in lines:
        xs = [float(pair.split(",")[0]) for pair in points.split()]
        assert xs == [LEFT, 560 - 16], xs
    assert "blocks since it was opened" in svg
