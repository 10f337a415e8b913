"""
Manage a leveraged staking position from an Ape account.

    ape run leverage preview --amount 10 --leverage 50 --network ethereum:local:foundry
    ape run leverage open    --amount 10 --leverage 50 --account <alias> [--native] [--yes]
    ape run leverage adjust  --leverage 20 --account <alias> [--partial]
    ape run leverage close   --account <alias> [--to-lst | --queue]
    ape run leverage status  --account <alias>
    ape run leverage watch   [--blocks N]
    ape run leverage max     [--amount A]
    ape run leverage lend | stake | wrap --amount A --account <alias>

Commands that sign show a preview and ask first unless `--yes`. `open` signs the router's market authorization
(EIP-712) and an EIP-2612 permit of X when they are missing, so a new wallet opens in one transaction. Every
command names LST parameter changes its owner has announced and when they can apply, and warns first when
`--market` names a market that is not an official one.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from ape import chain
from ape.cli import account_option

from levstake import fmt, model, report
from levstake.cli import (
    ProviderCommand,
    confirm,
    deployment_option,
    ensure_keystore,
    load_protocol,
    one_line_errors,
    send,
    trade_options,
    yes_option,
)
from levstake.client import ClientError, Protocol, min_after_slippage
from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE, CLOSE_TO_X

amount_option = click.option(
    "--amount", type=click.FloatRange(min=0, min_open=True), required=True, help="Amount of X (human units)."
)
leverage_option = click.option(
    "--leverage", type=float, default=None, help="Target leverage, e.g. 50 (default: the market's max)."
)


ensure_keystore()


@click.group()
def cli() -> None:
    """Leveraged staking on LevStake: preview, open, adjust, close, status, watch, max."""


def _echo(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


def _leverage(protocol: Protocol, leverage: float | None) -> int:
    return protocol.market.max_leverage() if leverage is None else protocol.check_leverage(leverage)


def _preview(protocol: Protocol, amount: float, leverage: float | None):
    preview = protocol.preview_open(protocol.units(amount), _leverage(protocol, leverage))
    _echo(report.preview_lines(protocol, preview))
    _echo(report.pending_lines(protocol))
    return preview


@cli.command(cls=ProviderCommand)
@amount_option
@leverage_option
@deployment_option
@one_line_errors
def preview(amount: float, leverage: float | None, deployment_path: Path | None) -> None:
    """What opening AMOUNT at LEVERAGE would give now (nothing is signed)."""
    protocol = load_protocol(deployment_path)
    _echo(report.market_lines(protocol, protocol.market_view()))
    _preview(protocol, amount, leverage)


@cli.command(name="open", cls=ProviderCommand)
@account_option()
@amount_option
@leverage_option
@click.option("--native", is_flag=True, help="Pay with the native currency (wrapped by the router).")
@trade_options
def open_(
    account: Any,
    amount: float,
    leverage: float | None,
    native: bool,
    slippage_bps: int,
    deadline_seconds: int,
    yes: bool,
    deployment_path: Path | None,
) -> None:
    """Open (or add to) a position in one transaction."""
    protocol = load_protocol(deployment_path)
    assets = protocol.units(amount)
    protocol.check_balance(account, assets, native)
    preview = _preview(protocol, amount, leverage)
    if not preview.fits_liquidity:
        raise ClientError(
            f"not enough idle liquidity for {preview.target_leverage / 1e18:g}x; "
            f"`max --amount {amount:g}` shows what fits"
        )
    confirm(yes, account)
    minimum = min_after_slippage(preview.open.collateral_added, slippage_bps)
    send(
        "open",
        lambda: protocol.open(account, assets, preview.target_leverage, minimum, native, deadline_seconds),
    )
    _status(protocol, account.address)


@cli.command(cls=ProviderCommand)
@account_option()
@click.option("--leverage", type=float, required=True, help="Target leverage, e.g. 20.")
@click.option(
    "--partial",
    is_flag=True,
    help="Going down, unstake only what the LST's buffer can take now if it cannot take the whole step.",
)
@trade_options
def adjust(
    account: Any,
    leverage: float,
    partial: bool,
    slippage_bps: int,
    deadline_seconds: int,
    yes: bool,
    deployment_path: Path | None,
) -> None:
    """Move the position to a new leverage (down costs the instant-unstake fee on what is sold)."""
    protocol = load_protocol(deployment_path)
    target = protocol.check_leverage(leverage)
    estimate = protocol.preview_adjust(account.address, target, partial)
    position, view = estimate.before, protocol.market_view()
    d, symbol = protocol.decimals, protocol.symbol
    reached = (
        f"{fmt.leverage(estimate.leverage_after)} (the buffer's limit)"
        if estimate.partial
        else f"{leverage:g}x"
    )
    click.echo(
        f"adjust   {fmt.leverage(position.leverage)} -> {reached}: collateral worth about "
        f"{fmt.amount(estimate.value_after, d, symbol)}, debt about "
        f"{fmt.amount(estimate.debt_after, d, symbol)}, equity {fmt.amount(position.equity, d, symbol)} "
        f"-> about {fmt.amount(estimate.equity_after, d, symbol)}"
    )
    click.echo(
        f"         net APR {fmt.percent(position.net_apr(view))} -> "
        f"{fmt.percent(model.net_apr(view.staking_apr, view.borrow_apr, estimate.leverage_after))} "
        "at current rates"
    )
    _echo(report.pending_lines(protocol))
    confirm(yes, account)
    min_equity = min_after_slippage(estimate.equity_after, slippage_bps)
    send("adjust", lambda: protocol.adjust(account, target, min_equity, deadline_seconds, partial))
    _status(protocol, account.address)


@cli.command(cls=ProviderCommand)
@account_option()
@click.option("--to-lst", is_flag=True, help="Receive LST instead of X (no instant-unstake fee on the rest).")
@click.option(
    "--queue",
    is_flag=True,
    help="Queue the rest as an unstake request (no instant fee; claim the X after the unbonding delay).",
)
@trade_options
def close(
    account: Any,
    to_lst: bool,
    queue: bool,
    slippage_bps: int,
    deadline_seconds: int,
    yes: bool,
    deployment_path: Path | None,
) -> None:
    """Repay everything and withdraw the rest, in one transaction."""
    if to_lst and queue:
        raise click.UsageError("choose one of --to-lst and --queue")
    protocol = load_protocol(deployment_path)
    asked = CLOSE_TO_QUEUE if queue else CLOSE_TO_LST if to_lst else CLOSE_TO_X
    expected = protocol.preview_close(account.address, asked)
    d = protocol.decimals
    if expected.mode == CLOSE_TO_QUEUE:
        delay = fmt.duration(protocol.validator.unbonding_delay())
        click.echo(
            f"close    repays the debt from the LST's buffer and queues "
            f"{fmt.amount(expected.queued, d, protocol.symbol)} for you: claim it in about {delay}"
        )
    elif expected.mode == CLOSE_TO_LST:
        note = "" if asked == CLOSE_TO_LST else " (the LST's buffer cannot redeem the whole collateral)"
        if asked == CLOSE_TO_QUEUE:
            note = " (too little left to queue)"
        click.echo(f"close    you receive about {fmt.amount(expected.lst_out, d, 'stX')}{note}")
    else:
        click.echo(f"close    you receive about {fmt.amount(expected.x_out, d, protocol.symbol)}")
    _echo(report.pending_lines(protocol))
    confirm(yes, account)
    x_before, lst_before = protocol.x.balanceOf(account.address), protocol.lst.balanceOf(account.address)
    minimum = min_after_slippage(expected.value, slippage_bps)
    receipt = send("close", lambda: protocol.close(account, minimum, asked, deadline_seconds))
    x_out = protocol.x.balanceOf(account.address) - x_before
    lst_out = protocol.lst.balanceOf(account.address) - lst_before
    click.echo(f"received {fmt.amount(x_out, d, protocol.symbol)} and {fmt.amount(lst_out, d, 'stX')}")
    for log in receipt.events.filter(protocol.router.Closed):
        if log.queued_assets:
            click.echo(
                f"queued   request {log.request_id} for {fmt.amount(log.queued_assets, d, protocol.symbol)}: "
                f"`ape run leverage claim --request {log.request_id}` once it is due"
            )


@cli.command(cls=ProviderCommand)
@account_option()
@click.option("--request", "request_id", type=click.IntRange(0), required=True, help="The request id.")
@yes_option
@deployment_option
@one_line_errors
def claim(account: Any, request_id: int, yes: bool, deployment_path: Path | None) -> None:
    """Claim a queued unstake request once it is due (0 paid and nothing lost while it still waits)."""
    protocol = load_protocol(deployment_path)
    request = protocol.request(request_id)
    d = protocol.decimals
    click.echo(
        f"claim    request {request_id}: {fmt.amount(request.value, d, protocol.symbol)} "
        f"to {request.receiver}, "
        f"{'due' if request.due else 'due in ' + fmt.duration(request.ready_at - protocol.now())}"
    )
    confirm(yes, account)
    before = protocol.x.balanceOf(request.receiver)
    send("claim", lambda: protocol.lst.claim(request_id, sender=account))
    paid = protocol.x.balanceOf(request.receiver) - before
    click.echo(
        f"paid     {fmt.amount(paid, d, protocol.symbol)}" if paid else "paid     nothing yet: not funded"
    )


def _status(protocol: Protocol, user: str) -> None:
    view = protocol.market_view()
    _echo(report.position_lines(protocol, protocol.position(user), view))


@cli.command(cls=ProviderCommand)
@account_option()
@deployment_option
@one_line_errors
def status(account: Any, deployment_path: Path | None) -> None:
    """The market and the account's position now."""
    protocol = load_protocol(deployment_path)
    view = protocol.market_view()
    d, user = protocol.decimals, account.address
    click.echo(
        f"account  {user}: {fmt.amount(protocol.x.balanceOf(user), d, protocol.symbol)}, "
        f"{fmt.amount(protocol.lst.balanceOf(user), d, 'stX')}"
    )
    _echo(report.market_lines(protocol, view))
    _echo(report.position_lines(protocol, protocol.position(account.address), view))
    _echo(report.pending_lines(protocol))


@cli.command(cls=ProviderCommand)
@click.option(
    "--blocks", type=click.IntRange(0), default=0, help="Stop after this many refreshes (0: never)."
)
@click.option(
    "--interval",
    type=click.FloatRange(0.05),
    default=1.0,
    show_default=True,
    help="Seconds between checks for a new block.",
)
@deployment_option
@one_line_errors
def watch(blocks: int, interval: float, deployment_path: Path | None) -> None:
    """A live table refreshed at every new block: rates, max leverage, every position's health."""
    protocol = load_protocol(deployment_path)
    shown, last = 0, -1
    while blocks == 0 or shown < blocks:
        height = chain.blocks.height
        if height != last:
            if click.get_text_stream("stdout").isatty():
                click.clear()
            _echo(report.watch_table(protocol, height))
            last, shown = height, shown + 1
            continue
        time.sleep(interval)


@cli.command(name="max", cls=ProviderCommand)
@click.option(
    "--amount",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Amount of X you would put in.",
)
@deployment_option
@one_line_errors
def max_(amount: float, deployment_path: Path | None) -> None:
    """The highest leverage available now for AMOUNT, given the market's idle liquidity."""
    protocol = load_protocol(deployment_path)
    view = protocol.market_view()
    d, symbol = protocol.decimals, protocol.symbol
    available = protocol.max_leverage_for(protocol.units(amount))
    click.echo(f"max leverage {fmt.leverage(view.max_leverage)} (max LTV {fmt.percent(view.max_ltv, 0)})")
    click.echo(
        f"idle liquidity {fmt.amount(view.idle, d, symbol)}: with {amount:g} {symbol} you can open up to "
        f"{fmt.leverage(available)} now"
    )


def _simple(name: str, help_text: str, action: str):
    @cli.command(name=name, cls=ProviderCommand, help=help_text)
    @account_option()
    @amount_option
    @yes_option
    @deployment_option
    @one_line_errors
    def run(account: Any, amount: float, yes: bool, deployment_path: Path | None) -> None:
        protocol = load_protocol(deployment_path)
        click.echo(f"{name:<8} {fmt.amount(protocol.units(amount), protocol.decimals, protocol.symbol)}")
        confirm(yes, account)
        send(name, lambda: getattr(protocol, action)(account, protocol.units(amount)))

    return run


_simple("lend", "Supply AMOUNT of X to the market and earn the supply APR.", "lend")
_simple("stake", "Stake AMOUNT of X for the LST.", "stake")
_simple("wrap", "Wrap AMOUNT of the native currency into X (devnet's WrappedNative).", "wrap")
