"""
Use LevStake from an Ape account: every way in has its way out.

    ape run leverage preview  --amount 10 --leverage 50 [--account A] [--json]
    ape run leverage open     --amount 10 --leverage 50 --account A [--native] [--accept-risk]
    ape run leverage adjust   --leverage 20 --account A [--partial]
    ape run leverage close    --account A [--to-lst | --queue]
    ape run leverage repay    --amount 5 | --all --account A   (from the wallet: no LST buffer needed)
    ape run leverage status   [--account A | 0x...] [--json]
    ape run leverage watch    [--blocks N] [--json]
    ape run leverage max      [--amount A] [--json]
    ape run leverage wrap | unwrap   --amount A --account A
    ape run leverage stake    --amount A --account A
    ape run leverage unstake  --amount A|all --account A [--queue]
    ape run leverage requests --account A [--json]
    ape run leverage claim    [--request N] --account A
    ape run leverage lend     --amount A --account A
    ape run leverage withdraw --amount A|all --account A
    ape run leverage rebalance --account A

Every command that signs simulates its transactions first (at the pending block, from the account) and
refuses with the decoded reason, before asking; it refuses what would change nothing (an adjust to the
leverage the position has, a claim that pays nothing). It shows a preview and asks `Sign and send?` unless
`--yes`, then prints one line per transaction. Amounts are exact decimals in the token's units. The numbers
come from `levstake.previews`; the reference is the README's "CLI reference".
"""

from __future__ import annotations

import click

from levstake.cli import ensure_keystore
from levstake.commands import lending, position, staking, views

ensure_keystore()


@click.group()
def cli() -> None:
    """Leveraged staking on LevStake: every way in, and its way out."""


# Grouped by what they act on; a `guard` group (set, see, revoke a LeverageGuard) will join them.
for command in (
    position.preview,
    position.open_,
    position.adjust,
    position.close,
    position.repay,
    views.status,
    views.watch,
    views.max_,
    lending.wrap,
    lending.unwrap,
    staking.stake,
    staking.unstake,
    staking.requests,
    staking.claim,
    lending.lend,
    lending.withdraw,
    staking.rebalance,
):
    cli.add_command(command)

# Kept for callers of the earlier single module (the demo, the tests).
watch_lines = views.watch_lines
