"""Text the scripts print: previews, market and position summaries, the live table of `watch`."""

from __future__ import annotations

import click

from levstake import fmt
from levstake.client import MarketView, PositionView, Preview, Protocol, health_ratio

# `watch` flags positions whose health is below this (1.0 is liquidation).
NEAR_LIQUIDATION = 1.002


def market_lines(protocol: Protocol, view: MarketView) -> list[str]:
    d, symbol = protocol.decimals, protocol.symbol
    return [
        f"market   supplied {fmt.amount(view.supply_assets, d, symbol)}, borrowed "
        f"{fmt.amount(view.borrow_assets, d, symbol)}, idle {fmt.amount(view.idle, d, symbol)}, "
        f"utilization {fmt.percent(view.utilization)}",
        f"rates    borrow APR {fmt.percent(view.borrow_apr)}, supply APR {fmt.percent(view.supply_apr)}, "
        f"staking APR {fmt.percent(view.staking_apr)} (measured from the LST's reward stream)",
        f"limits   max LTV {fmt.percent(view.max_ltv, 0)}, liquidation LTV {fmt.percent(view.lltv, 0)}, "
        f"max leverage {fmt.leverage(view.max_leverage)}; 1 stX = {view.exchange_rate:.8f} {symbol}",
    ]


def position_lines(protocol: Protocol, position: PositionView, market: MarketView) -> list[str]:
    d, symbol = protocol.decimals, protocol.symbol
    if position.collateral == 0:
        return ["position none"]
    return [
        f"position collateral {fmt.amount(position.collateral, d, 'stX')} worth "
        f"{fmt.amount(position.value, d, symbol)}, debt {fmt.amount(position.debt, d, symbol)}, "
        f"equity {fmt.amount(position.equity, d, symbol)}",
        f"         leverage {fmt.leverage(position.leverage)}, LTV {fmt.percent(position.ltv / 1e18, 3)}, "
        f"health {fmt.health(position.health_ratio)}, net APR {fmt.percent(position.net_apr(market))}, "
        f"time to liquidation {fmt.time_left(position.time_to_liquidation(market))}",
    ]


def preview_lines(protocol: Protocol, preview: Preview) -> list[str]:
    d, symbol = protocol.decimals, protocol.symbol
    opened = preview.open
    lines = [
        f"preview  put in {fmt.amount(preview.assets, d, symbol)} at {preview.target_leverage / 1e18:g}x",
        f"         collateral {fmt.amount(opened.collateral_added, d, 'stX')} worth "
        f"{fmt.amount(preview.value, d, symbol)}, debt {fmt.amount(opened.debt, d, symbol)} "
        f"(borrowed {fmt.amount(opened.borrowed, d, symbol)})",
        f"         leverage {fmt.leverage(opened.leverage)}, LTV {fmt.percent(preview.ltv, 3)}, "
        f"health {fmt.health(health_ratio(opened.health, opened.debt))}",
        f"         net APR {fmt.percent(preview.net_apr)} = {opened.leverage:.2f} x staking "
        f"{fmt.percent(preview.staking_apr)} - {opened.leverage - 1:.2f} x borrow "
        f"{fmt.percent(preview.borrow_apr_after)} (after your borrow)",
        f"         time to liquidation {fmt.time_left(preview.time_to_liquidation)}",
        f"fees     none to open; closing now would unstake instantly for about "
        f"{fmt.amount(preview.close_fee, d, symbol)} ({protocol.lst.instant_fee_bps() / 100:g}% while the "
        f"LST's buffer is at its target, up to {protocol.lst.max_instant_fee_bps() / 100:g}% as it empties)",
    ]
    if not preview.fits_liquidity:
        lines.append(
            f"WARNING  the market has {fmt.amount(preview.idle, d, symbol)} idle, less than the "
            f"{fmt.amount(opened.borrowed, d, symbol)} this needs: the transaction would revert"
        )
    return lines


def pending_lines(protocol: Protocol) -> list[str]:
    """One line per LST parameter change its owner announced: the new value and when anybody can apply it."""
    now = protocol.now()
    lines = []
    for change in protocol.pending_changes():
        when = "can apply now" if change.eta <= now else f"applies in {fmt.duration(change.eta - now)}"
        lines.append(
            click.style(
                f"pending  LST {change.name} {change.current} -> {change.value}: announced by the owner, "
                f"{when}",
                fg="yellow",
            )
        )
    return lines


def watch_table(protocol: Protocol, block: int) -> list[str]:
    """One refresh of `watch`: market rates and every position, near-liquidation rows highlighted."""
    view = protocol.market_view()
    lines = [
        click.style(f"block {block}", bold=True),
        *market_lines(protocol, view),
        *pending_lines(protocol),
        "",
    ]
    lines.append(f"{'account':<44} {'equity':>16} {'leverage':>9} {'health':>9}  time to liquidation")
    d, symbol = protocol.decimals, protocol.symbol
    shown = 0
    for user in protocol.borrowers():
        position = protocol.position(user)
        if position.collateral == 0:
            continue
        shown += 1
        health = position.health_ratio
        row = (
            f"{user:<44} {fmt.amount(position.equity, d, symbol, 2):>16} "
            f"{fmt.leverage(position.leverage):>9} {fmt.health(health):>9}  "
            f"{fmt.time_left(position.time_to_liquidation(view))}"
        )
        if health < NEAR_LIQUIDATION:
            row = click.style(row + "  <- near liquidation", fg="red", bold=True)
        lines.append(row)
    if shown == 0:
        lines.append("(no open positions)")
    return lines
