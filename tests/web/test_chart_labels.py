"""Chart labels never overlap the legend: a mark at the top of the plot (an equity chart's first point is
often its highest) is labelled below its dot, any other mark above it."""

import re

from levstake.web.charts import LEGEND_Y, TOP, Chart, Mark, Series, render


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
