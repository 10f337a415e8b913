"""`ape run leverage`: runs `levstake.commands.leverage.cli` (usage there and in `--help`)."""

from levstake.commands.leverage import cli

__all__ = ["cli"]
