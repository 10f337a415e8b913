"""
What each page shows, as Jinja2 fragments: the figures come from `levstake.previews` (and the reads), the
words and number formats from `levstake.fmt` (the CLI's), so the page and `status` print the same digits.
`Renderer.fragments(topic, block)` gives the live parts of a page, pushed at every block.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from levstake import fmt, previews, projections
from levstake.history import profit_since_open, since_last_close
from levstake.model import WAD
from levstake.rpc import Block
from levstake.web import charts
from levstake.web.actions import close_options
from levstake.web.chain import Chain
from levstake.web.hub import Topic

HERE = Path(__file__).parent
PAGES = ("market", "open", "position", "lend", "risk")
DAY = 86_400


def environment(chain: Chain, native_symbol: str | None = None) -> Environment:
    """`native_symbol`: the chain's coin (ETH); None where it is not known (the page says "native coin")."""
    info = chain.info
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    d = info.decimals
    env.filters.update(
        x=lambda value, places=4: "-" if value is None else fmt.amount(value, d, info.symbol, places),
        # The chain's own coin has 18 decimals whatever X has, and its own name: not X's (X may wrap it).
        native=lambda value, places=4: "-" if value is None else fmt.amount(
            value, 18, native_symbol or "", places
        ) + ("" if native_symbol else " native coin"),
        lst=lambda value, places=4: "-" if value is None else fmt.amount(value, d, info.lst_symbol, places),
        pct=lambda value, places=2: "-" if value is None else fmt.percent(value, places),
        pct0=lambda wad: fmt.percent(wad / WAD, 0),
        lev=fmt.leverage,
        health=fmt.health,
        ttl=fmt.time_left,
        duration=fmt.duration,
        ago=fmt.ago,
        # A gain in green, a loss in red, and an amount that rounds to 0 (a few wei either way) in neither.
        tone=lambda value: "" if value is None or fmt.amount(value, d).strip("0.,") == "" else (
            "danger" if value < 0 else "good"
        ),
        short=lambda address: f"{address[:6]}…{address[-4:]}",
        utc=lambda seconds: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds)),
    )
    # What an entry cost is a fraction of, in the CLI's words (adding to a position: its exit value too).
    env.globals.update(
        info=info, contracts=info.contracts, native_symbol=native_symbol, entry_base=previews.entry_base
    )
    return env


def _days(seconds: float) -> str:
    return f"{seconds / DAY:g} d"


def apr_chart(curve: list[projections.AprPoint], leverage: float, net_apr: float | None) -> Markup:
    marks = []
    if net_apr is not None:
        marks.append(charts.Mark(leverage, net_apr * 100, f"you: {leverage:.2f}x, {net_apr * 100:.2f}%"))
    return charts.render(
        charts.Chart(
            title="Net APR against leverage",
            x_label="leverage",
            y_label="net APR",
            series=[
                charts.Series(
                    "at today's rates", "today", [(p.leverage, p.at_current_rates * 100) for p in curve]
                ),
                charts.Series(
                    "after your open moves them",
                    "after",
                    [
                        (p.leverage, None if p.after_own_effect is None else p.after_own_effect * 100)
                        for p in curve
                    ],
                ),
            ],
            x_format=lambda value: f"{value:g}x",
            y_format=lambda value: f"{value:g}%",
            marks=marks,
            hlines=[(0.0, "0%")],
        )
    )


def health_chart(path: list[tuple[float, float]], ttl: float | None) -> Markup:
    finite = [(t / DAY, h) for t, h in path if math.isfinite(h)]
    if not finite:
        return Markup('<p class="muted">No debt: health is not defined.</p>')
    marks = []
    if ttl is not None and ttl <= path[-1][0]:
        marks.append(charts.Mark(ttl / DAY, 1.0, f"health 1 in {fmt.duration(ttl)}", "mark danger"))
    return charts.render(
        charts.Chart(
            title="Health over the next year at today's rates",
            x_label="days from now",
            y_label="health",
            series=[charts.Series("health", "health", finite)],
            x_format=lambda value: f"{value:g}",
            y_format=lambda value: f"{value:.4g}",
            marks=marks,
            hlines=[(1.0, "liquidation at 1")],
        )
    )


def equity_chart(chain: Chain, points: list[Any], events: list[Any], now: int) -> Markup:
    unit = 10**chain.info.decimals
    if not points:
        empty = charts.Chart("Equity since the position was opened", "", "", [], str, str)
        return charts.render(empty)
    if len(points) == 1:
        return _equity_at_one_block(chain, points[0], events)
    start, first = points[0].timestamp, points[0].block
    span = now - start
    if span < 120:
        # Blocks seconds apart (a devnet mines the upkeep's block in the open's second): on a time axis the
        # points would stand on one x, a lone vertical bar; by block the lines run from the open to now.
        def x_of(p: Any) -> float:
            return float(p.block - first)

        label = "blocks"

        def x_format(value: float) -> str:
            return f"{value:g}" if value == int(value) else ""
    else:
        scale, label = (
            (DAY, "days") if span >= 2 * DAY else (3600, "hours") if span >= 2 * 3600 else (60, "minutes")
        )

        def x_of(p: Any) -> float:
            return (p.timestamp - start) / scale

        def x_format(value: float) -> str:
            return f"{value:g}"

    series = [
        charts.Series(
            "at exit value",
            "today",
            [(x_of(p), None if p.equity_exit is None else p.equity_exit / unit) for p in points],
        ),
        charts.Series("at book value", "after", [(x_of(p), p.equity_book / unit) for p in points]),
    ]
    by_block = {p.block: p for p in points}
    marks = [
        charts.Mark(x_of(by_block[e.block]), by_block[e.block].equity_book / unit, e.kind.lower())
        for e in events
        if e.block in by_block
    ]
    return charts.render(
        charts.Chart(
            title=f"Equity since the position was opened ({chain.info.symbol})",
            x_label=f"{label} since it was opened",
            y_label=chain.info.symbol,
            series=series,
            x_format=x_format,
            y_format=lambda value: f"{value:.6g}",
            marks=marks,
        )
    )


def _equity_at_one_block(chain: Chain, point: Any, events: list[Any]) -> Markup:
    """The picture at the open's own block (or the only block the node still keeps): no line yet, so the two
    equities as labelled points, in the figures' own words and digits (the card beside shows the same)."""
    info = chain.info
    opened = bool(events) and events[0].block == point.block
    unit = 10**info.decimals
    book = fmt.amount(point.equity_book, info.decimals, info.symbol)
    marks = [charts.Mark(0, point.equity_book / unit, f"{'opened: ' if opened else ''}{book} at book value")]
    if point.equity_exit is not None:
        exit_ = fmt.amount(point.equity_exit, info.decimals, info.symbol)
        marks.append(charts.Mark(0, point.equity_exit / unit, f"{exit_} if closed now", "mark today"))
    note = "the open's block: the lines start at the next one" if opened else "the only block the node keeps"
    return charts.render(
        charts.Chart(
            title=f"Equity since the position was opened ({info.symbol})",
            x_label=note,
            y_label=info.symbol,
            series=[
                charts.Series("at exit value", "today", []),
                charts.Series("at book value", "after", []),
            ],
            x_format=lambda _: f"block {point.block}",
            y_format=lambda value: f"{value:.6g}",
            marks=marks,
        )
    )


def preview_context(plan: Any) -> dict[str, Any]:
    """A plan's template context with its pictures drawn."""
    context = dict(plan.context)
    preview = context.get("preview")
    if "curve" in context and preview is not None:
        context["apr_chart"] = apr_chart(
            context["curve"], preview.target_leverage / WAD, preview.after.net_apr
        )
    if "health" in context and preview is not None:
        context["health_chart"] = health_chart(context["health"], preview.after.time_to_liquidation)
    return context


class Renderer:
    def __init__(self, chain: Chain, env: Environment) -> None:
        self.chain = chain
        self.env = env

    def _render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    # ------------------------------------------------------------ contexts

    def market_context(self, block: Block) -> dict[str, Any]:
        snapshot = self.chain.snapshot(None, block)
        return {
            "block": block,
            "market": previews.market_figures(self.chain.info, snapshot),
            "extra": self.chain.oracle_and_queue(block),
            "pending": [
                {"change": change, "wait": change.eta - snapshot.timestamp} for change in snapshot.pending
            ],
            "snapshot": snapshot,
        }

    def position_context(self, account: str | None, block: Block) -> dict[str, Any]:
        context: dict[str, Any] = {"block": block, "account": account}
        if account is None:
            return context
        info = self.chain.info
        snapshot = self.chain.snapshot(account, block)
        figures = previews.position_figures(info, snapshot)
        history = self.chain.history(account, block)
        context.update(
            snapshot=snapshot,
            wallet=snapshot.account,
            figures=figures,
            profit=profit_since_open(snapshot, figures, history),
            requests=self.chain.requests(account, block),
            market=previews.market_figures(info, snapshot),
            extra=self.chain.oracle_and_queue(block),
        )
        if figures is not None:
            context["close_options"] = close_options(self.chain, snapshot)
            context["equity_chart"] = Markup(self.equity_svg(account, block))
            context["health_chart"] = health_chart(
                projections.health_path(figures), figures.time_to_liquidation
            )
        return context

    def has_position(self, account: str | None, block: Block) -> bool:
        """Whether `account` has a position at `block` (the Position page offers its forms only then)."""
        if account is None:
            return False
        return previews.position_figures(self.chain.info, self.chain.snapshot(account, block)) is not None

    def risk_context(self, block: Block) -> dict[str, Any]:
        return {"block": block, "rows": self.chain.risk(block)}

    # ------------------------------------------------------------ fragments

    def fragments(self, topic: Topic, block: Block) -> dict[str, str]:
        """The live parts of `topic`'s page at `block`, by element id."""
        parts = {"live-head": self._render("_head.html", block=block)}
        account = topic.account
        if account is not None:
            snapshot = self.chain.snapshot(account, block)
            parts["live-wallet"] = self._render("_wallet.html", wallet=snapshot.account)
        if topic.page in ("market", "open"):
            parts["live-market"] = self._render("_market.html", **self.market_context(block))
        if topic.page in ("position", "lend"):
            context = self.position_context(account, block)
            parts[f"live-{topic.page}"] = self._render(f"_{topic.page}.html", **context)
        if topic.page == "risk":
            parts["live-risk"] = self._render("_risk.html", **self.risk_context(block))
        return parts

    def equity_svg(self, account: str, block: Block) -> str:
        episode = since_last_close(self.chain.history(account, block))
        if not episode:
            return str(equity_chart(self.chain, [], [], block.timestamp))
        points = self.chain.equity_series(account, block, episode[0].block)
        return str(equity_chart(self.chain, points, episode, block.timestamp))
