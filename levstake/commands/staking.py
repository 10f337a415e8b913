"""Staking's way in and out: stake, unstake (instant or queued), the queued requests, claim, rebalance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from levstake import ape_wallet, previews, report
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
    yes_option,
)
from levstake.commands.common import approval, check_balance, echo
from levstake.keeper import jobs
from levstake.reads import RequestView


@click.command(cls=ProviderCommand)
@account_option()
@amount_option("X to stake")
@yes_option
@deployment_option
@one_line_errors
def stake(account: Any, amount_text: str, yes: bool, deployment_path: Path | None) -> None:
    """Stake AMOUNT of X for the LST (approving the LST for it first when needed)."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    info = session.info
    snapshot = session.snapshot(account.address)
    assets = session.amount(amount_text)
    assert snapshot.account is not None
    check_balance(session, snapshot, assets, native=False)
    estimate = previews.preview_stake(info, snapshot, assets)
    click.echo(
        f"stake    {session.exact(assets)} for {session.exact(estimate.shares, 'lst')} (worth "
        f"{session.exact(estimate.worth)} at exit right after: new shares pay for the rewards still "
        "streaming)"
    )
    txs = [*approval(session, account.address, "lst", assets), session.builder.stake(assets, account.address)]
    session.execute(account, txs, yes)


@click.command(cls=ProviderCommand)
@account_option()
@amount_option("LST to unstake", allow_all=True)
@click.option(
    "--queue",
    is_flag=True,
    help="Queue the unstake: no fee, the X is claimable after the unbonding delay (`requests`, `claim`).",
)
@yes_option
@deployment_option
@one_line_errors
def unstake(account: Any, amount_text: str, queue: bool, yes: bool, deployment_path: Path | None) -> None:
    """Unstake AMOUNT of the LST: instantly from the LST's buffer (the fee shown first), or with --queue."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    info = session.info
    snapshot = session.snapshot(account.address)
    assert snapshot.account is not None
    everything = amount_text.strip().lower() == "all"
    shares = snapshot.account.lst_balance if everything else session.amount(amount_text, "lst")
    if everything and shares == 0:
        raise ClientError(f"you hold no {info.lst_symbol}")
    estimate = previews.preview_unstake(info, snapshot, shares, queue)
    echo(report.unstake_lines(info, estimate, snapshot.timestamp))
    builder, user = session.builder, account.address
    tx = builder.request_unstake(shares, user) if queue else builder.unstake(shares, user)
    (receipt,) = session.execute(account, [tx], yes)
    if queue:
        for log in ape_wallet.events(
            receipt, session.deployment.abi("lst"), "UnstakeRequested", info.contracts["lst"]
        ):
            click.echo(
                f"queued   request {log['request_id']} for {session.exact(log['amount'])}: "
                "`ape run leverage claim` once it is due"
            )
    else:
        for log in ape_wallet.events(
            receipt, session.deployment.abi("lst"), "Withdraw", info.contracts["lst"]
        ):
            click.echo(f"received {session.exact(log['assets'])}")


def _requests(session: Session, user: str) -> list[RequestView]:
    return session.reader.requests_of(user)


@click.command(cls=ProviderCommand)
@account_option(read_only=True)
@json_option
@deployment_option
@one_line_errors
def requests(account: Any, as_json: bool, deployment_path: Path | None) -> None:
    """The account's queued unstakes: what each pays and when it is due (claimed ones in --json too)."""
    if account is None:
        raise ClientError("pass --account ALIAS, TEST::n or an address")
    session = load_protocol(deployment_path)
    user = address_of(account)
    block = session.reader.block()
    found = session.reader.requests_of(user, block)
    if as_json:
        emit_json(
            {
                "kind": "requests",
                **report.snapshot_json(session.info, block.number, block.timestamp),
                "account": user,
                "requests": report.requests_json(session.info, found),
            }
        )
        return
    echo(report.request_lines(session.info, found, block.timestamp, user))


@click.command(cls=ProviderCommand)
@account_option()
@click.option(
    "--request",
    "request_id",
    type=click.IntRange(0),
    default=None,
    help="The request id (default: every request of the account that pays now).",
)
@yes_option
@deployment_option
@one_line_errors
def claim(account: Any, request_id: int | None, yes: bool, deployment_path: Path | None) -> None:
    """Claim queued unstakes once due: refused (nothing sent) when a claim would revert or pay nothing."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    reader, user = session.reader, account.address
    block = reader.block("pending")
    if request_id is not None:
        wanted = [reader.request(request_id)]
    else:
        wanted = [request for request in reader.requests_of(user) if not request.claimed]
        if not wanted:
            raise ClientError("no open unstake request to claim (`requests` lists them)")
    refusals, txs = [], []
    for request in wanted:
        reason = previews.claim_refusal(request, user, block.timestamp)
        if reason is None:
            tx = session.builder.claim(request.request_id)
            (outcome,) = reader.simulate([tx], user)
            if outcome.reverted:
                reason = f"claim of request {request.request_id} would revert ({outcome.reason})"
            elif tx.decode(outcome.output) == 0:
                reason = (
                    f"request {request.request_id} is due but the LST cannot fund it yet (its unbonding "
                    "has not come back to the buffer): claiming now pays nothing; `rebalance` pulls it back"
                )
            else:
                txs.append((request, tx, tx.decode(outcome.output)))
                continue
        refusals.append(reason)
    if not txs:
        raise ClientError("; ".join(refusals) + "; nothing was sent")
    for line in refusals:
        click.echo(f"skip     {line}")
    for request, _, paid in txs:
        click.echo(f"claim    request {request.request_id}: {session.exact(paid)} to {request.receiver}")
    session.execute(account, [tx for _, tx, _ in txs], yes)


@click.command(cls=ProviderCommand)
@account_option()
@yes_option
@deployment_option
@one_line_errors
def rebalance(account: Any, yes: bool, deployment_path: Path | None) -> None:
    """Ask the LST to refill its buffer from the backend, fund due requests and pull matured unbonding
    (permissionless upkeep; refused when it would change nothing)."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    state = jobs.read_upkeep(session.reader)
    reason = jobs.check_rebalance(state)
    if reason is None:
        raise ClientError(
            "nothing to rebalance: the buffer is within 1% of its target, no unbonding has matured and no "
            "due request waits; nothing was sent"
        )
    click.echo(f"rebalance {reason}")
    session.execute(account, [session.builder.rebalance()], yes)
