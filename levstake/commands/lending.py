"""Lending's way in and out (lend, withdraw) and the wrapped native coin's (wrap, unwrap)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from levstake import ape_wallet, fmt, previews, projections
from levstake.cli import (
    ClientError,
    ProviderCommand,
    account_option,
    amount_option,
    deployment_option,
    load_protocol,
    one_line_errors,
    require_account,
    yes_option,
)
from levstake.commands.common import approval, check_balance


@click.command(cls=ProviderCommand)
@account_option()
@amount_option("X to lend")
@yes_option
@deployment_option
@one_line_errors
def lend(account: Any, amount_text: str, yes: bool, deployment_path: Path | None) -> None:
    """Supply AMOUNT of X to the market and earn the supply APR (approving the market first when needed)."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    user = account.address
    snapshot = session.snapshot(user)
    assets = session.amount(amount_text)
    assert snapshot.account is not None
    check_balance(session, snapshot, assets, native=False)
    # On a node without eth_simulateV1 the deposit cannot be simulated before the approval lands: what it
    # would refuse (a paused market, the supply cap, dust) is read first instead.
    quote = session.reader.lend_quote(assets, user, hex(snapshot.block))
    preview = projections.preview_lend(session.info, snapshot, assets, quote)
    click.echo(
        f"lend     {session.exact(assets)}: supply APR {fmt.percent(preview.supply_apr_after)} after it "
        f"(now {fmt.percent(snapshot.rates.supply_apr / 1e18)}; it moves with utilization)"
    )
    session.execute(
        account, [*approval(session, user, "market", assets), session.builder.lend(assets, user)], yes
    )


@click.command(cls=ProviderCommand)
@account_option()
@amount_option("X to take out of the market", allow_all=True)
@yes_option
@deployment_option
@one_line_errors
def withdraw(account: Any, amount_text: str, yes: bool, deployment_path: Path | None) -> None:
    """Withdraw a lender's X from the market: AMOUNT, or all of it (as far as idle liquidity allows)."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    user = account.address
    snapshot = session.snapshot(user)
    everything = amount_text.strip().lower() == "all"
    estimate = previews.preview_lender_withdraw(
        session.info, snapshot, None if everything else session.amount(amount_text)
    )
    left = "" if estimate.everything else f"; {session.exact(estimate.left)} stays supplied"
    click.echo(f"withdraw {session.exact(estimate.assets)} from the market{left}")
    builder = session.builder
    tx = (
        builder.lender_redeem(estimate.shares, user)
        if estimate.everything
        else builder.lender_withdraw(estimate.assets, user)
    )
    (receipt,) = session.execute(account, [tx], yes)
    # What landed (interest accrues up to the block it lands in: a redeem of everything pays a little more).
    market = session.info.contracts["market"]
    for log in ape_wallet.events(receipt, session.deployment.abi("market"), "Withdraw", market):
        click.echo(f"received {session.exact(log['assets'])}")


@click.command(cls=ProviderCommand)
@account_option()
@amount_option("Native coin to wrap")
@yes_option
@deployment_option
@one_line_errors
def wrap(account: Any, amount_text: str, yes: bool, deployment_path: Path | None) -> None:
    """Wrap AMOUNT of the native coin into X (the devnet's WrappedNative)."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    snapshot = session.snapshot(account.address)
    assets = session.amount(amount_text)
    tx = session.builder.wrap(assets)
    assert snapshot.account is not None
    if assets > snapshot.account.native_balance:
        raise ClientError(
            f"amount {session.exact(assets, 'native')} is above your native balance "
            f"{session.exact(snapshot.account.native_balance, 'native')}"
        )
    click.echo(f"wrap     {session.exact(assets, 'native')} into {session.exact(assets)}")
    session.execute(account, [tx], yes)


@click.command(cls=ProviderCommand)
@account_option()
@amount_option("X to unwrap", allow_all=True)
@yes_option
@deployment_option
@one_line_errors
def unwrap(account: Any, amount_text: str, yes: bool, deployment_path: Path | None) -> None:
    """Unwrap AMOUNT of X (all: the whole balance) back into the native coin."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    snapshot = session.snapshot(account.address)
    assert snapshot.account is not None
    balance = snapshot.account.x_balance
    assets = balance if amount_text.strip().lower() == "all" else session.amount(amount_text)
    if assets == 0:
        raise ClientError(f"you hold no {session.info.symbol}")
    if assets > balance:
        raise ClientError(f"amount {session.exact(assets)} is above your balance {session.exact(balance)}")
    tx = session.builder.unwrap(assets)
    click.echo(f"unwrap   {session.exact(assets)} into {session.exact(assets, 'native')}")
    session.execute(account, [tx], yes)
