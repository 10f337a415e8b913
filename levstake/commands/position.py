"""The position's way in and out: preview, open, adjust, close, and repay from the wallet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from levstake import ape_wallet, previews, projections, report
from levstake.cli import (
    ClientError,
    ProviderCommand,
    Session,
    account_option,
    address_of,
    amount_option,
    deployment_option,
    emit_json,
    json_option,
    load_protocol,
    one_line_errors,
    require_account,
    trade_options,
)
from levstake.commands.common import (
    accept_risk_option,
    approval,
    check_balance,
    echo,
    leverage_option,
    leverage_wad,
    position_after,
    risk_check,
)
from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE, CLOSE_TO_X, YEAR
from levstake.reads import Snapshot
from levstake.txs import min_after_slippage


def _preview_open(session: Session, snapshot: Snapshot, assets: int, leverage: int) -> previews.OpenPreview:
    preview = previews.preview_open(session.info, snapshot, assets, leverage)
    # Before any figure: those of a borrow the market cannot lend (utilization above 100%) would only mislead.
    liquidity = projections.liquidity_error(session.info, snapshot, preview)
    if liquidity:
        raise ClientError(liquidity)
    echo(report.preview_lines(session.info, preview))
    echo(report.pending_lines(snapshot.pending, snapshot.timestamp))
    return preview


@click.command(cls=ProviderCommand)
@amount_option("X to put in")
@leverage_option()
@account_option(read_only=True)
@json_option
@deployment_option
@one_line_errors
def preview(
    amount_text: str, leverage_text: str, account: Any, as_json: bool, deployment_path: Path | None
) -> None:
    """What opening AMOUNT at LEVERAGE would give now, on the account's position if --account names one
    (nothing is signed)."""
    session = load_protocol(deployment_path)
    info = session.info
    snapshot = session.snapshot(None if account is None else address_of(account))
    assets, leverage = session.amount(amount_text), leverage_wad(session, leverage_text)
    if as_json:
        result = previews.preview_open(info, snapshot, assets, leverage)
        emit_json(
            {
                "kind": "preview",
                **report.snapshot_json(info, snapshot.block, snapshot.timestamp),
                "market": report.market_json(info, previews.market_figures(info, snapshot)),
                "pending": report.pending_json(snapshot.pending),
                "open": report.open_preview_json(info, result, previews.open_risks(result)),
            }
        )
        return
    echo(report.market_lines(info, previews.market_figures(info, snapshot)))
    result = _preview_open(session, snapshot, assets, leverage)
    for risk in previews.open_risks(result):
        click.echo(f"risk     {risk.reason}: `open` asks for --accept-risk")


@click.command(name="open", cls=ProviderCommand)
@account_option()
@amount_option("X to put in")
@leverage_option(help_text="Target leverage of the whole position, e.g. 20, or 'max' (no default).")
@click.option("--native", is_flag=True, help="Pay with the native currency (wrapped by the router).")
@accept_risk_option
@trade_options
def open_(
    account: Any,
    amount_text: str,
    leverage_text: str,
    native: bool,
    accept_risk: bool,
    slippage_bps: int,
    deadline_seconds: int,
    yes: bool,
    deployment_path: Path | None,
) -> None:
    """Open (or add to) a position in one transaction: the router levers the whole position."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    snapshot = session.snapshot(account.address)
    assets, leverage = session.amount(amount_text), leverage_wad(session, leverage_text)
    check_balance(session, snapshot, assets, native, can_pay_native=True)
    preview = _preview_open(session, snapshot, assets, leverage)
    echo(risk_check(previews.open_risks(preview), accept_risk))
    deadline = session.deadline(deadline_seconds)
    builder = session.builder
    authorization = builder.authorization_request(snapshot, deadline)
    permit = None if native else builder.permit_request(snapshot, assets, deadline)
    min_collateral = min_after_slippage(preview.collateral_added, slippage_bps)
    assert snapshot.account is not None
    nonce = snapshot.account.authorization_nonce

    def build(signed: bool) -> Any:
        return builder.open(
            assets,
            leverage,
            min_collateral,
            deadline,
            native=native,
            permit=None if permit is None or not signed else ape_wallet.sign(account, permit),
            authorization=None
            if authorization is None or not signed
            else ape_wallet.sign(account, authorization),
            authorization_nonce=nonce,
        )

    # What the signatures will grant, as transactions the simulation runs first (never sent).
    stand_ins = []
    if authorization is not None:
        stand_ins.append(builder.set_authorization("router", True))
    if permit is not None:
        stand_ins.append(builder.approve("x", "router", assets))
    signing = authorization is not None or permit is not None
    session.execute(
        account, [build(False)], yes, stand_ins, finish=(lambda: [build(True)]) if signing else None
    )
    position_after(session, account)


@click.command(cls=ProviderCommand)
@account_option()
@leverage_option(help_text="Target leverage, e.g. 20, or 'max'.")
@click.option(
    "--partial",
    is_flag=True,
    help="Going down, unstake only what the LST's buffer can take now if it cannot take the whole step.",
)
@accept_risk_option
@trade_options
def adjust(
    account: Any,
    leverage_text: str,
    partial: bool,
    accept_risk: bool,
    slippage_bps: int,
    deadline_seconds: int,
    yes: bool,
    deployment_path: Path | None,
) -> None:
    """Move the position to a new leverage (down costs the instant-unstake fee on what is sold)."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    snapshot = session.snapshot(account.address)
    target = leverage_wad(session, leverage_text)
    estimate = previews.preview_adjust(session.info, snapshot, target, partial)
    liquidity = projections.liquidity_error(session.info, snapshot, estimate)
    if liquidity:  # before the figures of a borrow the market cannot lend
        raise ClientError(liquidity)
    echo(report.adjust_lines(session.info, estimate, target / 1e18))
    echo(report.pending_lines(snapshot.pending, snapshot.timestamp))
    if estimate.borrowed:
        echo(risk_check(previews.position_risks(estimate.after), accept_risk))
    deadline = session.deadline(deadline_seconds)
    min_equity = min_after_slippage(estimate.after.equity, slippage_bps)
    builder = session.builder
    request = builder.authorization_request(snapshot, deadline)
    assert snapshot.account is not None
    nonce = snapshot.account.authorization_nonce

    def build(signed: bool) -> Any:
        signature = None if request is None or not signed else ape_wallet.sign(account, request)
        return builder.adjust(
            target, min_equity, deadline, partial, authorization=signature, authorization_nonce=nonce
        )

    stand_ins = [] if request is None else [builder.set_authorization("router", True)]
    session.execute(
        account, [build(False)], yes, stand_ins, finish=None if request is None else (lambda: [build(True)])
    )
    position_after(session, account)


@click.command(cls=ProviderCommand)
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
    """Repay everything from the LST's buffer and withdraw the rest, in one transaction (when the buffer is
    short, `repay --all` pays the debt from your wallet instead)."""
    if to_lst and queue:
        raise click.UsageError("choose one of --to-lst and --queue")
    account = require_account(account)
    session = load_protocol(deployment_path)
    info = session.info
    snapshot = session.snapshot(account.address)
    asked = CLOSE_TO_QUEUE if queue else CLOSE_TO_LST if to_lst else CLOSE_TO_X
    expected = previews.preview_close(info, snapshot, asked)
    due = max(snapshot.timestamp + snapshot.unbonding_delay, snapshot.queue_ready_at)
    echo(report.close_lines(info, expected, asked, due - snapshot.timestamp))
    echo(report.pending_lines(snapshot.pending, snapshot.timestamp))
    tx = session.builder.close(
        min_after_slippage(expected.value, slippage_bps), session.deadline(deadline_seconds), asked
    )
    (receipt,) = session.execute(account, [tx], yes)
    after = session.snapshot(account.address)
    assert snapshot.account is not None and after.account is not None
    x_out = after.account.x_balance - snapshot.account.x_balance
    lst_out = after.account.lst_balance - snapshot.account.lst_balance
    click.echo(f"received {session.exact(x_out, 'x')} and {session.exact(lst_out, 'lst')}")
    router = info.contracts["router"]
    for log in ape_wallet.events(receipt, session.deployment.abi("router"), "Closed", router):
        if log["queued_assets"]:
            click.echo(
                f"queued   request {log['request_id']} for {session.exact(log['queued_assets'])}: "
                "`ape run leverage claim` once it is due (`ape run leverage requests` shows when)"
            )


@click.command(cls=ProviderCommand)
@account_option()
@amount_option("X of debt to repay", required=False)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Repay the whole debt, then take the whole collateral (LST) back to the wallet.",
)
@trade_options
def repay(
    account: Any,
    amount_text: str | None,
    everything: bool,
    slippage_bps: int,
    deadline_seconds: int,
    yes: bool,
    deployment_path: Path | None,
) -> None:
    """Repay debt with X from your wallet (`market.repay`, no LST buffer needed): part of it to lower the
    leverage, or --all to close, the collateral coming back as LST. The way out at once when the LST's
    buffer is drained."""
    if everything == (amount_text is not None):
        raise click.UsageError("give --amount or --all")
    account = require_account(account)
    session = load_protocol(deployment_path)
    info, builder = session.info, session.builder
    snapshot = session.snapshot(account.address)
    user = account.address
    assets = None if everything else session.amount(amount_text or "")
    estimate = previews.preview_repay(info, snapshot, assets)
    echo(report.repay_lines(info, estimate))
    assert snapshot.account is not None
    position = snapshot.position
    assert position is not None
    txs = []
    if estimate.repaid:
        # A whole repay is by shares: what it pulls grows with the interest until it lands, so the approval
        # leaves room for `deadline` seconds of it at the current borrow APR.
        room = 0
        if everything:
            room = -(-estimate.repaid * snapshot.rates.borrow_apr * deadline_seconds // (10**18 * YEAR)) + 1
        needed = min(estimate.repaid + room, snapshot.account.x_balance)
        txs += approval(session, user, "market", needed)
        txs.append(
            builder.repay(user, shares=position.borrow_shares)
            if everything
            else builder.repay(user, assets=estimate.repaid)
        )
    if everything and position.collateral:
        txs.append(builder.withdraw_collateral(position.collateral, user))
    session.execute(account, txs, yes)
    if everything:
        after = session.snapshot(user)
        assert after.account is not None
        wallet = (
            f"{session.exact(after.account.lst_balance, 'lst')}, {session.exact(after.account.x_balance)}"
        )
        click.echo(f"wallet   {wallet}")
    else:
        position_after(session, account)
