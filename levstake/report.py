"""Text and JSON the scripts print: figures of the market, of positions and of what an account holds,
previews, the live table of `watch`. Every number comes from `levstake.previews`; this module only formats.
A preview prints the position it leads to with the same lines `status` prints, so the two can be compared
digit for digit. JSON amounts are base-unit integer strings with their exact decimal (`amount_json`)."""

from __future__ import annotations

import math
import time
from typing import Any

import click

from levstake import fmt
from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE
from levstake.previews import (
    AdjustPreview,
    ClosePreview,
    EntryCost,
    LenderFigures,
    MarketFigures,
    OpenPreview,
    PositionFigures,
    RepayPreview,
    Risk,
    UnstakePreview,
    WalletFigures,
    entry_base,
)
from levstake.reads import PendingChange, ProtocolInfo, RequestView

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
        f"preview  put in {_exact(info, preview.assets, symbol)} at "
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


def closes_after(entry: EntryCost, decimals: int, symbol: str) -> str:
    """What a close right after the open pays and, when it differs, what it pays once a rebalance has
    delegated the buffer's excess, each with its reason."""
    after = entry.exit_value_after
    text = "no close can run right after" if after is None else (
        f"a close right after pays {fmt.amount(after, decimals, symbol)}"
    )
    if entry.exit_note_after:
        text += f" ({entry.exit_note_after})"
    reason = entry.rebalanced_reason
    if reason is None:
        return text
    if entry.exit_value_rebalanced is None:
        return f"{text}; once a rebalance delegates the buffer's excess no close can run ({reason})"
    amount = fmt.amount(entry.exit_value_rebalanced, decimals, symbol)
    return f"{text}, {amount} once a rebalance delegates the buffer's excess ({reason})"


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
    if entry.cost is None or entry.fraction is None:
        # Without a close to price it, the cost at once is not known: not shown as 0.
        cost = f"entry    cost at once not known: {closes_after(entry, d, symbol)}"
        earned = "not known"
    else:
        cost = (
            f"entry    costs {fmt.amount(entry.cost, d, symbol)} at once ({fmt.percent(entry.fraction)} of "
            f"{entry_base(entry)}): {closes_after(entry, d, symbol)}"
        )
    lines = [
        cost,
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


# ---------------------------------------------------------------- holdings


def _exact(info: ProtocolInfo, units: int, symbol: str) -> str:
    return f"{fmt.exact(units, info.decimals)} {symbol}"


def wallet_lines(info: ProtocolInfo, user: str, wallet: WalletFigures) -> list[str]:
    """The account's wallet, exact (what a user copies into `--amount`)."""
    worth = (
        f" (worth {_exact(info, wallet.lst_worth, info.symbol)} at exit)"
        if wallet.lst and wallet.lst_worth
        else ""
    )
    native = "" if not info.native else f"{fmt.exact(wallet.native, 18)} native, "
    return [
        f"wallet   {user}: {native}{_exact(info, wallet.x, info.symbol)}, "
        f"{_exact(info, wallet.lst, info.lst_symbol)}{worth}"
    ]


def lender_lines(info: ProtocolInfo, lender: LenderFigures | None) -> list[str]:
    if lender is None:
        return ["lending  none"]
    line = (
        f"lending  {_exact(info, lender.value, info.symbol)} supplied at supply APR "
        f"{fmt.percent(lender.supply_apr)}"
    )
    if lender.withdrawable < lender.value:
        line += (
            f"; {_exact(info, lender.withdrawable, info.symbol)} can be withdrawn now (the rest is lent out)"
        )
    return [line]


def request_lines(
    info: ProtocolInfo, requests: list[RequestView], now: int, user: str | None = None
) -> list[str]:
    """Queued unstakes: what each pays and when; claimed ones are left out unless none is open."""
    open_requests = [request for request in requests if not request.claimed]
    if not open_requests:
        claimed = len(requests)
        return [f"requests none open{f' ({claimed} claimed)' if claimed else ''}"]
    lines = []
    for request in open_requests:
        if request.due and request.funded:
            when = "funded: claim it now"
        elif request.due:
            when = "due: claim it now (the claim funds it when the buffer can)"
        else:
            aside = ", its X set aside" if request.funded else ""
            when = f"due in {fmt.duration(request.ready_at - now)} ({_utc(request.ready_at)}{aside})"
        to = "" if user is None or request.receiver.lower() == user.lower() else f" to {request.receiver}"
        lines.append(f"request  {request.request_id}: {_exact(info, request.value, info.symbol)}{to}, {when}")
    return lines


def _utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))


def unstake_lines(info: ProtocolInfo, preview: UnstakePreview, now: int) -> list[str]:
    shares = _exact(info, preview.shares, info.lst_symbol)
    if preview.queued:
        assert preview.ready_at is not None
        return [
            f"unstake  {shares} queued: {_exact(info, preview.x_out, info.symbol)}, no fee, claimable in "
            f"{fmt.duration(preview.ready_at - now)} ({_utc(preview.ready_at)})"
        ]
    return [
        f"unstake  {shares} now: you receive {_exact(info, preview.x_out, info.symbol)} "
        f"(worth {_exact(info, preview.gross, info.symbol)}, instant fee "
        f"{_exact(info, preview.fee, info.symbol)}, which stays with the stakers)"
    ]


def repay_lines(info: ProtocolInfo, preview: RepayPreview) -> list[str]:
    symbol = info.symbol
    if preview.full:
        lines = [
            f"repay    all the debt, about {_exact(info, preview.repaid, symbol)} from your wallet (a few "
            f"seconds of interest more once it lands), then "
            f"{_exact(info, preview.collateral_out, info.lst_symbol)} of collateral back to your wallet"
        ]
        return lines + ["position none after it"]
    return [
        f"repay    {_exact(info, preview.repaid, symbol)} of the debt from your wallet",
        *position_lines(info, preview.after),
    ]


# ---------------------------------------------------------------- JSON (schema in the README)


def amount_json(units: int, decimals: int) -> dict[str, str]:
    """An amount that loses nothing: base units as an integer string and the exact decimal string."""
    return {"units": str(units), "decimal": fmt.exact(units, decimals)}


def _maybe_amount(units: int | None, decimals: int) -> dict[str, str] | None:
    """`amount_json`, or None for a figure that is not known (no close can run to price it)."""
    return None if units is None else amount_json(units, decimals)


def _number(value: float | None) -> float | None:
    """Floats for rates and ratios; JSON has no infinity: null (health without debt, time never reached)."""
    return None if value is None or not math.isfinite(value) else value


def tokens_json(info: ProtocolInfo) -> dict[str, Any]:
    contracts = info.contracts
    return {
        "chain_id": info.chain_id,
        "x": {"symbol": info.symbol, "decimals": info.decimals, "address": contracts["x"]},
        "lst": {"symbol": info.lst_symbol, "decimals": info.decimals, "address": contracts["lst"]},
        "market": contracts["market"],
        "router": contracts["router"],
    }


def market_json(info: ProtocolInfo, view: MarketFigures) -> dict[str, Any]:
    d = info.decimals
    return {
        "supplied": amount_json(view.supply_assets, d),
        "borrowed": amount_json(view.borrow_assets, d),
        "idle": amount_json(view.idle, d),
        "utilization": view.utilization,
        "borrow_apr": view.borrow_apr,
        "supply_apr": view.supply_apr,
        "staking_apr": view.staking_apr,
        "max_ltv": view.max_ltv,
        "liquidation_ltv": view.lltv,
        "max_leverage": view.max_leverage,
        "lst_exit_rate": view.exchange_rate,
        "lst_book_rate": view.book_rate,
        "lst_buffer": amount_json(view.lst_buffer, d),
        "instant_room": amount_json(view.instant_room, d),
    }


def position_json(info: ProtocolInfo, position: PositionFigures | None) -> dict[str, Any] | None:
    if position is None:
        return None
    d = info.decimals
    return {
        "collateral": amount_json(position.collateral, d),
        "borrow_shares": str(position.borrow_shares),
        "value": amount_json(position.value, d),
        "debt": amount_json(position.debt, d),
        "equity": amount_json(position.equity, d),
        "equity_book": amount_json(position.equity_book, d),
        "equity_exit": None if position.equity_exit is None else amount_json(position.equity_exit, d),
        "exit_note": position.exit_note,
        "leverage": _number(position.leverage),
        "ltv": position.ltv,
        "health": _number(position.health),
        "staking_apr": position.staking_apr,
        "borrow_apr": position.borrow_apr,
        "net_apr": _number(position.net_apr),
        "time_to_liquidation": _number(position.time_to_liquidation),
        "liquidation_borrow_apr": _number(position.liquidation_borrow_apr),
        "liquidation_staking_apr": _number(position.liquidation_staking_apr),
        "close_fee": amount_json(position.close_fee, d),
    }


def pending_json(changes: tuple[PendingChange, ...]) -> list[dict[str, Any]]:
    return [
        {"parameter": change.name, "current": change.current, "value": change.value, "eta": change.eta}
        for change in changes
    ]


def requests_json(info: ProtocolInfo, requests: list[RequestView]) -> list[dict[str, Any]]:
    return [
        {
            "id": request.request_id,
            "owner": request.owner,
            "receiver": request.receiver,
            "value": amount_json(request.value, info.decimals),
            "ready_at": request.ready_at,
            "funded": request.funded,
            "due": request.due,
            "claimed": request.claimed,
        }
        for request in requests
    ]


def snapshot_json(info: ProtocolInfo, block: int, timestamp: int) -> dict[str, Any]:
    return {"block": block, "timestamp": timestamp, **tokens_json(info)}


def status_json(
    info: ProtocolInfo,
    snapshot_block: int,
    timestamp: int,
    market: MarketFigures,
    pending: tuple[PendingChange, ...],
    user: str | None,
    wallet: WalletFigures | None,
    lender: LenderFigures | None,
    position: PositionFigures | None,
    requests: list[RequestView] | None,
) -> dict[str, Any]:
    d = info.decimals
    account = None
    if user is not None and wallet is not None:
        account = {
            "address": user,
            "native": amount_json(wallet.native, 18),
            "x": amount_json(wallet.x, d),
            "lst": amount_json(wallet.lst, d),
            "lst_worth": amount_json(wallet.lst_worth, d),
            "lender": None
            if lender is None
            else {
                "shares": str(lender.shares),
                "value": amount_json(lender.value, d),
                "withdrawable": amount_json(lender.withdrawable, d),
                "supply_apr": lender.supply_apr,
            },
            "position": position_json(info, position),
            "requests": requests_json(info, requests or []),
        }
    return {
        "kind": "status",
        **snapshot_json(info, snapshot_block, timestamp),
        "market": market_json(info, market),
        "pending": pending_json(pending),
        "account": account,
    }


def open_preview_json(info: ProtocolInfo, preview: OpenPreview, risks: list[Risk]) -> dict[str, Any]:
    d, entry = info.decimals, preview.entry
    return {
        "put_in": amount_json(preview.assets, d),
        "target_leverage": preview.target_leverage / 1e18,
        "collateral_added": amount_json(preview.collateral_added, d),
        "mint_cost": amount_json(preview.mint_cost, d),
        "borrowed": amount_json(preview.borrowed, d),
        "idle": amount_json(preview.idle, d),
        "fits_liquidity": preview.fits_liquidity,
        "before": position_json(info, preview.before),
        "after": position_json(info, preview.after),
        "market_after": market_json(info, preview.market_after),
        "entry": {
            "cost": _maybe_amount(entry.cost, d),
            "fraction": entry.fraction,
            "exit_value_after": _maybe_amount(entry.exit_value_after, d),
            "exit_note_after": entry.exit_note_after,
            "exit_value_rebalanced": _maybe_amount(entry.exit_value_rebalanced, d),
            "exit_note_rebalanced": entry.exit_note_rebalanced,
            "refund": amount_json(entry.refund, d),
            "stream_premium": amount_json(entry.stream_premium, d),
            "premium_back_at": entry.premium_back_at,
            "close_fee": amount_json(entry.close_fee, d),
            "break_even": _number(entry.break_even),
        },
        "risks": [{"kind": risk.kind, "reason": risk.reason} for risk in risks],
    }
