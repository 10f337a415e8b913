"""`ape run devnet`: runs `levstake.commands.devnet.cli` (usage there and in `--help`)."""

from levstake.commands.devnet import cli

__all__ = ["cli"]
