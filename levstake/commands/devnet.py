"""
Devnet helpers: let time pass with rewards synced, so a position can be seen evolving.

    ape run devnet advance --days 30 --network ethereum:local:foundry

Only on local networks: moving the clock is impossible anywhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape import accounts, chain

from levstake import fmt
from levstake.cli import ProviderCommand, deployment_option, load_protocol, one_line_errors, require_local

DAY = 86_400


@click.group()
def cli() -> None:
    """Devnet time travel."""


@cli.command(cls=ProviderCommand)
@click.option("--days", type=click.FloatRange(min=0, min_open=True), required=True, help="Time to pass.")
@click.option(
    "--sync-every",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Days between reward syncs (each sync starts a new reward stream).",
)
@deployment_option
@one_line_errors
def advance(days: float, sync_every: float, deployment_path: Path | None, provider: Any) -> None:
    """Advance the clock by DAYS, delegating the LST's excess buffer and syncing rewards on the way."""
    require_local(provider)
    protocol = load_protocol(deployment_path)
    keeper = accounts.test_accounts[0]
    remaining, step = int(days * DAY), max(int(sync_every * DAY), 1)
    syncs = 0
    start = protocol.lst.convertToAssets(10**protocol.decimals)
    while remaining > 0:
        elapsed = min(step, remaining)
        # Stake that sits in the LST's buffer earns nothing until someone delegates it.
        protocol.lst.rebalance(sender=keeper)
        chain.mine(deltatime=elapsed)
        protocol.lst.sync_rewards(sender=keeper)
        remaining -= elapsed
        syncs += 1
    end = protocol.lst.convertToAssets(10**protocol.decimals)
    click.echo(
        f"advanced {fmt.duration(days * DAY)} with {syncs} reward syncs: 1 stX = "
        f"{fmt.rate(start, protocol.decimals)} -> {fmt.rate(end, protocol.decimals)} {protocol.symbol}, "
        f"block {chain.blocks.height}"
    )
