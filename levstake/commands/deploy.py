"""
Deploy the whole protocol to the network and write its deployment file.

    ape run deploy --network ethereum:local:foundry --account <alias>

On a local network X is a new WrappedNative and the SimulatedValidator gets a reward reserve wrapped from the
deployer's native balance; elsewhere pass `--asset` for an existing X (or let it deploy a WrappedNative) and
`--reward-reserve` to fund rewards. An existing deployment file of a non-local network is never overwritten
without `--force`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from ape import project

from levstake.cli import (
    ClientError,
    ProviderCommand,
    account_option,
    deployment_file,
    deployment_option,
    ensure_keystore,
    one_line_errors,
    require_account,
    unlock,
)
from levstake.deploy import DEFAULT_REWARD_RESERVE, deploy_protocol
from levstake.deployment import DEPLOYMENTS_ENV, check_writable, default_path, is_local

ensure_keystore()


@click.command(cls=ProviderCommand)
@account_option()
@click.option("--asset", default=None, help="Address of an existing X (default: deploy a WrappedNative).")
@click.option(
    "--reward-reserve",
    type=click.FloatRange(0),
    default=None,
    help=f"X funding the validator's rewards (default {DEFAULT_REWARD_RESERVE} on a local network, else 0).",
)
@click.option("--force", is_flag=True, help="Overwrite the deployment file of a non-local network.")
@deployment_option
@one_line_errors
def cli(
    account: Any,
    asset: str | None,
    reward_reserve: float | None,
    force: bool,
    deployment_path: Path | None,
    provider: Any,
) -> None:
    account = require_account(account)
    network = provider.network
    if provider.name == "test" and deployment_path is None and DEPLOYMENTS_ENV not in os.environ:
        # Its file would replace the devnet's (both are `ethereum-local.json`) for a chain gone at exit.
        devnet_file = default_path(network.ecosystem.name, network.name)
        raise ClientError(
            f"{network.ecosystem.name}:{network.name}:test is Ape's in-process chain, gone when this command "
            f"ends, and its deployment file would replace the devnet's ({devnet_file}): deploy to the devnet "
            "(--network ethereum:local:foundry), or name a file with --deployment"
        )
    path = deployment_file(deployment_path, provider)
    local = is_local(network.name)
    # Checked before deploying so that a refused overwrite costs no gas.
    check_writable(path, network.ecosystem.name, network.name, force)
    if reward_reserve is None:
        reward_reserve = DEFAULT_REWARD_RESERVE if local else 0
    unlock(account)
    click.echo(f"Deploying LevStake to {network.ecosystem.name}:{network.name} from {account.address}")
    click.echo("... deploying X, validator, LST, rate model, oracle, factory, market and router")
    deployment = deploy_protocol(project, account, network, asset, reward_reserve)
    deployment.save(path, force=force)
    for name, address in deployment.contracts.items():
        click.echo(f"   {name:<10} {address}")
    click.echo(f"Wrote {path} (block {deployment.block})")
