"""
Devnet helpers: let time pass with rewards synced, and fund a wallet.

    ape run devnet advance --days 30 --network ethereum:local:foundry
    ape run devnet fund --account mywallet --amount 100 --network ethereum:local:foundry

Only on local networks: moving the clock or minting native coins is impossible anywhere else. `make devnet`
(`python -m levstake.devnet`) runs the devnet itself, with its upkeep.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click
from ape import accounts, chain

from levstake import ape_wallet, fmt
from levstake.cli import (
    ClientError,
    ProviderCommand,
    account_option,
    address_of,
    deployment_option,
    ensure_keystore,
    load_protocol,
    one_line_errors,
    require_local,
)
from levstake.devnet import keeper_round
from levstake.keeper import jobs
from levstake.keeper.keeper import Keeper

DAY = 86_400

ensure_keystore()


@click.group()
def cli() -> None:
    """Devnet time travel and faucet."""


# Ten years at most, in at most this many upkeep rounds: `--days 1e9` ground the chain forward for minutes.
MAX_DAYS = 3_650
MAX_ROUNDS = 4_000


@cli.command(cls=ProviderCommand)
@click.option(
    "--days",
    type=click.FloatRange(min=0, max=MAX_DAYS, min_open=True),
    required=True,
    help=f"Time to pass (at most {MAX_DAYS:,}).",
)
@click.option(
    "--step",
    type=click.FloatRange(min=1 / 1_440),
    default=1.0,
    show_default=True,
    help="Longest jump in days between two upkeep rounds (a running reward stream ends a jump early; at "
    "least a minute).",
)
@deployment_option
@one_line_errors
def advance(days: float, step: float, deployment_path: Path | None, provider: Any) -> None:
    """Advance the clock by DAYS with the devnet keeper's upkeep on the way: the keeper acts as soon as a job
    is due (a reward sync when a stream ends, a rebalance, the daily oracle snapshot)."""
    if not (math.isfinite(days) and math.isfinite(step)):
        raise ClientError("--days and --step must be numbers")
    if days / step > MAX_ROUNDS:
        raise ClientError(
            f"{days:g} days in steps of {step:g} is {math.ceil(days / step):,} rounds of upkeep, more than "
            f"{MAX_ROUNDS:,}: pass a larger --step"
        )
    require_local(provider)
    session = load_protocol(deployment_path)
    keeper = _upkeep_keeper(session, accounts.test_accounts[0])
    remaining, longest = int(days * DAY), max(int(step * DAY), 1)
    syncs = 0
    unit = 10**session.info.decimals
    start = session.snapshot().lst.to_assets_down(unit)
    while remaining > 0:
        syncs += _upkeep(keeper)
        state = jobs.read_upkeep(session.reader)
        jump = min(remaining, longest)
        if state.stream_end > state.timestamp:
            jump = min(jump, state.stream_end - state.timestamp)
        chain.mine(deltatime=jump)
        remaining -= jump
    syncs += _upkeep(keeper)
    end = session.snapshot().lst.to_assets_down(unit)
    click.echo(
        f"advanced {fmt.duration(days * DAY)} with {syncs} reward syncs: 1 {session.info.lst_symbol} = "
        f"{fmt.rate(start, session.info.decimals)} -> {fmt.rate(end, session.info.decimals)} "
        f"{session.info.symbol}, block {chain.blocks.height}"
    )


def _upkeep_keeper(session: Any, account: Any) -> Keeper:
    """The keeper bot's upkeep (`Keeper.upkeep_actions`: reward sync, rebalance, the oracle's snapshot, the
    guard's carry checkpoint, an idle market's accrual) sending from `account`: a job another keeper did first
    (the devnet's own upkeep, a running `make keeper`) is a lost race, never a failed command."""
    from ape import networks

    w3, send = networks.provider.web3, ape_wallet.sender(account)
    return keeper_round(w3, session.reader, session.builder, send, account.address, _say_trouble)


def _say_trouble(line: str) -> None:
    if line.startswith(("failed", "lost race")):
        click.echo(f"upkeep   {line}")


def _upkeep(keeper: Keeper) -> int:
    """One upkeep round at the head; the reward syncs it sent."""
    block = keeper.reader.block()
    keeper.index.update(block.number)
    outcomes = [keeper.perform(block, action) for action in keeper.upkeep_actions(block)]
    return sum(outcome.action.kind == "sync_rewards" and outcome.status == "sent" for outcome in outcomes)


@cli.command(cls=ProviderCommand)
@account_option(read_only=True)
@click.option(
    "--amount", "amount_text", default="100", show_default=True, metavar="AMOUNT",
    help="Native coins to add to the account's balance (a decimal).",
)  # fmt: skip
@deployment_option
@one_line_errors
def fund(account: Any, amount_text: str, deployment_path: Path | None, provider: Any) -> None:
    """Give ACCOUNT (an alias, TEST::n or any address) native coins on a devnet (anvil's or the test chain's
    balance setter)."""
    require_local(provider)
    if account is None:
        raise ClientError("pass --account ALIAS (or any 0x address) to fund")
    from ape.exceptions import APINotImplementedError

    # On the devnet the deployment names, not on a chain Ape started for this command alone (with no devnet
    # running, `foundry: host: auto` would fund a throwaway anvil and report success).
    load_protocol(deployment_path)
    address = address_of(account)
    added = fmt.parse_amount(amount_text, 18, "native")
    balance = int(provider.get_balance(address)) + added
    try:
        provider.set_balance(address, balance)
    except APINotImplementedError:  # the in-process chain: a transfer from its first dev account
        accounts.test_accounts[0].transfer(address, added)
    click.echo(f"funded   {address}: +{fmt.exact(added, 18)} native (balance {fmt.exact(balance, 18)})")
