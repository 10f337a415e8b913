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
`--market` names a market that is not an official one. The numbers come from `levstake.previews`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from ape.cli import account_option

from levstake import ape_wallet, fmt, previews, report
from levstake.cli import (
    ClientError,
    ProviderCommand,
    Session,
    confirm,
    deployment_option,
    ensure_keystore,
    load_protocol,
    one_line_errors,
    trade_options,
    yes_option,
)
from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE, CLOSE_TO_X
from levstake.reads import Snapshot
from levstake.txs import min_after_slippage

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


def _leverage(session: Session, leverage: float | None) -> int:
    return session.info.max_leverage if leverage is None else previews.check_leverage(session.info, leverage)


def _preview(
    session: Session, snapshot: Snapshot, amount: float, leverage: float | None
) -> previews.OpenPreview:
    preview = previews.preview_open(
        session.info, snapshot, session.units(amount), _leverage(session, leverage)
    )
    _echo(report.preview_lines(session.info, preview))
    _echo(report.pending_lines(snapshot.pending, snapshot.timestamp))
    return preview


@cli.command(cls=ProviderCommand)
@amount_option
@leverage_option
@deployment_option
@one_line_errors
def preview(amount: float, leverage: float | None, deployment_path: Path | None) -> None:
    """What opening AMOUNT at LEVERAGE would give now (nothing is signed)."""
    session = load_protocol(deployment_path)
    snapshot = session.snapshot()
    _echo(report.market_lines(session.info, previews.market_figures(session.info, snapshot)))
    _preview(session, snapshot, amount, leverage)


def check_balance(session: Session, snapshot: Snapshot, assets: int, native: bool) -> None:
    info, account = session.info, snapshot.account
    assert account is not None
    if native and not info.native:
        raise ClientError(f"{info.symbol} is not this network's wrapped native token; drop --native")
    balance = account.native_balance if native else account.x_balance
    if assets > balance:
        what = "native balance" if native else f"{info.symbol} balance"
        hint = "" if native or not info.native else " (`wrap` it first, or pay with --native)"
        unit = 10**info.decimals
        raise ClientError(f"amount {assets / unit:,.6g} is above your {what} {balance / unit:,.6g}{hint}")


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
    """Open (or add to) a position in one transaction: the router levers the whole position."""
    session = load_protocol(deployment_path)
    snapshot = session.snapshot(account.address)
    assets = session.units(amount)
    check_balance(session, snapshot, assets, native)
    preview = _preview(session, snapshot, amount, leverage)
    if not preview.fits_liquidity:
        raise ClientError(
            f"not enough idle liquidity for {preview.target_leverage / 1e18:g}x; "
            f"`max --amount {amount:g}` shows what fits"
        )
    confirm(yes, account)
    deadline = session.deadline(deadline_seconds)
    builder = session.builder
    authorization = builder.authorization_request(snapshot, deadline)
    permit = None if native else builder.permit_request(snapshot, assets, deadline)
    assert snapshot.account is not None
    tx = builder.open(
        assets,
        preview.target_leverage,
        min_after_slippage(preview.collateral_added, slippage_bps),
        deadline,
        native=native,
        permit=None if permit is None else ape_wallet.sign(account, permit),
        authorization=None if authorization is None else ape_wallet.sign(account, authorization),
        authorization_nonce=snapshot.account.authorization_nonce,
    )
    session.send(account, tx)
    _status(session, account.address)


def _authorization(session: Session, account: Any, snapshot: Snapshot, deadline: int) -> dict:
    request = session.builder.authorization_request(snapshot, deadline)
    assert snapshot.account is not None
    return {
        "authorization": None if request is None else ape_wallet.sign(account, request),
        "authorization_nonce": snapshot.account.authorization_nonce,
    }


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
    session = load_protocol(deployment_path)
    snapshot = session.snapshot(account.address)
    target = previews.check_leverage(session.info, leverage)
    estimate = previews.preview_adjust(session.info, snapshot, target, partial)
    _echo(report.adjust_lines(session.info, estimate, leverage))
    _echo(report.pending_lines(snapshot.pending, snapshot.timestamp))
    confirm(yes, account)
    deadline = session.deadline(deadline_seconds)
    min_equity = min_after_slippage(estimate.after.equity, slippage_bps)
    tx = session.builder.adjust(
        target, min_equity, deadline, partial, **_authorization(session, account, snapshot, deadline)
    )
    session.send(account, tx)
    _status(session, account.address)


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
    session = load_protocol(deployment_path)
    info = session.info
    snapshot = session.snapshot(account.address)
    asked = CLOSE_TO_QUEUE if queue else CLOSE_TO_LST if to_lst else CLOSE_TO_X
    expected = previews.preview_close(info, snapshot, asked)
    (delay,) = session.reader.call_many([("validator", "unbonding_delay", ())])
    _echo(report.close_lines(info, expected, asked, delay))
    _echo(report.pending_lines(snapshot.pending, snapshot.timestamp))
    confirm(yes, account)
    tx = session.builder.close(
        min_after_slippage(expected.value, slippage_bps), session.deadline(deadline_seconds), asked
    )
    receipt = session.send(account, tx)
    after = session.snapshot(account.address)
    assert snapshot.account is not None and after.account is not None
    x_out = after.account.x_balance - snapshot.account.x_balance
    lst_out = after.account.lst_balance - snapshot.account.lst_balance
    d = info.decimals
    click.echo(f"received {fmt.amount(x_out, d, info.symbol)} and {fmt.amount(lst_out, d, info.lst_symbol)}")
    router = info.contracts["router"]
    for log in ape_wallet.events(receipt, session.deployment.abi("router"), "Closed", router):
        if log["queued_assets"]:
            click.echo(
                f"queued   request {log['request_id']} for "
                f"{fmt.amount(log['queued_assets'], d, info.symbol)}: `ape run leverage claim --request "
                f"{log['request_id']}` once it is due"
            )


@cli.command(cls=ProviderCommand)
@account_option()
@click.option("--request", "request_id", type=click.IntRange(0), required=True, help="The request id.")
@yes_option
@deployment_option
@one_line_errors
def claim(account: Any, request_id: int, yes: bool, deployment_path: Path | None) -> None:
    """Claim a queued unstake request once it is due (0 paid and nothing lost while it still waits)."""
    session = load_protocol(deployment_path)
    info = session.info
    block = session.reader.block()
    request = session.reader.request(request_id, block)
    d = info.decimals
    click.echo(
        f"claim    request {request_id}: {fmt.amount(request.value, d, info.symbol)} "
        f"to {request.receiver}, "
        f"{'due' if request.due else 'due in ' + fmt.duration(request.ready_at - block.timestamp)}"
    )
    confirm(yes, account)
    (before,) = session.reader.call_many([("x", "balanceOf", (request.receiver,))])
    session.send(account, session.builder.claim(request_id))
    (after,) = session.reader.call_many([("x", "balanceOf", (request.receiver,))])
    paid = after - before
    click.echo(f"paid     {fmt.amount(paid, d, info.symbol)}" if paid else "paid     nothing yet: not funded")


def _status(session: Session, user: str) -> None:
    snapshot = session.snapshot(user)
    _echo(report.position_lines(session.info, previews.position_figures(session.info, snapshot)))


@cli.command(cls=ProviderCommand)
@account_option()
@deployment_option
@one_line_errors
def status(account: Any, deployment_path: Path | None) -> None:
    """The market and the account's position now."""
    session = load_protocol(deployment_path)
    info = session.info
    snapshot = session.snapshot(account.address)
    assert snapshot.account is not None
    d, user = info.decimals, account.address
    click.echo(
        f"account  {user}: {fmt.amount(snapshot.account.x_balance, d, info.symbol)}, "
        f"{fmt.amount(snapshot.account.lst_balance, d, info.lst_symbol)}"
    )
    _echo(report.market_lines(info, previews.market_figures(info, snapshot)))
    _echo(report.position_lines(info, previews.position_figures(info, snapshot)))
    _echo(report.pending_lines(snapshot.pending, snapshot.timestamp))


def watch_lines(session: Session) -> list[str]:
    """One refresh of the live table: one snapshot and every borrower's position in one batch."""
    reader, info = session.reader, session.info
    block = reader.block()
    snapshot = reader.snapshot(block=block)
    users = reader.borrowers()
    rows = []
    for user, position in reader.positions(users, block).items():
        figures = previews.figures_of(info, snapshot, user, position)
        if figures is not None:
            rows.append((user, figures))
    return report.watch_table(
        info,
        block.number,
        previews.market_figures(info, snapshot),
        report.pending_lines(snapshot.pending, snapshot.timestamp),
        rows,
    )


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
    session = load_protocol(deployment_path)
    shown, last = 0, -1
    while blocks == 0 or shown < blocks:
        height = session.reader.block().number
        if height != last:
            if click.get_text_stream("stdout").isatty():
                click.clear()
            _echo(watch_lines(session))
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
    session = load_protocol(deployment_path)
    info = session.info
    snapshot = session.snapshot()
    view = previews.market_figures(info, snapshot)
    available = previews.max_leverage_for(info, snapshot, session.units(amount))
    click.echo(f"max leverage {fmt.leverage(view.max_leverage)} (max LTV {fmt.percent(view.max_ltv, 0)})")
    click.echo(
        f"idle liquidity {fmt.amount(view.idle, info.decimals, info.symbol)}: with {amount:g} "
        f"{info.symbol} you can open up to {fmt.leverage(available)} now"
    )


def _approved(session: Session, account: Any, spender: str, assets: int) -> None:
    """Approve `spender` for `assets` of X first when the allowance is short."""
    (allowance,) = session.reader.call_many(
        [("x", "allowance", (account.address, session.info.contracts[spender]))]
    )
    if allowance < assets:
        session.send(account, session.builder.approve("x", spender, assets))


def _simple(name: str, help_text: str) -> click.Command:
    @cli.command(name=name, cls=ProviderCommand, help=help_text)
    @account_option()
    @amount_option
    @yes_option
    @deployment_option
    @one_line_errors
    def run(account: Any, amount: float, yes: bool, deployment_path: Path | None) -> None:
        session = load_protocol(deployment_path)
        info, assets = session.info, session.units(amount)
        click.echo(f"{name:<8} {fmt.amount(assets, info.decimals, info.symbol)}")
        builder = session.builder
        wrap = builder.wrap(assets) if name == "wrap" else None
        check_balance(session, session.snapshot(account.address), assets, native=wrap is not None)
        confirm(yes, account)
        if wrap is not None:
            session.send(account, wrap)
            return
        spender = "market" if name == "lend" else "lst"
        _approved(session, account, spender, assets)
        tx = (
            builder.lend(assets, account.address)
            if name == "lend"
            else builder.stake(assets, account.address)
        )
        session.send(account, tx)

    return run


_simple("lend", "Supply AMOUNT of X to the market and earn the supply APR.")
_simple("stake", "Stake AMOUNT of X for the LST.")
_simple("wrap", "Wrap AMOUNT of the native currency into X (devnet's WrappedNative).")
