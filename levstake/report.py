"""Text the scripts print: figures of the market and of positions, previews, the live table of `watch`. Every
number comes from `levstake.previews`; this module only formats. A preview prints the position it leads to
with the same lines `status` prints, so the two can be compared digit for digit."""

from __future__ import annotations

import click

from levstake import fmt
from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE
from levstake.previews import (
    AdjustPreview,
    ClosePreview,
    MarketFigures,
    OpenPreview,
    PositionFigures,
)
from levstake.reads import PendingChange, ProtocolInfo

# `watch` flags positions whose health is below this (1.0 is liquidation).
NEAR_LIQUIDATION = 1.002


def market_lines(info: ProtocolInfo, view: MarketFigures) -> list[str]:
    d, symbol = info.decimals, info.symbol
    return [
        f"market   supplied {fmt.amount(view.supply_assets, d, symbol)}, borrowed "
        f"{fmt.amount(view.borrow_assets, d, symbol)}, idle {fmt.amount(view.idle, d, symbol)}, "
        f"utilization {fmt.percent(view.utilization)}",
        f"rates    borrow APR {fmt.percent(view.borrow_apr)}, supply APR {fmt.percent(view.supply_apr)}, "
        f"staking APR {fmt.percent(view.staking_apr)} (the LST's reward stream)",
        f"limits   max LTV {fmt.percent(view.max_ltv, 0)}, liquidation LTV {fmt.percent(view.lltv, 0)}, "
        f"max leverage {fmt.leverage(view.max_leverage)}; 1 {info.lst_symbol} = {view.exchange_rate:.8f} "
        f"{symbol} at exit, {view.book_rate:.8f} at book value",
    ]


def position_lines(info: ProtocolInfo, position: PositionFigures | None) -> list[str]:
    """A position's figures: what `status` prints, and what a preview prints for the position it leads to."""
    if position is None:
        return ["position none"]
    d, symbol = info.decimals, info.symbol
    exit_value = (
        f"{fmt.amount(position.equity_exit, d, symbol)} if closed now"
        + (f" ({position.exit_note})" if position.exit_note else "")
        if position.equity_exit is not None
        else f"no close now ({position.exit_note})"
    )
    lines = [
        f"position collateral {fmt.amount(position.collateral, d, info.lst_symbol)} worth "
        f"{fmt.amount(position.value, d, symbol)}, debt {fmt.amount(position.debt, d, symbol)}",
        f"         equity {exit_value}, {fmt.amount(position.equity_book, d, symbol)} at book value",
        f"         leverage {fmt.leverage(position.leverage)}, LTV {fmt.percent(position.ltv, 3)}, "
        f"health {fmt.health(position.health)}",
    ]
    if position.net_apr is not None and position.leverage is not None:
        lines.append(
            f"         net APR {fmt.percent(position.net_apr)} = {position.leverage:.2f} x staking "
            f"{fmt.percent(position.staking_apr)} - {position.leverage - 1:.2f} x borrow "
            f"{fmt.percent(position.borrow_apr)}"
        )
    lines.append(f"         time to liquidation {fmt.time_left(position.time_to_liquidation)}")
    if position.liquidation_borrow_apr is not None and position.liquidation_staking_apr is not None:
        staking = position.liquidation_staking_apr
        lines.append(
            f"         liquidated within a year if the borrow APR stays above "
            f"{fmt.percent(position.liquidation_borrow_apr)}"
            + (
                f" or the staking APR below {fmt.percent(staking)}"
                if staking > 0
                else " (at the current borrow APR, only a loss of stake would do it)"
            )
        )
    return lines


def preview_lines(info: ProtocolInfo, preview: OpenPreview) -> list[str]:
    d, symbol = info.decimals, info.symbol
    whole = " (the router levers your whole position)" if preview.before is not None else ""
    lines = [
        f"preview  put in {fmt.amount(preview.assets, d, symbol)} at "
        f"{preview.target_leverage / 1e18:g}x{whole}",
        f"         adds {fmt.amount(preview.collateral_added, d, info.lst_symbol)} for "
        f"{fmt.amount(preview.mint_cost, d, symbol)}, borrows {fmt.amount(preview.borrowed, d, symbol)}",
        *position_lines(info, preview.after),
        f"         after your open: borrow APR {fmt.percent(preview.market_after.borrow_apr)} (utilization "
        f"{fmt.percent(preview.market_after.utilization)}), staking APR "
        f"{fmt.percent(preview.market_after.staking_apr)} (your stake shares the reward stream)",
        *entry_lines(info, preview),
    ]
    if not preview.fits_liquidity:
        lines.append(
            f"WARNING  the market has {fmt.amount(preview.idle, d, symbol)} idle, less than the "
            f"{fmt.amount(preview.borrowed, d, symbol)} this needs: the transaction would revert"
        )
    return lines


def entry_lines(info: ProtocolInfo, preview: OpenPreview) -> list[str]:
    d, symbol, entry = info.decimals, info.symbol, preview.entry
    back = (
        f"it comes back as the stream unlocks, within "
        f"{fmt.duration(entry.premium_back_at - preview.state_after.timestamp)}"
        if entry.premium_back_at is not None
        else "no stream is running"
    )
    earned = (
        "never at current rates" if entry.break_even is None else f"in about {fmt.duration(entry.break_even)}"
    )
    lines = [
        f"entry    costs {fmt.amount(entry.cost, d, symbol)} at once ({fmt.percent(entry.fraction)} of what "
        f"you put in): a close right after pays {fmt.amount(entry.exit_value_after, d, symbol)}",
        f"         stream premium {fmt.amount(entry.stream_premium, d, symbol)} (new LST pays the book value "
        f"of the rewards still streaming; {back}), closing fee {fmt.amount(entry.close_fee, d, symbol)}",
        f"         earned back {earned} at this net APR; no fee to open",
    ]
    if entry.refund:
        lines.append(f"         {fmt.amount(entry.refund, d, symbol)} is not needed and comes back to you")
    return lines


def adjust_lines(info: ProtocolInfo, preview: AdjustPreview, asked: float) -> list[str]:
    d, symbol = info.decimals, info.symbol
    reached = (
        f"{fmt.leverage(preview.after.leverage)} (the buffer's limit)" if preview.partial else f"{asked:g}x"
    )
    move = (
        f"unstakes {fmt.amount(preview.unstaked, d, info.lst_symbol)} instantly and repays"
        if preview.unstaked
        else f"borrows {fmt.amount(preview.borrowed, d, symbol)} and stakes it"
    )
    lines = [f"adjust   {fmt.leverage(preview.before.leverage)} -> {reached}: {move}"]
    if preview.refund:
        lines.append(
            f"         {fmt.amount(preview.refund, d, symbol)} left after the debt comes back to you"
        )
    return lines + position_lines(info, preview.after)


def close_lines(info: ProtocolInfo, preview: ClosePreview, asked: int, unbonding_delay: int) -> list[str]:
    d = info.decimals
    if preview.mode == CLOSE_TO_QUEUE:
        return [
            f"close    repays the debt from the LST's buffer and queues "
            f"{fmt.amount(preview.queued, d, info.symbol)} for you: claim it in about "
            f"{fmt.duration(unbonding_delay)}"
        ]
    if preview.mode == CLOSE_TO_LST:
        note = "" if asked == CLOSE_TO_LST else " (the LST's buffer cannot redeem the whole collateral)"
        if asked == CLOSE_TO_QUEUE:
            note = " (too little left to queue)"
        return [f"close    you receive about {fmt.amount(preview.lst_out, d, info.lst_symbol)}{note}"]
    return [f"close    you receive about {fmt.amount(preview.x_out, d, info.symbol)}"]


def pending_lines(changes: tuple[PendingChange, ...], now: int) -> list[str]:
    """One line per LST parameter change its owner announced: the new value and when anybody can apply it."""
    lines = []
    for change in changes:
        when = "can apply now" if change.eta <= now else f"applies in {fmt.duration(change.eta - now)}"
        lines.append(
            click.style(
                f"pending  LST {change.name} {change.current} -> {change.value}: announced by the owner, "
                f"{when}",
                fg="yellow",
            )
        )
    return lines


def watch_table(
    info: ProtocolInfo,
    block: int,
    market: MarketFigures,
    pending: list[str],
    positions: list[tuple[str, PositionFigures]],
) -> list[str]:
    """One refresh of `watch`: market rates and every position, near-liquidation rows highlighted."""
    lines = [click.style(f"block {block}", bold=True), *market_lines(info, market), *pending, ""]
    lines.append(
        f"{'account':<44} {'equity at exit':>18} {'leverage':>11} {'health':>9}  time to liquidation"
    )
    d, symbol = info.decimals, info.symbol
    for user, position in positions:
        exit_value = "-" if position.equity_exit is None else fmt.amount(position.equity_exit, d, symbol, 2)
        row = (
            f"{user:<44} {exit_value:>18} {fmt.leverage(position.leverage):>11} "
            f"{fmt.health(position.health):>9}  {fmt.time_left(position.time_to_liquidation)}"
        )
        if position.health < NEAR_LIQUIDATION:
            row = click.style(row + "  <- near liquidation", fg="red", bold=True)
        lines.append(row)
    if not positions:
        lines.append("(no open positions)")
    return lines
