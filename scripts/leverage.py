"""
Manage a leveraged staking position from an Ape account.

    ape run leverage preview --amount 10 --leverage 50 --network ethereum:local:foundry
    ape run leverage open    --amount 10 --leverage 50 --account <alias> [--native] [--yes]
    ape run leverage adjust  --leverage 20 --account <alias>
    ape run leverage close   --account <alias> [--to-lst]
    ape run leverage status  --account <alias>
    ape run leverage watch   [--blocks N]
    ape run leverage max     [--amount A]
    ape run leverage lend | stake | wrap --amount A --account <alias>

Commands that sign show a preview and ask first unless `--yes`. `open` signs the router's market authorization
(EIP-712) and an EIP-2612 permit of X when they are missing, so a new wallet opens in one transaction.
"""

from levstake.commands.leverage import cli

__all__ = ["cli"]
