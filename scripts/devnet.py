"""
Devnet helpers: let time pass with rewards synced, so a position can be seen evolving.

    ape run devnet advance --days 30 --network ethereum:local:foundry

Only on local networks: moving the clock is impossible anywhere else.
"""

from levstake.commands.devnet import cli

__all__ = ["cli"]
