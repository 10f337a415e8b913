"""
The whole story on a devnet, told with the same commands a user types:
deploy, lend, stake, preview, open 50x, time passes, live status, adjust, close, and the ways out of staking
and lending.

    ape run demo --network ethereum:local:foundry

Each step prints the command it runs; the commands run in this process so that they share one devnet. On
anvil the clock starts at a fixed time and every block is one second after the one before, whatever the wall
clock does: the output is the same at every run, and the README's transcript is a piece of it (a test runs
the demo and compares).
"""

from __future__ import annotations

import logging

import click

from levstake.commands import deploy, devnet, leverage

LENDER, STAKER, LEVERAGER = "TEST::3", "TEST::2", "TEST::4"
# 2033-05-18 03:33:20 UTC: later than any fresh anvil's clock.
START = 2_000_000_000


def step(title: str) -> None:
    click.echo(f"\n== {title}")


def run(script: str, group: click.Command, *args: str, refused: bool = False) -> None:
    """Run one command as typed; `refused`: the demo shows a refusal (its one-line error, nothing sent)."""
    click.echo(f"$ ape run {script} {' '.join(args)}")
    try:
        group.main(args=list(args), prog_name=f"ape run {script}", standalone_mode=False)
    except click.ClickException as error:
        if not refused:
            raise
        click.echo(f"Error: {error.format_message()}")
    else:
        if refused:
            raise RuntimeError(f"`{' '.join(args)}` was expected to be refused")


def fixed_clock() -> None:
    """Blocks at START, START + 1, ... on anvil (nothing to do on a chain without anvil's clock methods)."""
    from ape import chain

    provider = chain.provider
    if "anvil" not in str(provider.web3.client_version).lower():
        return
    provider.make_request("evm_setNextBlockTimestamp", [START])
    provider.make_request("anvil_setBlockTimestampInterval", [1])


def main() -> None:
    # The commands print their own status lines; Ape's per-transaction log lines would drown them (a filter,
    # because the commands' options reset Ape's log level).
    logging.getLogger("ape").addFilter(lambda record: record.levelno >= logging.WARNING)
    fixed_clock()
    step("Deploy the protocol (WrappedNative X, validator at 8% with a reward reserve, LST, market, router)")
    run("deploy", deploy.cli, "--account", "TEST::0")

    step("A lender supplies 5,000 X; a staker stakes 5,000 X (the LST keeps 10% as instant-unstake buffer)")
    run("leverage", leverage.cli, "wrap", "--amount", "5000", "--account", LENDER, "--yes")
    run("leverage", leverage.cli, "lend", "--amount", "5000", "--account", LENDER, "--yes")
    run("leverage", leverage.cli, "wrap", "--amount", "5000", "--account", STAKER, "--yes")
    run("leverage", leverage.cli, "stake", "--amount", "5000", "--account", STAKER, "--yes")

    step("Two and a half days pass: a measured reward stream, half of the last one still unlocking")
    run("devnet", devnet.cli, "advance", "--days", "2.5")

    step("How far can 10 X go, and what would 50x look like? (nothing is signed)")
    run("leverage", leverage.cli, "max", "--amount", "10")
    run("leverage", leverage.cli, "preview", "--amount", "10", "--leverage", "50")

    step("Open 50x with 10 native: the router's market authorization is signed, one transaction")
    run(
        "leverage",
        leverage.cli,
        "open",
        "--amount",
        "10",
        "--leverage",
        "50",
        "--native",
        "--account",
        LEVERAGER,
        "--yes",
    )

    step("30 days pass, rewards synced daily")
    run("devnet", devnet.cli, "advance", "--days", "30")
    run("leverage", leverage.cli, "status", "--account", LEVERAGER)
    run("leverage", leverage.cli, "watch", "--blocks", "1")

    step("Take risk off: adjust to 20x (to the leverage it has: refused, it would change nothing)")
    run("leverage", leverage.cli, "adjust", "--leverage", "41", "--account", LEVERAGER, "--yes", refused=True)
    run("leverage", leverage.cli, "adjust", "--leverage", "20", "--account", LEVERAGER, "--yes")

    step("Close: repay everything through the repay callback, unstake instantly, receive X")
    run("leverage", leverage.cli, "close", "--account", LEVERAGER, "--yes")

    step("Ways out: the staker unstakes some at once (the fee shown first), queues more; the lender leaves")
    run("leverage", leverage.cli, "unstake", "--amount", "40", "--account", STAKER, "--yes")
    run("leverage", leverage.cli, "unstake", "--amount", "100", "--queue", "--account", STAKER, "--yes")
    run("leverage", leverage.cli, "requests", "--account", STAKER)
    run("leverage", leverage.cli, "claim", "--account", STAKER, "--yes", refused=True)
    run("leverage", leverage.cli, "withdraw", "--amount", "all", "--account", LENDER, "--yes")
    run("leverage", leverage.cli, "status", "--account", LENDER)

    step("A week later the queued unstake is due: claimed, paid in full, no fee")
    run("devnet", devnet.cli, "advance", "--days", "7")
    run("leverage", leverage.cli, "requests", "--account", STAKER)
    run("leverage", leverage.cli, "claim", "--account", STAKER, "--yes")
